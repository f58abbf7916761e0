"""Facets: a list's filters offered as choices, each with the number of records it would give
under the other filters chosen. One class per kind of facet, each knowing how to count and
which choices to offer; ``FacetedList`` counts a page's facets together.

Each count is grouped on a column (a foreign key's id, not the related record's slug), so
that an index on (state, column) answers it without reading the table."""

from dataclasses import dataclass
from functools import cached_property

from django.db.models import Count, Q

from . import counts
from .dates import YearOf
from .models import State, Threat


@dataclass
class Counted:
    """A facet's counts: {value: number of records}, for its most frequent values at least,
    and how many values have records in all (``size``)."""

    counts: dict
    size: int


@dataclass
class Option:
    value: str
    label: str
    count: int
    checked: bool
    #: The parameter the option sets, where it is not the facet's own (a date facet's years).
    name: str = ""


@dataclass
class ShownFacet:
    name: str
    label: str
    options: list
    #: Values with records that are not offered: the list of a thousand parties helps nobody.
    hidden: int = 0


class Facet:
    """What every facet shares: the filter it offers choices of (``name``), and the filters
    it is counted without (``own``: its own)."""

    def __init__(self, name):
        self.name = name
        self.own = {name}


class ChoiceFacet(Facet):
    """A column with choices (an agreement's kind): every choice is offered. Choice facets
    under the same filters are counted together, in one pass over the records."""

    def __init__(self, name, column=None):
        super().__init__(name)
        self.column = column or name

    def count(self, records, model):
        return counts.per_value(records, self.column)

    count_all = count

    def summarize(self, counted):
        return Counted(counted, len(counted))

    def options(self, form_field, counted, chosen):
        return [
            Option(value, label, counted.counts.get(value, 0), value in chosen)
            for value, label in form_field.choices
        ], 0


class RecordFacet(Facet):
    """A foreign key to records (an agreement's era): the records with most results are
    offered, and the chosen ones."""

    #: How many of the most frequent records are offered.
    shown = 12

    def __init__(self, name, field_name=None):
        super().__init__(name)
        self.field_name = field_name or name

    def count(self, records, model):
        """Per published record: a draft era is never counted, nor said to exist."""
        column = model._meta.get_field(self.field_name).attname
        published = records.filter(**{f"{self.field_name}__state": State.PUBLISHED})
        return counts.per_value(published, column)

    count_all = count

    def summarize(self, counted):
        """Twice as many candidates as shown, in case some of them are not published."""
        ranked = sorted(counted.items(), key=lambda pair: -pair[1])[: 2 * self.shown]
        return Counted(dict(ranked), len(counted))

    def options(self, form_field, counted, chosen, shown=None):
        """The published records with most results (``shown`` of them) and the chosen ones,
        in their usual order, fetched in one query; and how many with results are left out."""
        shown_count = shown or self.shown
        candidates = sorted(counted.counts, key=lambda pk: -counted.counts[pk])[: 2 * shown_count]
        chosen_ids = [record.pk for record in chosen]
        records = list(form_field.queryset.filter(Q(pk__in=candidates) | Q(pk__in=chosen_ids)))
        ranked = sorted(records, key=lambda record: -counted.counts.get(record.pk, 0))
        top = {record.pk for record in ranked[:shown_count]}
        shown = [r for r in records if r.pk in top or r.pk in chosen_ids]
        options = [
            Option(
                record.slug, str(record), counted.counts.get(record.pk, 0), record.pk in chosen_ids
            )
            for record in shown
        ]
        return options, counted.size - sum(1 for r in shown if r.pk in counted.counts)


class LinkFacet(RecordFacet):
    """A many-to-many relation to records (an agreement's parties), counted on the relation's
    table."""

    def count(self, records, model):
        through, source, target = counts.relation_table(model, self.field_name)
        links = through.objects.filter(
            **{f"{source}__in": records.values("pk"), f"{target}__state": State.PUBLISHED}
        )
        return counts.per_value(links, f"{target}_id")

    def count_all(self, records, model):
        return counts.published_links(model, self.field_name)


class ThreatEraFacet(RecordFacet):
    """The eras of threats, which belong to an era through the agreements and initiatives
    that address them: each threat is counted once per era, whichever way it is reached."""

    def count(self, records, model):
        return self.count_pairs({"threat__in": records.values("pk")})

    def count_all(self, records, model):
        # A join to the few threats costs less than a subquery listing them all.
        return self.count_pairs({"threat__state": "published"})

    @staticmethod
    def count_pairs(which):
        pairs = set()
        for links, record in Threat.links():
            pairs |= set(
                links.filter(**which, **{f"{record}__era__state": State.PUBLISHED})
                .values_list(f"{record}__era", "threat")
                .distinct()
            )
        per_era = {}
        for era, _threat in pairs:
            per_era[era] = per_era.get(era, 0) + 1
        return per_era


class DateFacet(Facet):
    """A list's dates (an agreement's signing) by decade, then, a decade chosen, by year: the
    filters ``decade`` and ``year``, which narrow as the era facet does."""

    def __init__(self, field_name, label):
        super().__init__("decade")
        self.own = {"decade", "year"}
        self.field_name = field_name
        self.label = label

    def count(self, records, model):
        dated = records.filter(**{f"{self.field_name}__isnull": False})
        return counts.per_value(dated.annotate(year=YearOf(self.field_name)), "year")

    count_all = count

    def summarize(self, counted):
        return Counted(counted, len(counted))

    def shown(self, counted, applied):
        """Decades with their counts; within the chosen decades, their years."""
        decades, years = set(applied.get("decade") or ()), set(applied.get("year") or ())
        per_decade = {}
        for year, total in counted.counts.items():
            per_decade[year - year % 10] = per_decade.get(year - year % 10, 0) + total
        options = []
        for decade in sorted(per_decade | dict.fromkeys(decades, 0)):
            options.append(
                Option(str(decade), f"{decade}s", per_decade.get(decade, 0), decade in decades)
            )
            if decade in decades or any(year - year % 10 == decade for year in years):
                options += [
                    Option(str(year), str(year), counted.counts.get(year, 0), year in years, "year")
                    for year in range(decade, decade + 10)
                    if year in counted.counts or year in years
                ]
        return ShownFacet(self.name, self.label, options)


