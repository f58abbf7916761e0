"""Every version of every record, kept by django-simple-history, and what editors do with them:
compare two versions field by field, revert to one, restore a deleted record.

A version holds the record's fields and its many-to-many relations. The admin saves a record
and its relations first and then records one version of the whole, with who and why."""

import re
from contextlib import contextmanager
from dataclasses import dataclass

from diff_match_patch import diff_match_patch
from django.db import models, transaction
from django.utils import formats, timezone
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


#: The longest a comparison of two texts may take. Past it the differences found so far are
#: shown, coarser (whole passages instead of words): a comparison never holds up a worker.
DIFF_SECONDS = 0.5


def word_diff(old, new):
    """``new`` as HTML with the words added marked <ins> and the words removed <del>.

    diff-match-patch's diff runs in linear space with a deadline (difflib's is quadratic:
    two versions of 20,000 words took more than 30 s). Each distinct word becomes one
    character, so that it compares words, as its line mode compares lines."""
    codes = {}

    def encoded(text):
        # Characters past the basic plane: one for each of the up to a million words a
        # text of BODY_LENGTH characters can hold.
        return "".join(
            codes.setdefault(word, chr(0x10000 + len(codes)))
            for word in re.split(r"(\s+)", text or "")
        )

    matcher = diff_match_patch()
    matcher.Diff_Timeout = DIFF_SECONDS
    old_text, new_text = encoded(old), encoded(new)
    decode = {code: word for word, code in codes.items()}
    tags = {diff_match_patch.DIFF_DELETE: "del", diff_match_patch.DIFF_INSERT: "ins"}
    parts = []
    for operation, characters in matcher.diff_main(old_text, new_text, checklines=False):
        text = escape("".join(decode[character] for character in characters))
        tag = tags.get(operation)
        parts.append(f"<{tag}>{text}</{tag}>" if tag else text)
    return mark_safe("".join(parts))  # noqa: S308 - every piece is escaped above


def display(field, value):
    if hasattr(field, "as_text"):  # a field that says how it reads as text
        value = field.as_text(value)
    if value in (None, ""):
        return "–"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.many_to_one:
        target = field.related_model.objects.filter(pk=value).first()
        return str(target) if target else _("(deleted record %(pk)s)") % {"pk": value}
    return str(value)


@dataclass
class Snapshot:
    """A record as it is, was (a version) or would be (pending changes): the values of its
    columns by attribute name, and the ids of the records of each many-to-many relation."""

    model: type
    values: dict
    relations: dict

    @classmethod
    def of_version(cls, version):
        model = type(version.instance)
        return cls(
            model,
            {
                field.attname: getattr(version, field.attname)
                for field in model._meta.concrete_fields
            },
            {field.name: related_ids(version, field) for field in m2m_fields(model)},
        )

    @classmethod
    def of_record(cls, record):
        model = type(record)
        return cls(
            model,
            {
                field.attname: getattr(record, field.attname)
                for field in model._meta.concrete_fields
            },
            {
                field.name: set(getattr(record, field.name).values_list("pk", flat=True))
                for field in m2m_fields(model)
            },
        )


#: What a comparison leaves out: what the database and the clock set.
NOT_COMPARED = ("id", "created_at", "updated_at", "lock_version")


def compare(old, new):
    """The changes from Snapshot ``old`` to Snapshot ``new`` of one record, field by field in
    the model's order: long texts compared word by word, relations as the records added and
    removed. (simple-history's ``diff_against()`` compares two versions only; this compares
    pending changes with the live record too.)"""
    model = new.model
    changes = []
    for field in model._meta.concrete_fields:
        if field.name in NOT_COMPARED:
            continue
        before, after = old.values.get(field.attname), new.values.get(field.attname)
        if before == after:
            continue
        change = FieldChange(str(field.verbose_name), display(field, before), display(field, after))
        if isinstance(field, LONG_TEXT):
            change.words = word_diff(before, after)
        elif hasattr(field, "as_text"):
            change.words = word_diff(field.as_text(before), field.as_text(after))
        changes.append(change)
    for field in m2m_fields(model):
        before, after = old.relations.get(field.name, set()), new.relations.get(field.name, set())
        if before != after:
            changes.append(relation_change(field, before, after))
    return changes


def relation_change(field, before, after):
    """A FieldChange listing the records added to and removed from relation ``field``."""
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


#: What a revert leaves as it is: what the database sets, and whether readers see the record
#: (withdrawing and publishing are decisions of their own).
NOT_REVERTED = ("id", "created_at", "updated_at", "lock_version", "state")


def moment(when):
    """A date and time as people read it: "1 Dec 2026, 10:47"."""
    return formats.date_format(timezone.localtime(when), "j M Y, H:i")


def fields_at(version):
    """{attribute name: value} of the revertible fields of ``version``, and {relation name:
    ids}: what a revert gives the record."""
    model = type(version.instance)
    values = {
        field.attname: getattr(version, field.attname)
        for field in model._meta.concrete_fields
        if field.name not in NOT_REVERTED
    }
    return values, {field.name: related_ids(version, field) for field in m2m_fields(model)}


@transaction.atomic
def revert(record, version, user, reason=None):
    """Give ``record`` the fields and relations it had in ``version``, as a new version. It
    stays published, or not, as it is."""
    values, relations = fields_at(version)
    for attname, value in values.items():
        setattr(record, attname, value)
    record.full_clean()
    with versions_paused(record):
        record.save()
        for field in m2m_fields(type(record)):
            existing = field.related_model.objects.filter(pk__in=relations[field.name])
            getattr(record, field.name).set(existing)
    record_version(
        record,
        "~",
        reason or _("Reverted to the version of %(date)s") % {"date": moment(version.history_date)},
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


def restore_obstacles(model, version):
    """{field name: what stands in the way} of restoring ``version``: its slug taken by a
    record made since, or a record it refers to deleted since."""
    obstacles = {}
    record = version.instance
    if model.objects.filter(slug=record.slug).exists():
        obstacles["slug"] = _("Another %(model)s has the slug “%(slug)s” now.") % {
            "model": model._meta.verbose_name,
            "slug": record.slug,
        }
    for field in model._meta.concrete_fields:
        target = getattr(record, field.attname) if field.many_to_one else None
        if target is not None and not field.related_model.objects.filter(pk=target).exists():
            obstacles[field.name] = _("The %(target)s it belonged to has been deleted since.") % {
                "target": field.related_model._meta.verbose_name
            }
    return obstacles


@transaction.atomic
def restore(model, version, user, replacements=None):
    """Bring back a deleted record from its last version, with its relations: those it held
    and those other records held to it when it was deleted. ``replacements`` ({attribute
    name: value}) overcome the obstacles: a new slug, another era."""
    record = version.instance
    for attname, value in (replacements or {}).items():
        setattr(record, attname, value)
    record._state.adding = True
    record.full_clean(validate_unique=True)
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
