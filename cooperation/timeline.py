"""The timeline: the dated agreements, initiatives and events on one axis over the eras.

A record is placed by the date it began (an agreement's signing, an initiative's start, an
event's date), the date the lists' year and decade filters use. Up to ``MOST_DRAWN`` records
are drawn one by one, from start to end; past that, the page draws how many began each year,
each year linking to the lists for it, and the reader narrows by decade and year until the
records can be drawn. Either way the page costs one grouped query per type of record, then at
most one more per type, whatever the number of records."""

import datetime
from dataclasses import dataclass, field
from functools import cached_property

from django import forms
from django.db.models import Count
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from . import counts
from .dates import DATE_PARTS, PartialDate, YearOf, in_years
from .filters import YearsField, chosen_through, linked_to, records_field
from .models import (
    AGREEMENT_HOLDS,
    INITIATIVE_HOLDS,
    Agreement,
    Era,
    Event,
    Initiative,
    Party,
    Threat,
)
from .search import QueryField

#: More records than this are drawn as counts per year.
MOST_DRAWN = 300


@dataclass(frozen=True)
class Kind:
    """A type of record on the timeline and how its fields are named."""

    name: str
    model: type
    began: str
    #: The relation to parties, and the parameter of the type's own list that filters by it.
    parties: str
    party_parameter: str
    #: The list that shows records of this type by year, or None (events have none).
    list_name: str | None
    holds: tuple = ()
    #: (label, date name) of the dates a row gives, in order.
    dates: tuple = ()

    @property
    def label(self):
        return capfirst(self.model._meta.verbose_name_plural)

    @property
    def singular(self):
        return self.model._meta.verbose_name


KINDS = {
    "agreement": Kind(
        "agreement",
        Agreement,
        "signed",
        "parties",
        "party",
        "cooperation:agreement-list",
        holds=tuple(AGREEMENT_HOLDS),
        dates=((_("signed"), "signed"), (_("in force"), "in_force"), (_("ended"), "ended")),
    ),
    "initiative": Kind(
        "initiative",
        Initiative,
        "started",
        "participants",
        "participant",
        "cooperation:initiative-list",
        holds=tuple(INITIATIVE_HOLDS),
        dates=((_("started"), "started"), (_("ended"), "ended")),
    ),
    "event": Kind(
        "event",
        Event,
        "started",
        "parties",
        "party",
        None,
        dates=((_("date"), "started"), (_("ended"), "ended")),
    ),
}


class TimelineForm(forms.Form):
    """The timeline's filters, named as the lists name theirs."""

    type = forms.MultipleChoiceField(
        label=_("Type"),
        required=False,
        choices=[(name, kind.label) for name, kind in KINDS.items()],
        widget=forms.CheckboxSelectMultiple,
    )
    q = QueryField(label=_("Search"))
    era = records_field(Era.objects.published(), _("Era"))
    threat = records_field(Threat.objects.published(), _("Threat"))
    party = records_field(Party.objects.published(), _("Party"), widget=forms.MultipleHiddenInput)
    decade = YearsField(step=10, label=_("Decade"))
    year = YearsField(label=_("Year"))

    def applied(self):
        """The valid filters given: invalid ones are reported and left out."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: value for name, value in data.items() if value}


def narrowed(kind, applied):
    """The published records of ``kind`` that are dated and match the filters. A decade and a
    year chosen together widen each other here: the timeline draws both."""
    records = kind.model.objects.published().filter(**{f"{kind.began}_date__isnull": False})
    records = chosen_through(records, "era", applied.get("era"))
    records = linked_to(records, "threats", applied.get("threat"))
    records = linked_to(records, kind.parties, applied.get("party"))
    if applied.get("q"):
        records = records.search(applied["q"])
    years = set(applied.get("year") or ())
    for decade in applied.get("decade") or ():
        years |= set(range(decade, decade + 10))
    if years:
        records = records.filter(in_years(f"{kind.began}_date", years))
    return records


def per_year(records, kind):
    """{year: number of records}, one grouped query."""
    grouped = (
        records.order_by()
        .annotate(began_year=YearOf(f"{kind.began}_date"))
        .values_list("began_year")
        .annotate(total=Count("*"))
    )
    return dict(grouped)


@dataclass
class Span:
    """What the axis draws of one date: from its first possible day to its last."""

    first: datetime.date
    last: datetime.date
    text: str

    @classmethod
    def of(cls, date, precision, qualifier="", latest=None):
        if date is None:
            return None
        shown = PartialDate(date, precision, qualifier, latest)
        return cls(date, shown.last_day, str(shown))


@dataclass
class Item:
    """One record drawn: its dates and how its end is known."""

    kind: Kind
    slug: str
    title: str
    status: str
    status_label: str
    spans: dict  # {date name: Span or None}

    def url(self):
        return reverse(f"cooperation:{self.kind.name}-detail", args=[self.slug])

    @property
    def dates(self):
        """[(label, Span or None)], as the row shows them."""
        return [(label, self.spans[name]) for label, name in self.kind.dates]

    @property
    def began(self):
        return self.spans[self.kind.began]

    @property
    def ended(self):
        return self.spans["ended"]

    @property
    def end(self):
        """ "ended", "holds" (goes on to today), "unknown" (ended or may have, date not
        given), or "point" (an event of one date)."""
        if self.ended is not None:
            return "ended"
        if self.kind.name == "event":
            return "point"
        return "holds" if self.status in self.kind.holds else "unknown"

    @property
    def dates_text(self):
        """The dates as a row gives them: "signed 4 August 1942; ended 1964"."""
        shown = [f"{label} {span.text}" for label, span in self.dates if span is not None]
        if self.end == "unknown":
            shown.append(str(_("ended, date unknown")))
        elif self.end == "holds":
            shown.append(str(_("no end yet")))
        return "; ".join(shown)


def items(records, kind):
    """The records as Items, in the order they began."""
    names = [name for _label, name in kind.dates]
    columns = ["slug", "title"]
    for name in names:
        columns += [f"{name}_{part}" for part in DATE_PARTS]
    has_status = any(f.name == "status" for f in kind.model._meta.fields)
    if has_status:
        columns.append("status")
    labels = dict(kind.model._meta.get_field("status").choices) if has_status else {}
    drawn = []
    for row in records.order_by(f"{kind.began}_date", "title").values(*columns)[:MOST_DRAWN]:
        spans = {name: Span.of(*(row[f"{name}_{part}"] for part in DATE_PARTS)) for name in names}
        status = row.get("status", "")
        drawn.append(
            Item(
                kind=kind,
                slug=row["slug"],
                title=row["title"],
                status=status,
                status_label=str(labels.get(status, "")),
                spans=spans,
            )
        )
    return drawn


@dataclass
class Timeline:
    """What the page shows: the records drawn, or the counts per year, and the axis."""

    kinds: list
    counts: dict  # {kind name: {year: count}}
    items: list = field(default_factory=list)

    @property
    def total(self):
        return sum(sum(years.values()) for years in self.counts.values())

    @property
    def drawn(self):
        return self.total <= MOST_DRAWN

    def years(self):
        """Every year with a record, in order."""
        return list(self.per_year)

    @cached_property
    def per_year(self):
        """{year: records of every type shown begun that year}, in the years' order."""
        totals = {}
        for kind in self.kinds:
            for year, count in self.counts[kind.name].items():
                totals[year] = totals.get(year, 0) + count
        return dict(sorted(totals.items()))


