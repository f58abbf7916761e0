"""Importing and exporting records as Django fixture JSON with natural keys (the format of
``fixtures/``).

An import checks every object of every file, then writes all of them in one transaction or
none. Checking happens inside that transaction: each object is applied to the database in
dependency order, so that it can be validated exactly as Django validates it (``full_clean()``,
constraints, references to records of the same files), and the transaction is rolled back
unless every object passed and this is not a dry run. The report says, per object, whether it
would be created, updated (with each change) or left unchanged, and, for each problem, the file,
the object's position and slug, the field and what to do about it."""

import json
from dataclasses import asdict, dataclass, field

from django.core import serializers
from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction
from django.utils.translation import gettext as _

from . import revisions
from .caching import content_changes
from .citations import outside_sources
from .database import BULK_WRITE, refresh_planner_statistics
from .dates import parse_edtf, qualified_dates
from .history import Snapshot, record_version, versions_paused
from .models import PUBLIC_MODELS, Agreement, State, supersession_cycle

MODELS_BY_LABEL = {model._meta.label_lower: model for model in PUBLIC_MODELS}
MAX_FILE_BYTES = 50 * 1024 * 1024
#: Fields the database fills in; a file may give them, but need not.
AUTOMATIC = ("id", "created_at", "updated_at")


@dataclass
class Problem:
    file: str
    index: int | None
    slug: str
    field: str
    message: str

    def __str__(self):
        where = self.file
        if self.index is not None:
            where += f", object {self.index}"
        if self.slug:
            where += f" ({self.slug})"
        if self.field:
            where += f", field “{self.field}”"
        return f"{where}: {self.message}"


@dataclass
class Outcome:
    file: str
    index: int
    model: str
    slug: str
    action: str  # created, updated or unchanged
    changes: dict = field(default_factory=dict)  # field -> [old, new]
    #: What readers will see of the record after the import.
    readers: str = ""


@dataclass
class Report:
    outcomes: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    dry_run: bool = False
    written: bool = False
    #: (record, outcome) of each object applied, for recording history once all is well,
    #: and its entry.
    written_records: list = field(default_factory=list, repr=False)
    written_entries: list = field(default_factory=list, repr=False)
    slugs: "SlugIndex" = field(default_factory=lambda: SlugIndex(), repr=False)

    @property
    def ok(self):
        return not self.problems

    def count(self, action):
        return sum(1 for outcome in self.outcomes if outcome.action == action)

    def as_dict(self):
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "written": self.written,
            "summary": {
                action: self.count(action) for action in ("created", "updated", "unchanged")
            },
            "objects": [asdict(outcome) for outcome in self.outcomes],
            "problems": [asdict(problem) | {"text": str(problem)} for problem in self.problems],
        }

    #: A summary lists at most this many records and problems: a file may hold 100,000.
    SUMMARY_ITEMS = 500

    def summary(self):
        """The report as a page shows it: counts, the problems and the records that change
        (each list cut to SUMMARY_ITEMS, with how many there are in all)."""
        changed = [outcome for outcome in self.outcomes if outcome.action != "unchanged"]
        return {
            "ok": self.ok,
            "written": self.written,
            "counts": {
                action: self.count(action) for action in ("created", "updated", "unchanged")
            },
            "changed": [asdict(outcome) for outcome in changed[: self.SUMMARY_ITEMS]],
            "changed_total": len(changed),
            "problems": [str(problem) for problem in self.problems[: self.SUMMARY_ITEMS]],
            "problems_total": len(self.problems),
        }


class SlugIndex:
    """Slug → pk of each model's records: one query per model for the whole import, kept
    current as the import creates records."""

    def __init__(self):
        self.maps = {}

    def of(self, model):
        if model not in self.maps:
            self.maps[model] = dict(model.objects.values_list("slug", "pk"))
        return self.maps[model]

    def pk(self, model, slug):
        return self.of(model).get(slug)

    def slug(self, model, pk):
        return next((slug for slug, known in self.of(model).items() if known == pk), None)

    def add(self, model, slug, pk):
        self.of(model)[slug] = pk


