"""Every version of every record, kept by django-simple-history, and what editors do with them:
compare two versions field by field, revert to one, restore a deleted record.

A version holds the record's fields and its many-to-many relations. The admin saves a record
and its relations first and then records one version of the whole, with who and why."""

import difflib
import re
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import models, transaction
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from simple_history.models import HistoricalRecords

#: Text fields long enough that a word-by-word diff says more than "old → new".
LONG_TEXT = (models.TextField,)


class RecordHistory(HistoricalRecords):
    """HistoricalRecords that leaves itself on the model, so that a version can be recorded
    on purpose (after a form has saved the relations too, or after a fixture load)."""

    def finalize(self, sender, **kwargs):
        super().finalize(sender, **kwargs)
        if sender is self.cls:
            sender.record_history = self


def m2m_fields(model):
    return model.record_history.get_m2m_fields_from_model(model)


@contextmanager
def versions_paused(record):
    """Save ``record`` and change its relations without a version for each step."""
    record.skip_history_when_saving = True
    try:
        yield record
    finally:
        del record.skip_history_when_saving


def record_version(record, history_type, reason, user=None):
    """Save one version of ``record`` as it is now, relations included."""
    if user is not None:
        record._history_user = user
    limit = record.history.model._meta.get_field("history_change_reason").max_length
    record._change_reason = reason if len(reason) <= limit else reason[: limit - 1] + "…"
    try:
        record.record_history.create_historical_record(record, history_type)
    finally:
        del record._change_reason


def related_ids(version, field):
    """The pks of the records that ``version`` was linked to through m2m ``field``."""
    m2m_model = type(version.instance).record_history.m2m_models[field]
    target = field.m2m_reverse_field_name()
    return set(m2m_model.objects.filter(history=version).values_list(f"{target}_id", flat=True))


# --- Comparing -------------------------------------------------------------------------------


@dataclass
class FieldChange:
    label: str
    old: str = ""
    new: str = ""
    #: For long texts: the new text with changed words marked.
    words: str = ""
    added: tuple = ()
    removed: tuple = ()


def word_diff(old, new):
    """``new`` as HTML with the words added marked <ins> and the words removed <del>."""
    old_words, new_words = re.split(r"(\s+)", old or ""), re.split(r"(\s+)", new or "")
    parts = []
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(escape("".join(old_words[a1:a2])))
            continue
        if op in ("delete", "replace"):
            parts.append(f"<del>{escape(''.join(old_words[a1:a2]))}</del>")
        if op in ("insert", "replace"):
            parts.append(f"<ins>{escape(''.join(new_words[b1:b2]))}</ins>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece is escaped above


def display(field, value):
    if value in (None, ""):
        return "–"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.many_to_one:
        target = field.related_model.objects.filter(pk=value).first()
        return str(target) if target else _("(deleted record %(pk)s)") % {"pk": value}
    return str(value)


def compare(old, new):
    """The changes from version ``old`` to version ``new`` of one record, field by field in
    the model's order: simple-history's diff, with long texts compared word by word and
    relations as the records added and removed."""
    model = type(new.instance)
    order = [field.name for field in (*model._meta.concrete_fields, *m2m_fields(model))]
    delta = new.diff_against(old)
    changes = []
    for change in sorted(delta.changes, key=lambda change: order.index(change.field)):
        field = model._meta.get_field(change.field)
        if field.many_to_many:
            changes.append(relation_change(field, change.old, change.new))
            continue
        described = FieldChange(
            str(field.verbose_name), display(field, change.old), display(field, change.new)
        )
        if isinstance(field, LONG_TEXT):
            described.words = word_diff(change.old, change.new)
        changes.append(described)
    return changes


def relation_change(field, old_rows, new_rows):
    """A FieldChange listing the records added to and removed from relation ``field``, from
    the through-table rows of two versions."""
    target = field.m2m_reverse_field_name()
    before = {row[target] for row in old_rows}
    after = {row[target] for row in new_rows}
    names = dict(
        field.related_model.objects.filter(pk__in=before | after).values_list("pk", "title")
    )

    def labelled(ids):
        return tuple(sorted(names.get(pk, _("(deleted record %(pk)s)") % {"pk": pk}) for pk in ids))

    return FieldChange(
        str(field.verbose_name),
        added=labelled(after - before),
        removed=labelled(before - after),
    )


# --- Reverting and restoring -----------------------------------------------------------------


@transaction.atomic
def revert(record, version, user, reason=None):
    """Give ``record`` the fields and relations it had in ``version``, as a new version."""
    model = type(record)
    for field in model._meta.concrete_fields:
        if not field.primary_key and field.name not in ("created_at", "updated_at"):
            setattr(record, field.attname, getattr(version, field.attname))
    record.full_clean()
    with versions_paused(record):
        record.save()
        for field in m2m_fields(model):
            existing = field.related_model.objects.filter(pk__in=related_ids(version, field))
            getattr(record, field.name).set(existing)
    record_version(
        record,
        "~",
        reason or _("Reverted to the version of %(date)s") % {"date": version.history_date},
        user,
    )
    return record


def deleted_versions(model):
    """The last version of each deleted record of ``model`` that is still deleted."""
    deletions = (
        model.history.filter(history_type="-")
        .exclude(id__in=model.objects.values("pk"))
        .order_by("-history_date")
    )
    seen, versions = set(), []
    for version in deletions:
        if version.id not in seen:
            seen.add(version.id)
            versions.append(version)
    return versions


@transaction.atomic
def restore(model, version, user):
    """Bring back a deleted record from its last version, with its relations: those it held
    and those other records held to it when it was deleted."""
    record = version.instance
    record._state.adding = True
    # The deletion's own version has no relations (they go first); the one before has them.
    before_deletion = (
        model.history.filter(id=version.id, history_date__lt=version.history_date)
        .exclude(history_type="-")
        .first()
    )
    with versions_paused(record):
        record.save()
        for field in m2m_fields(model) if before_deletion else ():
            ids = related_ids(before_deletion, field)
            getattr(record, field.name).set(field.related_model.objects.filter(pk__in=ids))
    restore_links_to(record, version.history_date, user)
    record_version(record, "+", _("Restored after deletion"), user)
    return record


def restore_links_to(record, deleted_at, user):
    """Re-link ``record`` to the records whose last version before its deletion linked it."""
    for relation in type(record)._meta.related_objects:
        if not relation.many_to_many or not hasattr(relation.related_model, "record_history"):
            continue
        owner_model, field = relation.related_model, relation.field
        m2m_model = owner_model.record_history.m2m_models[field]
        target = field.m2m_reverse_field_name()
        source = field.m2m_field_name()
        rows = m2m_model.objects.filter(
            **{f"{target}_id": record.pk}, history__history_date__lte=deleted_at
        ).values_list(f"{source}_id", "history_id")
        linked_in = set(rows)  # (owner pk, version id) of each version that linked the record
        for owner in owner_model.objects.filter(pk__in={owner_id for owner_id, _v in linked_in}):
            last_version = owner.history.filter(history_date__lte=deleted_at).first()
            if last_version and (owner.pk, last_version.history_id) in linked_in:
                with versions_paused(owner):
                    getattr(owner, field.name).add(record)
                record_version(
                    owner, "~", _("Link to %(record)s restored") % {"record": record}, user
                )