class FacetedList:
    """The facets of one page of a FilterSet: each counted under the valid filters other than
    its own, and offered with its chosen values."""

    #: A facet asked for in full ("Show them all") offers at most this many choices.
    EXPANDED = 300

    def __init__(self, filterset, facets, expanded=()):
        """``expanded``: the names of record facets to offer in full."""
        self.filterset = filterset
        self.facets = facets
        self.model = filterset.queryset.model
        self.expanded = set(expanded)

    @cached_property
    def applied(self):
        """{filter name: value} of the valid filters that narrow the list. An empty choice
        cleans to an empty list or QuerySet.none(): testing either costs no query."""
        if not self.filterset.is_bound:
            return {}
        form = self.filterset.form
        form.is_valid()  # invalid parameters are left out of cleaned_data, and reported
        return {
            name: value
            for name, value in form.cleaned_data.items()
            if name != "ordering" and value not in (None, "") and value
        }

    def records_without(self, excluded):
        """The records under the filters but ``excluded`` (a facet's own, or None)."""
        excluded = excluded.own if isinstance(excluded, Facet) else {excluded}
        records = self.filterset.queryset
        for name, value in self.applied.items():
            if name not in excluded:
                records = self.filterset.filters[name].filter(records, value)
        return records.order_by()

    def counted(self):
        """{facet name: Counted}. The counts of the unfiltered list, and of the list narrowed
        to one value of one facet (the pages every record links to), are remembered; any
        other page counts now."""
        name = f"facets:{self.model._meta.model_name}"
        if not self.applied:
            return counts.remembered(name, self.count_unfiltered)
        if single := counts.single_choice(self.applied, {facet.name for facet in self.facets}):
            return counts.remembered(f"{name}:{single}", self.count_filtered)
        return self.count_filtered()

    def count_filtered(self):
        """A facet that only its own filter narrows has the unfiltered counts: read if
        remembered, else counted alone. The others are counted under the filters."""
        name = f"facets:{self.model._meta.model_name}"
        alone = [facet for facet in self.facets if not self.applied.keys() - facet.own]
        unfiltered = counts.recalled(name) if alone else None
        if unfiltered is not None:
            result = {facet.name: unfiltered[facet.name] for facet in alone}
        else:
            records = self.filterset.queryset.order_by()
            result = {
                facet.name: facet.summarize(facet.count_all(records, self.model)) for facet in alone
            }
        narrowed = [facet for facet in self.facets if facet.name not in result]
        return result | self.count_narrowed(narrowed)

    def count_unfiltered(self):
        records = self.filterset.queryset.order_by()
        choices = [facet for facet in self.facets if isinstance(facet, ChoiceFacet)]
        result = self.count_together(choices, records)
        for facet in self.facets:
            if facet.name not in result:
                result[facet.name] = facet.summarize(facet.count_all(records, self.model))
        return result

    def count_narrowed(self, facets):
        """Choice facets that are not themselves chosen share the same filters: they are
        counted together; every other facet under the filters but its own."""
        together = [
            facet
            for facet in facets
            if isinstance(facet, ChoiceFacet) and not facet.own & self.applied.keys()
        ]
        result = self.count_together(together, self.records_without(None))
        for facet in facets:
            if facet.name not in result:
                records = self.records_without(facet)
                result[facet.name] = facet.summarize(facet.count(records, self.model))
        return result

    @staticmethod
    def count_together(facets, records):
        """The counts of several choice facets over the same ``records`` in one pass: records
        grouped by all their columns at once (a few hundred groups at most), then summed
        per column."""
        if len(facets) < 2:
            return {}
        columns = [facet.column for facet in facets]
        per_facet = {facet.name: {} for facet in facets}
        for *values, total in records.values_list(*columns).annotate(total=Count("*")):
            for facet, value in zip(facets, values, strict=True):
                if value is not None:
                    tally = per_facet[facet.name]
                    tally[value] = tally.get(value, 0) + total
        return {facet.name: facet.summarize(per_facet[facet.name]) for facet in facets}

    def shown(self):
        """[ShownFacet] for the page, in the order the facets are declared."""
        counted = self.counted()
        form = self.filterset.form
        result = []
        for facet in self.facets:
            if isinstance(facet, DateFacet):
                result.append(facet.shown(counted[facet.name], self.applied))
                continue
            form_field = form.fields[facet.name]
            chosen = list(self.applied.get(facet.name) or [])
            if isinstance(facet, RecordFacet) and facet.name in self.expanded:
                full = self.count_in_full(facet)
                options, hidden = facet.options(form_field, full, chosen, self.EXPANDED)
            else:
                options, hidden = facet.options(form_field, counted[facet.name], chosen)
            result.append(ShownFacet(facet.name, form_field.label, options, hidden))
        return result

    def count_in_full(self, facet):
        """All of a record facet's counts (the remembered ones keep the most frequent)."""
        if self.applied.keys() - facet.own:
            counted = facet.count(self.records_without(facet), self.model)
        else:
            counted = facet.count_all(self.filterset.queryset.order_by(), self.model)
        return Counted(counted, len(counted))