@dataclass
class Entry:
    """One object of a file, as read."""

    file: str
    index: int
    model: type
    fields: dict
    #: The timestamps the file gives, as read: kept on the records it creates.
    timestamps: dict = field(default_factory=dict)
    #: A published record as it was before the import: kept, if its changes are to wait for
    #: review, to put it back once they are checked.
    live: Snapshot | None = None

    @property
    def slug(self):
        return str(self.fields.get("slug", ""))

    def problem(self, field, message):
        return Problem(self.file, self.index, shorten(self.slug), field, message)


def json_type(value):
    """What a JSON value is, in the words of JSON."""
    for kind, name in (
        (bool, _("true or false")),
        (dict, _("an object")),
        (list, _("a list")),
        (str, _("text")),
        ((int, float), _("a number")),
    ):
        if isinstance(value, kind):
            return name
    return _("null")


#: The JSON a field's value must be, by the kind of field.
EXPECTED_JSON = (
    ((models.BooleanField,), (bool,), "true or false"),
    ((models.IntegerField,), (int,), "a whole number"),
    ((models.CharField, models.TextField, models.DateField, models.DateTimeField), (str,), "text"),
)


def wrong_json_type(model_field, value):
    """Why ``value`` cannot go in ``model_field``, or None if its JSON type is right."""
    if value is None:
        return None
    for field_classes, json_types, described in EXPECTED_JSON:
        if isinstance(model_field, field_classes):
            is_bool = isinstance(value, bool) and bool not in json_types
            if is_bool or not isinstance(value, json_types):
                return _("Should be %(expected)s, not %(actual)s.") % {
                    "expected": _(described),
                    "actual": json_type(value),
                }
            break
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return _("Holds characters that are not valid Unicode text (a lone surrogate).")
        if "\x00" in value:
            return _("Holds a NUL character, which no text field takes.")
    return None


class InvalidFile(Exception):
    def __init__(self, problem):
        super().__init__(str(problem))
        self.problem = problem


# --- Reading ---------------------------------------------------------------------------------

#: The longest whole number a file may hold: more digits than any field takes.
MAX_DIGITS = 20


class UnreadableJSON(ValueError):
    pass


def unique_keys(pairs):
    """A JSON object, refused if a key appears twice: the second would silently win."""
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise UnreadableJSON(
                _("The key “%(key)s” appears twice in one object.") % {"key": shorten(key)}
            )
        obj[key] = value
    return obj


def bounded_int(digits):
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise UnreadableJSON(
            _("The file holds a number of %(count)d digits: no field takes more than %(max)d.")
            % {"count": len(digits), "max": MAX_DIGITS}
        )
    return int(digits)


def no_constant(name):
    raise UnreadableJSON(_("%(name)s is not a JSON value.") % {"name": name})


