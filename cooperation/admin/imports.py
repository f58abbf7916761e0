"""The publishers' import page: upload a fixture file, read the dry-run report, confirm."""

from django import forms
from django.contrib import messages
from django.contrib.admin import site
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..imports import MAX_FILE_BYTES, import_files
from ..models import PUBLIC_MODELS, State

SESSION_KEY = "cooperation_pending_import"


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
    if not may_import(request.user):
        raise PermissionDenied
    context = {**site.each_context(request), "title": _("Import records")}
    if request.method == "POST" and "confirm" in request.POST:
        return confirm(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        state = State.PUBLISHED if form.cleaned_data["publish"] else State.DRAFT
        report = import_files({upload.name: data}, dry_run=True, state=state)
        if report.ok:
            request.session[SESSION_KEY] = {
                "name": upload.name,
                "text": data.decode("utf-8"),
                "state": state,
            }
        context.update(
            report=report,
            file_name=upload.name,
            publish=state == State.PUBLISHED,
            created_count=report.count("created"),
            updated_count=report.count("updated"),
            unchanged_count=report.count("unchanged"),
        )
    context["form"] = form
    return TemplateResponse(request, "admin/cooperation/import.html", context)


def confirm(request):
    pending = request.session.pop(SESSION_KEY, None)
    if pending is None:
        messages.error(request, _("There is no checked file to import: upload it again."))
        return redirect("cooperation-import")
    report = import_files(
        {pending["name"]: pending["text"].encode("utf-8")},
        state=pending["state"],
        user=request.user,
        reason=_("Imported from %(file)s") % {"file": pending["name"]},
    )
    if report.ok:
        messages.success(
            request,
            _(
                "Imported %(file)s: %(created)d created, %(updated)d updated, "
                "%(unchanged)d unchanged."
            )
            % {
                "file": pending["name"],
                "created": report.count("created"),
                "updated": report.count("updated"),
                "unchanged": report.count("unchanged"),
            },
        )
    else:
        # The database changed since the check: nothing was written; say why.
        for problem in report.problems:
            messages.error(request, str(problem))
    return redirect("cooperation-import")