def single_choice(applied):
    """ "name=value" when the filters (the types aside) are at most one value of one of
    era, threat, party, decade or year, else None: the pages every record's links open,
    whose counts are remembered as a list's are. Words searched for are never remembered."""
    filters = {name: value for name, value in applied.items() if name != "type"}
    if not filters:
        return ""
    return counts.single_choice(filters, {"era", "threat", "party", "decade", "year"})


def build(applied):
    """The timeline of the records matching ``applied``: one grouped query per type (its
    counts remembered per content version for the unfiltered timeline and one filter's), and
    one more per type when the records are few enough to draw."""
    chosen = applied.get("type") or list(KINDS)
    kinds = [KINDS[name] for name in KINDS if name in chosen]
    records = {kind.name: narrowed(kind, applied) for kind in kinds}
    single = single_choice(applied)
    per_kind = {}
    for kind in kinds:

        def count(kind=kind):
            return per_year(records[kind.name], kind)

        per_kind[kind.name] = (
            count()
            if single is None
            else counts.remembered(f"timeline:{kind.name}:{single}", count)
        )
    timeline = Timeline(kinds, per_kind)
    if timeline.drawn and timeline.total:
        drawn = [item for kind in kinds for item in items(records[kind.name], kind)]
        timeline.items = sorted(drawn, key=lambda item: (item.began.first, item.title))
    return timeline


# --- Drawing ---------------------------------------------------------------------------------

#: The drawing's size in SVG units; on a narrow screen it scrolls sideways, not shrinks.
WIDTH, MARGIN = 960, 16
HEAD = 52  # era names (on two lines, as eras can be short) and year ticks
ROW = 28  # one drawn record
CHART = 160  # the bars of counts per year
#: How far an end not known is drawn past the last date known, before it fades.
UNKNOWN_STUB = 36