def shorten(text, limit=80):
    """``text`` cut to ``limit`` characters: a value echoed in a message, however long."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_entries(name, data):
    """The objects of one file's bytes, or InvalidFile saying what is wrong and where."""

    def invalid(message, index=None, slug="", field=""):
        return InvalidFile(Problem(name, index, slug, field, message))

    if len(data) > MAX_FILE_BYTES:
        raise invalid(
            _("The file is %(size)d bytes; the limit is %(limit)d. Split it into smaller files.")
            % {"size": len(data), "limit": MAX_FILE_BYTES}
        )
    if not data.strip():
        raise invalid(_("The file is empty: it should be a JSON list of records."))
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark at the start is harmless
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise invalid(
            _("The file is not UTF-8 text: byte %(byte)d (line %(line)d) is not valid UTF-8.")
            % {"byte": error.start, "line": line}
        ) from None
    try:
        content = json.loads(
            text, object_pairs_hook=unique_keys, parse_int=bounded_int, parse_constant=no_constant
        )
    except json.JSONDecodeError as error:
        raise invalid(
            _("The file is not valid JSON: %(message)s at line %(line)d, column %(column)d.")
            % {"message": error.msg, "line": error.lineno, "column": error.colno}
        ) from None
    except UnreadableJSON as error:
        raise invalid(str(error)) from None
    except RecursionError:
        raise invalid(
            _("The file nests lists or objects far more deeply than a fixture file does.")
        ) from None
    if not isinstance(content, list):
        raise invalid(
            _("The file should hold a JSON list of records, not %(type)s.")
            % {"type": json_type(content)}
        )
    if not content:
        raise invalid(_("The file holds an empty list: there is nothing to import."))
    entries, problems = [], []
    for index, obj in enumerate(content):
        if not isinstance(obj, dict) or not isinstance(obj.get("fields"), dict):
            problems.append(
                Problem(
                    name, index, "", "", _('Each record is an object with "model" and "fields".')
                )
            )
            continue
        model = MODELS_BY_LABEL.get(str(obj.get("model", "")).lower())
        slug = str(obj["fields"].get("slug", ""))
        if model is None:
            known = ", ".join(sorted(MODELS_BY_LABEL))
            problems.append(
                Problem(
                    name,
                    index,
                    slug,
                    "model",
                    _("Unknown model “%(model)s”; use one of %(known)s.")
                    % {"model": obj.get("model"), "known": known},
                )
            )
            continue
        if "pk" in obj:
            problems.append(
                Problem(
                    name,
                    index,
                    slug,
                    "pk",
                    _("Records are identified by their slug: remove the “pk” key."),
                )
            )
            continue
        entry = Entry(name, index, model, obj["fields"])
        problems.extend(read_edtf(entry))
        entries.append(entry)
    return entries, problems


def read_edtf(entry):
    """Put in place of each EDTF date the entry gives (``<name>_edtf``, as exports write
    them) the fields it stands for; those the entry also gives must agree with it. The
    problems found."""
    problems = []
    for name in qualified_dates(entry.model):
        key = f"{name}_edtf"
        if key not in entry.fields:
            continue
        text = entry.fields.pop(key)
        try:
            date = None if text is None else parse_edtf(text)
        except ValueError as error:
            problems.append(entry.problem(key, str(error)))
            continue
        parts = {
            f"{name}_date": date.date.isoformat() if date else None,
            f"{name}_precision": str(date.precision) if date else "",
            f"{name}_qualifier": str(date.qualifier) if date else "",
            f"{name}_latest": date.latest.isoformat() if date and date.latest else None,
        }
        for field_name, value in parts.items():
            given = entry.fields.setdefault(field_name, value)
            if given != value:
                problems.append(
                    entry.problem(
                        key,
                        _("“%(edtf)s” gives %(field)s as %(value)s, but the file gives %(given)s.")
                        % {
                            "edtf": text,
                            "field": field_name,
                            "value": json.dumps(value),
                            "given": shorten(json.dumps(given, ensure_ascii=False)),
                        },
                    )
                )
    return problems


# --- Importing -------------------------------------------------------------------------------


def import_files(files, *, dry_run=False, reason=None, user=None, state=None, progress=None):
    """Import ``files`` ({name: bytes}) all or nothing. Returns a Report.

    ``state`` overrides the publishing state of every imported record (for example "draft");
    ``reason`` is the history comment of each record written; ``progress`` is called with 1
    as each object is done (a progress bar's ``update``)."""
    report = Report(dry_run=dry_run)
    entries = []
    for name, data in files.items():
        try:
            file_entries, problems = read_entries(name, data)
        except InvalidFile as error:
            report.problems.append(error.problem)
            continue
        entries.extend(file_entries)
        report.problems.extend(problems)
    report.problems.extend(duplicate_slugs(entries))
    if report.problems:
        return report
    reason = reason or _("Imported from %(files)s") % {"files": ", ".join(files)}
    try:
        with content_changes():
            apply_entries(entries, report, state, progress)
            report.problems.extend(supersedes_cycles(entries))
            if report.problems or dry_run:
                transaction.set_rollback(True)
            else:
                for (record, outcome), entry in zip(
                    report.written_records, report.written_entries, strict=True
                ):
                    if entry.live is not None:
                        keep_for_review(entry, record, user, reason)
                    elif outcome.action != "unchanged":
                        record_version(
                            record, "+" if outcome.action == "created" else "~", reason, user
                        )
                report.written = True
                if len(report.written_records) >= BULK_WRITE:
                    # Before the commit: the first pages after it count the new rows.
                    refresh_planner_statistics()
    except DatabaseError as error:
        report.problems.append(
            Problem("", None, "", "", _("The database refused the import: %s") % error)
        )
        report.written = False
    return report


