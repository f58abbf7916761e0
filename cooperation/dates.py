"""Partial dates: history knows many dates only to the year or the month.

Each partial date ``<name>`` is stored as a DateField ``<name>_date`` holding its first possible
day (so that it sorts and filters as a date) and a ``<name>_precision``, and shown at that
precision; a ``<name>_qualifier`` says how it is known, and a ``<name>_latest`` closes a span
of possibilities ("between 1975 and 1977")."""

import datetime
import re

from django.db import models
from django.db.models import F, Func, IntegerField, Q
from django.utils.translation import gettext_lazy as _


class DatePrecision(models.TextChoices):
    YEAR = "year", _("year")
    MONTH = "month", _("month")
    DAY = "day", _("day")


#: The length of an ISO 8601 date at each precision: 1942, 1942-08, 1942-08-04.
ISO_LENGTH = {DatePrecision.YEAR: 4, DatePrecision.MONTH: 7, DatePrecision.DAY: 10}


class DateQualifier(models.TextChoices):
    """How a date is known, beyond its precision. The date stored is the one the qualifier
    speaks of: "before February 1989" stores February 1989, and sorts and filters by it."""

    KNOWN = "", _("as given")
    APPROXIMATE = "approximate", _("about")
    BEFORE = "before", _("on or before")
    AFTER = "after", _("on or after")
    BETWEEN = "between", _("between it and the latest date")
    ARTICLE = "article", _("only the source article gives it")