@dataclass
class Axis:
    """Years from ``first`` to ``last`` (inclusive) across the drawing."""

    first: int
    last: int

    @classmethod
    def around(cls, years, today):
        """The decades around ``years`` (today's, if there are none)."""
        if not years:
            years = [today.year]
        first, last = min(years), max(years)
        first -= first % 10  # start on a decade
        return cls(first, max(last, first + 9))

    def x(self, date):
        """The position of a day, or of the start of a year given as an int."""
        if isinstance(date, int):
            fraction = date
        else:
            start = datetime.date(date.year, 1, 1)
            fraction = date.year + (date - start).days / 366
        span = self.last + 1 - self.first
        return round(MARGIN + (fraction - self.first) / span * (WIDTH - 2 * MARGIN), 1)

    def ticks(self):
        span = self.last + 1 - self.first
        step = 1 if span <= 12 else 5 if span <= 40 else 10 if span <= 120 else 20
        return [(year, self.x(year)) for year in range(self.first, self.last + 2, step)]

    def bands(self, eras, today):
        """[(era, x, width, name)] of the eras over the axis, clipped to it. Names take two
        rows in turn, so each may run on to where the next name of its row begins; one cut
        to fit ends with "…", and one with no room for a word is left out (the band keeps
        its title)."""
        shown = []
        for era in eras:
            end = era.end_year or today.year
            if end < self.first or era.start_year > self.last:
                continue
            start, end = max(era.start_year, self.first), min(end, self.last)
            x = self.x(start)
            shown.append((era, x, round(self.x(end + 1) - x, 1)))
        named = []
        for number, (era, x, width) in enumerate(shown):
            room = (shown[number + 2][1] if number + 2 < len(shown) else WIDTH) - x
            named.append((era, x, width, fitted(era.title, int(room / NAME_CHARACTER) - 1)))
        return named


#: The width of a character of an era's name, about, in SVG units.
NAME_CHARACTER = 6.5


def fitted(text, characters):
    """``text`` cut to ``characters`` with "…", or "" if fewer than four would be left."""
    if len(text) <= characters:
        return text
    return text[: characters - 1].rstrip() + "…" if characters >= 4 else ""


@dataclass
class Bar:
    """The geometry of one drawn record, in SVG units."""

    item: Item
    y: int
    x: float  # where it began
    x_end: float  # where its end is drawn
    x_known: float  # the last day its start may be: an unknown end is dashed from here
    uncertain: list  # [(x, width)] of dates known only to the year or month
    pending: float | None  # an agreement's width from signing to entry into force

    @property
    def text_y(self):
        return self.y + 11

    @property
    def bar_y(self):
        return self.y + 15

    @property
    def middle_y(self):
        return self.y + 19

    @property
    def arrow(self):
        """The points of the arrowhead of a record that still holds."""
        x, y = self.x_end, self.bar_y
        return f"{x},{y - 2} {x + 7},{y + 4} {x},{y + 10}"

    @property
    def label_anchor(self):
        return "end" if self.x > WIDTH * 0.6 else "start"

    @property
    def label_x(self):
        return self.x_end if self.label_anchor == "end" else self.x

    @property
    def width(self):
        """The solid bar's width: to the end, or (the end unknown) to the start's last day."""
        end = self.x_known if self.item.end == "unknown" else self.x_end
        return round(max(end - self.x, 2), 1)


def bars(items, axis, today):
    drawn = []
    for index, item in enumerate(items):
        began, ended = item.began, item.ended
        x = axis.x(began.first)
        if item.end == "ended":
            x_end = axis.x(ended.last)
        elif item.end == "holds":
            x_end = axis.x(today)
        elif item.end == "unknown":
            x_end = min(axis.x(began.last) + UNKNOWN_STUB, WIDTH - MARGIN)
        else:
            x_end = axis.x(began.last)
        uncertain = [
            (axis.x(span.first), max(axis.x(span.last) - axis.x(span.first), 2))
            for span in (began, ended)
            if span is not None and span.first != span.last
        ]
        in_force, pending = item.spans.get("in_force"), None
        if in_force is not None and in_force.first > began.first:
            pending = round(axis.x(in_force.first) - x, 1)
        known = axis.x(began.last)
        drawn.append(Bar(item, HEAD + index * ROW, x, x_end, known, uncertain, pending))
    return drawn


@dataclass
class Column:
    """One year's counts drawn as stacked bars, each linking to that year's records."""

    year: int
    x: float
    width: float
    parts: list  # [(kind, title, y, height, url)] of the types with records that year
    cells: list  # [(count, url)] for every type shown, in order: the table's row
    narrowed: str  # the query string narrowing the timeline to the year


def columns(timeline, axis, url_for, narrowed_to):
    """The counts per year as columns; ``url_for(kind, year)`` is where each part links and
    ``narrowed_to(year)`` the timeline's query string for that year alone."""
    highest = max(timeline.per_year.values(), default=1) or 1
    drawn = []
    for year in timeline.years():
        x = axis.x(year)
        width = max(axis.x(year + 1) - x - 0.5, 0.8)
        bottom, parts, cells = HEAD + CHART, [], []
        for kind in timeline.kinds:
            count = timeline.counts[kind.name].get(year, 0)
            url = url_for(kind, year) if count else None
            cells.append((count, url))
            if not count:
                continue
            height = max(round(count / highest * CHART, 1), 1)
            bottom -= height
            title = f"{year}: {count} {str(kind.label).lower()}"
            parts.append((kind, title, round(bottom, 1), height, url))
        drawn.append(Column(year, x, round(width, 1), parts, cells, narrowed_to(year)))
    return drawn