def duplicate_slugs(entries):
    seen, problems = {}, []
    for entry in entries:
        key = (entry.model, entry.slug)
        if entry.slug and key in seen:
            first = seen[key]
            problems.append(
                entry.problem(
                    "slug",
                    _("The slug is used twice for a %(model)s: also in %(file)s, object %(index)d.")
                    % {
                        "model": entry.model._meta.verbose_name,
                        "file": first.file,
                        "index": first.index,
                    },
                )
            )
        seen.setdefault(key, entry)
    return problems


def dependency_order(entries, report):
    """Entries by model, in PUBLIC_MODELS order; within a model, a record another refers to
    (a section's part, the agreement another supersedes) comes before it where it can. Records
    of the files that refer to each other in a circle are reported (agreements' supersedes
    later, with the database's agreements too). Iterative: a chain may be as long as a file."""
    ordered = []
    for model in PUBLIC_MODELS:
        group = [entry for entry in entries if entry.model is model]
        by_slug = {entry.slug: entry for entry in group}
        own = [f for f in model._meta.fields if f.many_to_one and f.related_model is model]
        placed, visiting = set(), set()

        def referred(entry, own=own, by_slug=by_slug):
            for reference in own:
                key = entry.fields.get(reference.name)
                if isinstance(key, list) and key and isinstance(key[0], str) and key[0] in by_slug:
                    yield reference, by_slug[key[0]]

        for start in group:
            if id(start) in placed:
                continue
            stack, path = [(start, referred(start))], [start]
            visiting.add(id(start))
            while stack:
                entry, references = stack[-1]
                for reference, target in references:
                    if id(target) in placed:
                        continue
                    if id(target) in visiting:
                        circle(reference, path[path.index(target) :], report)
                        continue
                    visiting.add(id(target))
                    stack.append((target, referred(target)))
                    path.append(target)
                    break
                else:
                    stack.pop()
                    path.pop()
                    visiting.discard(id(entry))
                    placed.add(id(entry))
                    ordered.append(entry)
    return ordered


def circle(field, entries, report):
    """Report records of the files that refer to each other through ``field`` in a circle."""
    if field.name == "supersedes":
        return  # supersedes_cycles reports it, with the database's agreements too
    chain = " → ".join(shorten(entry.slug, 40) for entry in [*entries, entries[0]])
    for entry in entries:
        report.problems.append(
            entry.problem(
                field.name,
                _("These records refer to each other through “%(field)s” in a circle: %(chain)s.")
                % {"field": field.verbose_name, "chain": chain},
            )
        )


def apply_entries(entries, report, state, progress):
    """Save every entry's scalar fields and foreign keys to other models, then its references
    to its own model (which may come later in the files), then its many-to-many relations.

    ``state``, if given, is the publishing state of every record created or changed; a
    published record's changes wait for review unless that state, or else the file's, is
    "published" (``waits_for_review``)."""
    applied_entries = []
    ordered = dependency_order(entries, report)
    if report.problems:  # records in a circle: their own problems would only confuse
        return
    for entry in ordered:
        applied = apply_fields(entry, report, state)
        if applied:
            applied_entries.append(applied)
        if progress:
            progress(1)
    for entry, record, outcome, relations in applied_entries:
        self_references(entry, record, outcome, relations, report)
        many_to_many(entry, record, outcome, relations, report)
        pending = waits_for_review(entry, outcome, state)
        if state is not None and outcome.action == "updated" and record.state != state:
            if not pending:
                outcome.changes["state"] = [record.state, state]
            record.state = state
            save(entry, record, report)
        if "updated_at" in entry.timestamps:
            # Keep the file's time of last change, so that an export of an import is the
            # same file: saving set it to now.
            stamp = entry.timestamps["updated_at"]
            entry.model.objects.filter(pk=record.pk).update(updated_at=stamp)
            record.updated_at = stamp
        if not pending:
            entry.live = None
        outcome.readers = what_readers_see(record, outcome, pending)
        report.outcomes.append(outcome)
        report.written_records.append((record, outcome))
        report.written_entries.append(entry)


