"""Reviewed changes: a published record stays as readers know it until a publisher approves a
change to it.

An editor's changes to a published record are kept as its open revision (one at most), which
they submit for review; a publisher publishes it (it becomes the row readers see, in one
transaction, with a version in the record's history) or sends it back with a comment. A new
record is its own row in draft; submitting it keeps a revision too, so that both kinds of
change wait in one list. Changes are kept in the form of Django's "python" serialization:
fields by name, foreign keys and many-to-many relations as primary keys."""

from django.core import serializers
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .caching import content_changes
from .history import m2m_fields, record_version, versions_paused
from .models import Revision, RevisionStatus, State

#: What a revision does not carry: what the database, the workflow and the clock set.
NOT_REVISED = ("created_at", "updated_at", "lock_version", "state")


class Moved(Exception):
    """The pending changes were saved by someone else after the form was opened."""


class StaleRevision(Exception):
    """The record changed after these changes were written: publishing them would undo that
    change without anyone having seen it."""


def fields_of(record, relations=None):
    """The revisable fields of ``record`` as stored in a revision; ``relations`` ({name:
    records}) in place of its saved relations, for a form's values."""
    data = serializers.serialize("python", [record])[0]["fields"]
    if relations is not None:
        data |= {name: sorted(item.pk for item in items) for name, items in relations.items()}
    return {name: value for name, value in data.items() if name not in NOT_REVISED}


def open_revision(record):
    """The record's open revision, or None."""
    if record.pk is None:
        return None
    return Revision.objects.of(record).open().select_related("author", "reviewer").first()


def proposed(revision):
    """The record as it would be once ``revision`` is published: an unsaved copy of the row
    with the revision's fields, and {relation name: [primary keys]}."""
    record = revision.record
    data = {"model": record._meta.label_lower, "pk": record.pk, "fields": revision.fields}
    (deserialized,) = serializers.deserialize("python", [data], ignorenonexistent=True)
    copy = deserialized.object
    for name in ("created_at", "updated_at", "lock_version", "state"):
        setattr(copy, name, getattr(record, name))
    return copy, {name: list(ids) for name, ids in deserialized.m2m_data.items()}


#: ``write(opened_on=WHATEVER)``: replace the open revision as it is now (an import, a revert).
WHATEVER = "whatever"


@transaction.atomic
def write(record, fields, user, *, comment="", opened_on=WHATEVER):
    """Keep ``fields`` as the record's open revision, made or updated by ``user``. Changes sent
    back become pending again; changes awaiting review stay there, with the new fields.

    ``opened_on``: the edit number of the revision the form was opened on (None for a form
    opened when there was none). Moved is raised if the revision has moved since: claimed
    in one statement, so that of two saves at the same moment only one passes."""
    revision = open_revision(record)
    if revision is None:
        if opened_on not in (None, WHATEVER):
            raise Moved
        revision = Revision(record=record)
    elif opened_on == WHATEVER:
        pass
    elif opened_on is None or not revision.claim(opened_on):
        raise Moved
    else:
        revision.lock_version = opened_on  # the save below writes the claimed number
    revision.fields = fields
    revision.author = user
    revision.based_on = record.lock_version
    revision.updated_at = timezone.now()
    if comment:
        revision.comment = comment
    if revision.status == RevisionStatus.SENT_BACK:
        revision.status = RevisionStatus.PENDING
    if revision.pk:
        revision.lock_version += 1
    revision.save()
    return revision


@transaction.atomic
def submit(record, user, comment=""):
    """Submit the record for review: its open revision, or, for a record not yet published,
    the record itself (it goes into review). Returns the revision, or None when a published
    record has no changes to submit."""
    revision = open_revision(record)
    if not record.is_published:
        if record.state != State.IN_REVIEW:
            record.state = State.IN_REVIEW
            with versions_paused(record):
                record.save()
            record_version(record, "~", comment or _("Submitted for review"), user)
        revision = write(record, fields_of(record), user, comment=comment)
    elif revision is None:
        return None
    revision.status = RevisionStatus.SUBMITTED
    revision.comment = comment or revision.comment
    revision.updated_at = timezone.now()
    revision.save()
    return revision


def publish(revision, user, *, force=False):
    """Make the revision what readers see, in one transaction with a version in the record's
    history. For a published record, its fields and relations become the row's: refused with
    StaleRevision if the record changed since they were written, unless ``force``. A new
    record is published as it is now."""
    record = revision.record
    with content_changes():
        if not record.is_published:
            record.state = State.PUBLISHED
            with versions_paused(record):
                record.save()
        elif record.claim(revision.based_on) or force:
            if not force:
                record.lock_version = revision.based_on  # the save writes the claimed number
            apply(record, revision)
        else:
            raise StaleRevision
        author = revision.author or _("an import")
        reason = _("Published the changes of %(author)s") % {"author": author}
        if revision.comment:
            reason += f": {revision.comment}"
        record_version(record, "~", reason, user)
        close(revision, user, RevisionStatus.PUBLISHED)
    return record


def apply(record, revision):
    """Give the row the revision's fields and relations."""
    copy, relations = proposed(revision)
    for field in record._meta.concrete_fields:
        if field.name not in NOT_REVISED and not field.primary_key:
            setattr(record, field.attname, getattr(copy, field.attname))
    record.full_clean()
    with versions_paused(record):
        record.save()
        for field in m2m_fields(type(record)):
            if field.name in relations:
                related = field.related_model.objects.filter(pk__in=relations[field.name])
                getattr(record, field.name).set(related)


def send_back(revision, user, comment):
    """Return the changes to their author with ``comment``; a new record goes back to draft."""
    with transaction.atomic():
        record = revision.record
        if record.state == State.IN_REVIEW:
            record.state = State.DRAFT
            with versions_paused(record):
                record.save()
            record_version(record, "~", _("Sent back: %(comment)s") % {"comment": comment}, user)
        close(revision, user, RevisionStatus.SENT_BACK, comment)


def discard(revision, user):
    close(revision, user, RevisionStatus.DISCARDED)


def close(revision, user, status, comment=""):
    revision.status = status
    revision.reviewer = user
    revision.reviewed_at = timezone.now()
    revision.review_comment = comment
    revision.lock_version += 1
    revision.save()
