"""The publishers' import page: upload a fixture file, read the dry-run report, confirm.

The check and the import run as tasks (``cooperation.tasks``) on a worker, so that a file of
tens of thousands of records never holds up a web worker; the file waits in its ImportJob, and
the job's page follows it until it is done."""

from django import forms
from django.contrib import messages
from django.contrib.admin import site
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..imports import MAX_FILE_BYTES
from ..models import PUBLIC_MODELS, ImportJob, ImportStatus
from ..tasks import check_import, run_import


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Fixture file (JSON)"),
        help_text=gettext_lazy("Records in the format of fixtures/: natural keys, no pk."),
    )
    publish = forms.BooleanField(
        label=gettext_lazy("Publish the imported records"),
        required=False,
        help_text=gettext_lazy(
            "Left unticked, the records the file creates are drafts, and its changes to "
            "published records wait for review: readers keep seeing the published versions."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)d bytes; the limit is %(limit)d.")
                % {"size": upload.size, "limit": MAX_FILE_BYTES}
            )
        return upload


def may_import(user):
    return all(user.has_perm(f"cooperation.publish_{m._meta.model_name}") for m in PUBLIC_MODELS)


def import_view(request):
    """Upload a file: it is stored as an ImportJob and checked by a worker."""
    if not may_import(request.user):
        raise PermissionDenied
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        with transaction.atomic():
            job = ImportJob.objects.create(
                user=request.user,
                name=upload.name[:200],
                data=upload.read(),
                publish=form.cleaned_data["publish"],
            )
            check_import.enqueue(job.pk)
        return redirect("cooperation-import-job", job.pk)
    return TemplateResponse(
        request,
        "admin/cooperation/import.html",
        {
            **site.each_context(request),
            "title": _("Import records"),
            "form": form,
            "jobs": ImportJob.objects.filter(user=request.user).defer("data")[:10],
        },
    )


def import_job_view(request, job_id):
    """One upload: being checked, its report and the button to import it, being imported, or
    done. The page reloads itself while the worker is at it."""
    if not may_import(request.user):
        raise PermissionDenied
    jobs = ImportJob.objects.defer("data")
    if not request.user.is_superuser:
        jobs = jobs.filter(user=request.user)
    job = get_object_or_404(jobs, pk=job_id)
    if request.method == "POST" and "confirm" in request.POST:
        with transaction.atomic():
            claimed = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.CHECKED).update(
                status=ImportStatus.IMPORTING
            )
            if claimed:
                run_import.enqueue(job.pk)
        if not claimed:
            messages.error(request, _("This file is not waiting to be imported."))
        return redirect("cooperation-import-job", job.pk)
    return TemplateResponse(
        request,
        "admin/cooperation/import_job.html",
        {
            **site.each_context(request),
            "title": _("Import of %(file)s") % {"file": job.name},
            "job": job,
            "report": job.report,
        },
    )