def waits_for_review(entry, outcome, state):
    """Whether the changes to this record wait for review: it was published, it changed, and
    neither the import nor the file says to publish it."""
    if entry.live is None or outcome.action != "updated":
        return False
    publish = state or entry.fields.get("state", State.PUBLISHED)
    return publish != State.PUBLISHED


def what_readers_see(record, outcome, pending):
    if pending:
        return _("the published version, unchanged: these changes wait for review")
    if record.state != State.PUBLISHED:
        return _("nothing: it is not published")
    if outcome.action == "unchanged":
        return _("the published version, unchanged")
    return _("this version, at once")


def keep_for_review(entry, record, user, reason):
    """Keep the changes the import made to a published record as its pending revision, and
    give the row back the fields and relations readers know."""
    revisions.write(record, revisions.fields_of(record), user, comment=reason)
    for attname, value in entry.live.values.items():
        setattr(record, attname, value)
    record.lock_version = type(record).objects.get(pk=record.pk).lock_version
    with versions_paused(record):
        record.save()
        for name, ids in entry.live.relations.items():
            related = record._meta.get_field(name).related_model.objects.filter(pk__in=ids)
            getattr(record, name).set(related)


def model_fields(model):
    """The fields a file may give: the model's own columns and many-to-many relations."""
    return {
        model_field.name: model_field
        for model_field in model._meta.get_fields()
        if not model_field.auto_created and (model_field.concrete or model_field.many_to_many)
    }


def apply_fields(entry, report, state):
    model = entry.model
    known = model_fields(model)
    problems = []
    for name in entry.fields:
        if name not in known:
            problems.append(
                entry.problem(
                    name,
                    _("%(model)s has no field “%(field)s”.")
                    % {"model": model._meta.verbose_name.capitalize(), "field": name},
                )
            )
    if not entry.slug:
        problems.append(
            Problem(entry.file, entry.index, "", "slug", _("Every record needs a slug."))
        )
    if problems:
        report.problems.extend(problems)
        return None
    existing = report.slugs.pk(model, entry.slug)
    record = model.objects.get(pk=existing) if existing else model()
    if existing and record.is_published:
        entry.live = Snapshot.of_record(record)
    outcome = Outcome(entry.file, entry.index, model._meta.label_lower, entry.slug, "unchanged")
    if existing is None:
        outcome.action = "created"
    relations = {}
    values = dict(entry.fields)
    if state is not None:
        # Applied below to the records the import creates or changes; the others keep theirs.
        values.pop("state", None)
    for name, value in values.items():
        model_field = known[name]
        if model_field.many_to_many:
            relations[name] = value
            continue
        if model_field.many_to_one and model_field.related_model is model:
            target = resolve_existing(model, value, report)
            if target is None and value is not None:
                relations[name] = value  # comes later in the files, or makes a cycle
                continue
            value = target
        elif model_field.many_to_one:
            value = resolve(entry, model_field, value, report)
            if value is False:
                continue
        else:
            wrong = wrong_json_type(model_field, value)
            if wrong:
                report.problems.append(entry.problem(name, wrong))
                continue
            try:
                value = model_field.to_python(value)
            except ValidationError as error:
                report.problems.append(problem_from(entry, name, error))
                continue
            except (TypeError, ValueError, OverflowError):
                shown = json.dumps(entry.fields[name], ensure_ascii=False)[:100]
                report.problems.append(
                    entry.problem(
                        name,
                        _("%(value)s is not a valid value for this field.") % {"value": shown},
                    )
                )
                continue
        old = getattr(record, model_field.attname)
        if name in ("created_at", "updated_at"):
            # The file's timestamps are kept for new records; empty means "now".
            if outcome.action == "created" and value is not None:
                setattr(record, model_field.attname, value)
                entry.timestamps[name] = value
            continue
        new = value
        if old != new and outcome.action != "created":
            outcome.action = "updated"
            if model_field.many_to_one:
                target = model_field.related_model
                outcome.changes[name] = [
                    report.slugs.slug(target, old),
                    report.slugs.slug(target, new),
                ]
            else:
                outcome.changes[name] = [describe(old), describe(new)]
        setattr(record, model_field.attname, new)
    if state is not None and outcome.action == "created":
        record.state = state
    # Fields and the model's own rules are checked here; the database checks its constraints
    # as the record is saved (one query each otherwise, for every record).
    if not validate(entry, record, report, exclude=list(relations)):
        return None
    if stray_citations(entry, record, relations, report):
        return None
    if outcome.action != "unchanged" and not save(entry, record, report):
        return None
    report.slugs.add(model, entry.slug, record.pk)
    return entry, record, outcome, relations


