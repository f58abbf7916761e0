"""Work that runs off the request path, on a worker (``manage.py db_worker``, which make serve
starts): checking and importing an uploaded fixture file, which at tens of thousands of
records takes minutes."""

from django.db import transaction
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from .imports import import_files
from .models import ImportJob, ImportStatus, State


def state_of(job):
    return State.PUBLISHED if job.publish else State.DRAFT


@task()
def check_import(job_id):
    """The dry run: what importing the file would do, or why it cannot be imported."""
    job = ImportJob.objects.get(pk=job_id)
    report = import_files({job.name: bytes(job.data)}, dry_run=True, state=state_of(job))
    job.report = report.summary()
    job.status = ImportStatus.CHECKED if report.ok else ImportStatus.REFUSED
    if not report.ok:
        job.data = b""  # nothing more will be done with it
    job.finished_at = timezone.now()
    job.save()


@task()
def run_import(job_id):
    """The import itself, all or nothing."""
    job = ImportJob.objects.get(pk=job_id)
    report = import_files(
        {job.name: bytes(job.data)},
        state=state_of(job),
        user=job.user,
        reason=_("Imported from %(file)s") % {"file": job.name},
    )
    with transaction.atomic():
        job.report = report.summary()
        # The database may have changed since the check: then nothing was written.
        job.status = ImportStatus.IMPORTED if report.ok else ImportStatus.REFUSED
        job.data = b""
        job.finished_at = timezone.now()
        job.save()