class PartialDate:
    """A date known to a given precision, and perhaps only approximately, to one side, or
    on the source article's word alone; shown as such."""

    def __init__(self, date, precision, qualifier=DateQualifier.KNOWN, latest=None):
        self.date = date
        self.precision = precision
        self.qualifier = qualifier or DateQualifier.KNOWN
        #: The last possible date of a span of possibilities (qualifier BETWEEN).
        self.latest = latest if self.qualifier == DateQualifier.BETWEEN else None

    def shown(self, date):
        if self.precision == DatePrecision.YEAR:
            return str(date.year)
        if self.precision == DatePrecision.MONTH:
            return date.strftime("%B %Y")
        return f"{date.day} {date.strftime('%B %Y')}"

    def __str__(self):
        shown = self.shown(self.date)
        if self.latest is not None:
            return _("between %(first)s and %(last)s") % {
                "first": shown,
                "last": self.shown(self.latest),
            }
        if self.qualifier == DateQualifier.APPROXIMATE:
            return _("about %(date)s") % {"date": shown}
        if self.qualifier == DateQualifier.BEFORE:
            return _("by %(date)s") % {"date": shown}
        if self.qualifier == DateQualifier.AFTER:
            return _("%(date)s or later") % {"date": shown}
        if self.qualifier == DateQualifier.ARTICLE:
            return _("%(date)s (the article's date)") % {"date": shown}
        return shown

    def __repr__(self):
        latest = f", {self.latest.isoformat()!r}" if self.latest else ""
        return (
            f"PartialDate({self.date.isoformat()!r}, {self.precision!r}, {self.qualifier!r}"
            f"{latest})"
        )

    def _key(self):
        return (self.date, self.precision, self.qualifier, self.latest)

    def __eq__(self, other):
        return isinstance(other, PartialDate) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def iso_of(self, date):
        return date.isoformat()[: ISO_LENGTH[self.precision]]

    @property
    def last_day(self):
        """The last day it may fall on: the end of the year, month or day of its latest
        possible date."""
        end = self.latest or self.date
        if self.precision == DatePrecision.YEAR:
            return datetime.date(end.year, 12, 31)
        if self.precision == DatePrecision.MONTH:
            following = datetime.date(end.year + end.month // 12, end.month % 12 + 1, 1)
            return following - datetime.timedelta(days=1)
        return end

    @property
    def iso(self):
        """The date in ISO 8601 at its precision: 1942, 1942-08 or 1942-08-04."""
        return self.iso_of(self.date)

    @property
    def edtf(self):
        """The date in the Library of Congress's Extended Date/Time Format (EDTF, ISO
        8601-2): 1942-03-27, 1942-03, 1975~ (about), [..1989-02] (on or before), [1952..]
        (on or after), [1975..1977] (one of the years 1975 to 1977), 1989? (uncertain: only
        the article gives it)."""
        if self.latest is not None:
            return f"[{self.iso}..{self.iso_of(self.latest)}]"
        return {
            DateQualifier.APPROXIMATE: f"{self.iso}~",
            DateQualifier.BEFORE: f"[..{self.iso}]",
            DateQualifier.AFTER: f"[{self.iso}..]",
            DateQualifier.ARTICLE: f"{self.iso}?",
        }.get(self.qualifier, self.iso)


#: The EDTF this site reads and writes: a date at year, month or day precision, alone or
#: qualified as ``PartialDate.edtf`` writes it.
EDTF = re.compile(
    r"(?P<date>\d{4}(?:-\d{2}(?:-\d{2})?)?)(?P<mark>[~?])?"
    r"|\[\.\.(?P<before>[\d-]+)\]"
    r"|\[(?P<after>[\d-]+)\.\.\]"
    r"|\[(?P<first>[\d-]+)\.\.(?P<last>[\d-]+)\]"
)

EDTF_FORMS = "1942, 1942-08, 1942-08-04, 1975~, 1989?, [..1989-02], [1952..], [1975..1977]"


def parse_iso(text):
    """(first day, precision) of an ISO 8601 date of 4, 7 or 10 characters; ValueError if
    it is none of them or no such day exists."""
    precision = {4: DatePrecision.YEAR, 7: DatePrecision.MONTH, 10: DatePrecision.DAY}.get(
        len(text)
    )
    if precision is None or not re.fullmatch(r"\d{4}(-\d{2}){0,2}", text):
        raise ValueError(text)
    padded = text + "-01" * ((10 - len(text)) // 3)
    return datetime.date.fromisoformat(padded), precision


def parse_edtf(text):
    """The PartialDate an EDTF string says, or ValueError naming the forms read."""
    match = EDTF.fullmatch(text) if isinstance(text, str) else None
    try:
        if match is None:
            raise ValueError(text)
        if match["date"]:
            mark = {"~": DateQualifier.APPROXIMATE, "?": DateQualifier.ARTICLE}
            return PartialDate(*parse_iso(match["date"]), mark.get(match["mark"], ""))
        if match["before"]:
            return PartialDate(*parse_iso(match["before"]), DateQualifier.BEFORE)
        if match["after"]:
            return PartialDate(*parse_iso(match["after"]), DateQualifier.AFTER)
        (first, precision), (last, last_precision) = map(parse_iso, (match["first"], match["last"]))
        if precision != last_precision or last <= first:
            raise ValueError(text)
        return PartialDate(first, precision, DateQualifier.BETWEEN, last)
    except ValueError:
        raise ValueError(
            _("“%(text)s” is not an EDTF date this site holds; it reads %(forms)s.")
            % {"text": text, "forms": EDTF_FORMS}
        ) from None


#: The columns of a partial date that can be qualified, by suffix, in the order PartialDate
#: takes them: ``signed_date``, ``signed_precision``, ``signed_qualifier``, ``signed_latest``.
DATE_PARTS = ("date", "precision", "qualifier", "latest")


def qualified_dates(model):
    """The names of ``model``'s partial dates that can be qualified (a source's date cannot)."""
    return [name for name in getattr(model, "DATES", ()) if hasattr(model, f"{name}_latest")]


class partial_date:
    """The PartialDate stored in ``<name>_date`` and ``<name>_precision``, or None:
    ``signed = partial_date("signed")``."""

    def __init__(self, name):
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        date = getattr(instance, f"{self.name}_date")
        if date is None:
            return None
        precision = getattr(instance, f"{self.name}_precision")
        qualifier = getattr(instance, f"{self.name}_qualifier", "")
        return PartialDate(
            date, precision, qualifier, getattr(instance, f"{self.name}_latest", None)
        )


def precision_field(verbose_name):
    return models.CharField(verbose_name, max_length=5, choices=DatePrecision.choices, blank=True)


def qualifier_field(verbose_name):
    return models.CharField(
        verbose_name, max_length=11, choices=DateQualifier.choices, blank=True, default=""
    )


def latest_field(verbose_name):
    return models.DateField(
        verbose_name,
        null=True,
        blank=True,
        help_text=_("For a span of possibilities: the last possible date, at the same precision."),
    )


def partial_date_constraint(model_name, name):
    """A date and its precision are both set or both empty."""
    return models.CheckConstraint(
        condition=Q(**{f"{name}_date__isnull": True, f"{name}_precision": ""})
        | (Q(**{f"{name}_date__isnull": False}) & ~Q(**{f"{name}_precision": ""})),
        name=f"{model_name}_{name}_date_has_precision",
    )


def validate_partial_dates(instance, *names):
    """{field: message} for each partial date whose precision is missing without its date or
    its date without its precision, or whose year or month date is not the first day of its
    year or month."""
    errors = {}
    for name in names:
        date = getattr(instance, f"{name}_date")
        precision = getattr(instance, f"{name}_precision")
        if span_error := validate_span(instance, name):
            errors[f"{name}_latest"] = span_error
        if date is None and getattr(instance, f"{name}_qualifier", ""):
            errors[f"{name}_qualifier"] = _("A date is qualified but the date is empty.")
        elif date is None and precision:
            errors[f"{name}_precision"] = _("A precision is given but the date is empty.")
        elif date is not None and not precision:
            errors[f"{name}_precision"] = _(
                "Say whether the date is known to the year, month or day."
            )
        elif precision == DatePrecision.YEAR and (date.month, date.day) != (1, 1):
            errors[f"{name}_date"] = _(
                "A date known only to the year is stored as 1 January of that year."
            )
        elif precision == DatePrecision.MONTH and date.day != 1:
            errors[f"{name}_date"] = _(
                "A date known only to the month is stored as the first day of that month."
            )
    return errors


def validate_span(instance, name):
    """Why the span of possibilities of the date ``name`` is wrong, or None: a span has a
    latest date after its first, at the first day of its year or month as the date is; only
    a span has one."""
    if not hasattr(instance, f"{name}_latest"):
        return None
    latest = getattr(instance, f"{name}_latest")
    date = getattr(instance, f"{name}_date")
    spans = getattr(instance, f"{name}_qualifier") == DateQualifier.BETWEEN
    if spans and latest is None:
        return _("A span of possibilities needs its latest date.")
    if latest is None:
        return None
    if not spans:
        return _("A latest date is only for a span of possibilities: choose “between”.")
    if date is not None and latest <= date:
        return _("The latest date of a span must fall after its first date.")
    precision = getattr(instance, f"{name}_precision")
    if (precision == DatePrecision.YEAR and (latest.month, latest.day) != (1, 1)) or (
        precision == DatePrecision.MONTH and latest.day != 1
    ):
        return _(
            "The latest date is entered as the first day of its year or month, as the date is."
        )
    return None


def validate_date_order(instance, first, last):
    """{field: message} if the date ``last`` falls before the date ``first`` (at their first
    possible days)."""
    start = getattr(instance, f"{first}_date")
    end = getattr(instance, f"{last}_date")
    if start and end and end < start:
        return {f"{last}_date": _("This date falls before the %(first)s date.") % {"first": first}}
    return {}


# --- Ordering by a date ----------------------------------------------------------------------


def undated(field):
    """True for a record without a value of the date ``field``: sorted first, it puts undated
    records last on every database. SQLite cannot index NULLS LAST, but it can index this
    expression, so that a list's page comes from an index instead of sorting the table."""
    return models.ExpressionWrapper(
        Q(**{f"{field}__isnull": True}), output_field=models.BooleanField()
    )


def by_date(field):
    """The default order of dated records: by ``field``, undated last, then by title."""
    return [undated(field).asc(), F(field).asc(), F("title").asc()]


def list_order_index(name, field, within=None):
    """The index that serves ``by_date(field)`` for published records, or for the published
    records of one value of the column ``within``."""
    columns = [F("state"), *([F(within)] if within else []), undated(field), F(field), F("title")]
    return models.Index(*columns, name=name)


class YearOf(Func):
    """The year of a date column. Django's ExtractYear is, on SQLite, a Python function called
    for every row (a quarter of a second over 100,000 rows); SQLite stores a date as ISO text,
    so its first four characters are the year."""

    template = "CAST(EXTRACT(YEAR FROM %(expressions)s) AS integer)"
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="CAST(substr(%(expressions)s, 1, 4) AS integer)"
        )


def in_years(field, years):
    """A condition: the date ``field`` falls in one of ``years``, as one date range per run
    of consecutive years, which the date's index answers."""
    condition, ordered = Q(), sorted(years)
    start = previous = ordered[0]
    for year in [*ordered[1:], None]:
        if year is not None and year == previous + 1:
            previous = year
            continue
        first, last = datetime.date(start, 1, 1), datetime.date(previous, 12, 31)
        condition |= Q(**{f"{field}__range": (first, last)})
        start = previous = year
    return condition


# --- Whether something held in a year -------------------------------------------------------


def held_in(year, began, ended, *, holding):
    """A condition: begun (the date ``began``) by the end of ``year``, and either ended (the
    date field ``ended``) in or after it, or not ended with a status among ``holding`` (one
    that says it still holds). A record whose end is unknown and whose status does not say it
    holds is not counted: see ``end_unknown_by``."""
    begun = Q(**{f"{began}__lte": datetime.date(year, 12, 31)})
    ended_since = Q(**{f"{ended}__gte": datetime.date(year, 1, 1)})
    still_holds = Q(**{f"{ended}__isnull": True, "status__in": holding})
    return begun & (ended_since | still_holds)


def end_unknown_by(year, began, ended, *, holding, never):
    """A condition: begun by the end of ``year`` with no end date, and a status that neither
    says it still holds nor that it never began (``never``): ended on a date the record does
    not give, or not known to hold. Such records are shown apart, not counted as held."""
    return Q(**{f"{began}__lte": datetime.date(year, 12, 31), f"{ended}__isnull": True}) & ~Q(
        status__in=[*holding, *never]
    )