def save(entry, record, report):
    """Save ``record`` in a savepoint; a refused constraint becomes a problem."""
    try:
        with transaction.atomic(), versions_paused(record):
            record.save()
    except DatabaseError as error:
        report.problems.append(entry.problem("", constraint_message(record, error)))
        return False
    return True


def constraint_message(record, error):
    """The message of the constraint the database names in ``error`` (PostgreSQL names the
    constraint; SQLite names its columns)."""
    text = str(error)
    opts = record._meta
    for constraint in opts.constraints:
        columns = [
            f"{opts.db_table}.{opts.get_field(name).column}"
            for name in getattr(constraint, "fields", ())
        ]
        by_columns = columns and text.endswith(", ".join(columns))
        if constraint.name in text or by_columns:
            return str(constraint.get_violation_error_message())
    if "UNIQUE" in str(error).upper():
        return _("Another record already has these values: %s") % error
    return _("The database refused the record: %s") % error


def describe(value):
    if value is None:
        return None
    return value if isinstance(value, (str, int, bool)) else str(value)


def resolve(entry, model_field, value, report):
    """The pk of the record a natural key ``["slug"]`` names, or False after reporting a
    problem."""
    if value is None:
        return None
    target_model = model_field.related_model
    if not (isinstance(value, list) and len(value) == 1 and isinstance(value[0], str)):
        report.problems.append(
            entry.problem(
                model_field.name,
                _('A reference is written as ["slug"]; got %(value)s.')
                % {"value": json.dumps(value)},
            )
        )
        return False
    target = report.slugs.pk(target_model, value[0])
    if target is None:
        report.problems.append(
            entry.problem(
                model_field.name,
                _(
                    "Refers to the %(model)s “%(slug)s”, which is neither in the database nor in "
                    "the files being imported."
                )
                % {"model": target_model._meta.verbose_name, "slug": value[0]},
            )
        )
        return False
    return target


def resolve_existing(model, value, report):
    """The pk of the record of ``model`` that natural key ``value`` names, if it is saved."""
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        return report.slugs.pk(model, value[0])
    return None


def self_references(entry, record, outcome, relations, report):
    model = type(record)
    for name, value in relations.items():
        model_field = model._meta.get_field(name)
        if model_field.many_to_many:
            continue
        target = resolve(entry, model_field, value, report)
        if target is False:
            continue
        new = target
        old = getattr(record, model_field.attname)
        if old != new:
            if outcome.action == "unchanged":
                outcome.action = "updated"
            if outcome.action == "updated":
                outcome.changes[name] = [report.slugs.slug(model, old), value[0]]
            setattr(record, model_field.attname, new)
            save(entry, record, report)


def many_to_many(entry, record, outcome, relations, report):
    model = type(record)
    for name, value in relations.items():
        model_field = model._meta.get_field(name)
        if not model_field.many_to_many:
            continue
        if not isinstance(value, list):
            report.problems.append(
                entry.problem(
                    name,
                    _('A list of references is written as [["slug"], ["slug"]].'),
                )
            )
            continue
        targets = [resolve(entry, model_field, item, report) for item in value]
        if any(target is False for target in targets):
            continue
        manager = getattr(record, name)
        old = sorted(manager.values_list("slug", flat=True)) if record.pk else []
        new = sorted(item[0] for item in value)
        if old != new:
            if outcome.action == "unchanged":
                outcome.action = "updated"
            if outcome.action == "updated":
                outcome.changes[name] = [old, new]
            with versions_paused(record):
                manager.set(targets)


def validate(entry, record, report, exclude):
    try:
        record.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            for message in messages:
                report.problems.append(
                    entry.problem(
                        "" if name == "__all__" else name,
                        message,
                    )
                )
        return False
    return True


def stray_citations(entry, record, relations, report):
    """True, with a problem reported, when the record's citations name a source it will not
    cite: one missing from the file's sources when it gives them, from the record's own
    otherwise."""
    citations = getattr(record, "citations", None)
    if not citations:
        return False
    given = relations.get("sources")
    if isinstance(given, list):
        slugs = [item[0] for item in given if isinstance(item, list) and item]
    else:
        slugs = list(record.sources.values_list("slug", flat=True)) if record.pk else []
    if message := outside_sources(citations, slugs):
        report.problems.append(entry.problem("citations", message))
        return True
    return False


def problem_from(entry, name, error):
    return entry.problem(name, " ".join(error.messages))


def supersedes_cycles(entries):
    """Agreements that end up superseding themselves through a chain of supersedes, each
    reported at its place in the files where it is there. Only a chain through an agreement
    of the files can have become a circle."""
    places = {entry.slug: entry for entry in entries if entry.model is Agreement}
    supersedes = dict(Agreement.objects.values_list("pk", "supersedes_id"))
    slugs = dict(Agreement.objects.values_list("pk", "slug"))
    ids = {slug: pk for pk, slug in slugs.items()}
    problems, reported = [], set()
    for slug in places:
        start = ids.get(slug)
        if start is None or start in reported:
            continue
        cycle = supersession_cycle(start, supersedes[start], supersedes.get)
        if cycle is None:
            continue
        reported |= set(cycle)
        chain = " → ".join(slugs[pk] for pk in cycle)
        for pk in cycle[:-1]:
            if slugs[pk] in places:
                place = places[slugs[pk]]
                problems.append(
                    place.problem(
                        "supersedes",
                        _("These agreements supersede each other in a circle: %(chain)s.")
                        % {"chain": chain},
                    )
                )
    return problems


# --- Exporting -------------------------------------------------------------------------------


def export_records(models_to_export=PUBLIC_MODELS):
    """Every record of ``models_to_export`` as fixture JSON with natural keys, in a stable
    order (by model, then slug), so that equal databases export equal files; each qualified
    date is also given in EDTF, which an import reads back."""
    objects = [record for model in models_to_export for record in model.objects.order_by("slug")]
    text = serializers.serialize(
        "json",
        objects,
        indent=2,
        use_natural_foreign_keys=True,
        use_natural_primary_keys=True,
    )
    exported = [
        with_edtf(obj, record) for obj, record in zip(json.loads(text), objects, strict=True)
    ]
    return json.dumps(exported, indent=2, ensure_ascii=False) + "\n"


def with_edtf(obj, record):
    """The exported ``record`` with each of its qualified dates also in EDTF
    (``<name>_edtf``, after the fields it stands for), the standard form other tools read."""
    names = qualified_dates(type(record))
    fields = {}
    for field_name, value in obj["fields"].items():
        fields[field_name] = value
        name = field_name.removesuffix("_latest")
        if name != field_name and name in names:
            date = getattr(record, name)
            fields[f"{name}_edtf"] = date.edtf if date else None
    return obj | {"fields": fields}
