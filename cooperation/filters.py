"""FilterSets for the public lists. Every parameter is a slug or a plain value, so that the URL
is the state: shareable, bookmarkable and readable."""

import datetime

import django_filters as filters
from django import forms
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES

from .models import (
    Agreement,
    AgreementKind,
    AgreementStatus,
    ContentVersion,
    Era,
    Initiative,
    InitiativeCategory,
    Party,
    Scope,
    State,
    StoredFacetCounts,
    Threat,
    ThreatCategory,
    page_counts,
    published_links,
    stored_counts,
    threat_links,
    undated,
)

FIRST_YEAR, LAST_YEAR = 1800, 2100


class NullsLastOrderingFilter(filters.OrderingFilter):
    """Sorting that puts records without a value (an undated agreement) last, both ways and on
    every database (PostgreSQL puts NULLs first when sorting down, SQLite when sorting up)."""

    def filter(self, queryset, value):
        if value in EMPTY_VALUES:
            return queryset
        ordering = []
        for param in value:
            field = self.get_ordering_value(param)
            name = field.lstrip("-")
            ordering += [undated(name).asc(), F(name).desc() if field.startswith("-") else F(name)]
        return queryset.order_by(*ordering)


class YearFilter(filters.Filter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", FIRST_YEAR)
        kwargs.setdefault("max_value", LAST_YEAR)
        super().__init__(*args, **kwargs)


def slug_filter(field_name, queryset, label):
    """Several records chosen by slug through a foreign key: any of them matches."""
    return filters.ModelMultipleChoiceFilter(
        field_name=f"{field_name}__slug",
        to_field_name="slug",
        queryset=queryset,
        label=label,
        widget=forms.CheckboxSelectMultiple,
        # A foreign key gives each record once: DISTINCT would only cost a sort.
        distinct=False,
    )


def linked_filter(relation, queryset, label):
    """Several records chosen by slug through a many-to-many relation: any of them matches.

    It filters with EXISTS on the relation's table rather than a join, so that the list has no
    duplicate rows to remove with DISTINCT, and so that the database walks the list by its
    other filters' indexes and probes the relation for each record, rather than fetching
    every record linked to a popular choice."""

    def filter_linked(records, name, chosen):
        if not chosen:
            return records
        through, source, target = relation_table(records.model, relation)
        links = through.objects.filter(**{source: OuterRef("pk"), f"{target}__in": chosen})
        return records.filter(Exists(links))

    return filters.ModelMultipleChoiceFilter(
        to_field_name="slug",
        queryset=queryset,
        method=filter_linked,
        label=label,
        widget=forms.CheckboxSelectMultiple,
    )


def relation_table(model, relation):
    """(the table model of a many-to-many relation, its field to ``model``, its field to the
    other side)."""
    field = model._meta.get_field(relation)
    return field.remote_field.through, field.m2m_field_name(), field.m2m_reverse_field_name()


def choice_filter(choices, label):
    return filters.MultipleChoiceFilter(
        choices=choices, label=label, widget=forms.CheckboxSelectMultiple, distinct=False
    )


def year_start(year):
    return datetime.date(year, 1, 1)


def year_end(year):
    return datetime.date(year, 12, 31)


class FacetedFilterSet(filters.FilterSet):
    """A FilterSet whose multi-select filters report, for each choice, how many records it
    would give with the other current filters applied."""

    #: filter name -> the model field whose values the filter's choices are: a field with
    #: choices, a foreign key or a many-to-many relation to published records.
    facets = {}

    #: A facet of records (eras, parties…) offers at most this many choices, those with the
    #: most results, and any already chosen: a list of a thousand parties helps nobody.
    facet_choices_shown = 12

    q = filters.CharFilter(method="search", label=_("Search"), max_length=200)

    search_fields = ("title", "summary", "body")

    def search(self, queryset, name, value):
        condition = Q()
        for word in value.split():
            condition &= Q.create(
                [(f"{field}__icontains", word) for field in self.search_fields],
                connector=Q.OR,
            )
        return queryset.filter(condition)

    @property
    def valid_filters(self):
        """{name: value} of the filters given and valid; invalid ones are left out."""
        if not self.is_bound:
            return {}
        self.form.is_valid()
        return self.form.cleaned_data

    def filter_queryset_without(self, queryset, excluded):
        for name, value in self.valid_filters.items():
            if name not in (excluded, "ordering"):
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def facet_counts(self):
        """{filter name: {choice value or slug: number of records}}."""
        counts = {}
        for name, field_name in self.facets.items():
            counted = self.count_facet(name, field_name)
            field = self.form.fields[name]
            if isinstance(field, forms.ModelMultipleChoiceField):
                slugs = dict(field.queryset.filter(pk__in=counted).values_list("pk", "slug"))
                counted = {slugs[pk]: total for pk, total in counted.items() if pk in slugs}
            counts[name] = counted
        return counts

    def count_facet(self, name, field_name):
        """{choice value, or related record's id: number of records} with the other filters
        applied: one grouped query (two for a relation without other filters).

        Records are grouped by the column itself (a foreign key's id, not the related record's
        slug), so that an index on (state, column) answers without reading the table."""
        model = self.queryset.model
        field = model._meta.get_field(field_name)
        if field.many_to_many and not self.other_filters_apply(name):
            return published_links(model, field_name)
        records = self.filter_queryset_without(self.queryset, name).order_by()
        if field.many_to_many:
            through, source, target = relation_table(model, field_name)
            rows = through.objects.filter(**{f"{source}__in": records.values("pk")})
            column = f"{target}_id"
        else:
            rows, column = records.filter(**{f"{field.attname}__isnull": False}), field.attname
        per_value = rows.values_list(column).annotate(total=Count("*"))
        return dict(per_value.values_list(column, "total"))

    def any_filter_applies(self):
        return self.other_filters_apply(None)

    def stored_counts(self):
        return stored_counts(self.list_name)

    def other_filters_apply(self, name):
        # An empty choice cleans to an empty list or QuerySet.none(): neither costs a query.
        return any(
            value for other, value in self.valid_filters.items() if other not in (name, "ordering")
        )

    def facet_options(self):
        """[{name, label, options: [{value, label, count, checked}], hidden: int}] for the
        page: every choice of a field with choices; for records, the most frequent ones and
        the chosen ones, in their usual order; ``hidden`` says how many were left out."""
        stored = None if self.any_filter_applies() else self.stored_counts()
        facets = []
        for name, field_name in self.facets.items():
            field = self.form.fields[name]
            counted = stored[name] if stored else self.count_facet(name, field_name)
            values = stored["sizes"][name] if stored else len(counted)
            chosen = {str(value) for value in self.form.data.getlist(name)}
            if isinstance(field, forms.ModelMultipleChoiceField):
                options, hidden = self.record_options(field, counted, chosen, values)
            else:
                options, hidden = (
                    [(value, label, counted.get(value, 0)) for value, label in field.choices],
                    0,
                )
            facets.append(
                {
                    "name": name,
                    "label": field.label,
                    "options": [
                        {
                            "value": str(value),
                            "label": label,
                            "count": count,
                            "checked": str(value) in chosen,
                        }
                        for value, label, count in options
                    ],
                    "hidden": hidden,
                }
            )
        return facets

    def record_options(self, field, counted, chosen, values):
        """([(slug, label, count)], number left out) of a facet of records: the published ones
        with most results, and the chosen ones, fetched in one query. ``values``: how many
        records have a count, ``counted`` holding at least the most frequent."""
        ranked = sorted(counted, key=lambda pk: -counted[pk])
        # Twice as many candidates as shown, in case some are not published.
        candidates = ranked[: 2 * self.facet_choices_shown]
        records = list(field.queryset.filter(Q(pk__in=candidates) | Q(slug__in=chosen)))
        shown = sorted(records, key=lambda record: -counted.get(record.pk, 0))
        top = {record.pk for record in shown[: self.facet_choices_shown]}
        shown = [r for r in records if r.pk in top or r.slug in chosen]
        options = [(record.slug, str(record), counted.get(record.pk, 0)) for record in shown]
        return options, values - sum(1 for record in shown if record.pk in counted)

    def active_filters(self):
        """[(filter name, label, [(value, label)])] for the valid filters in use."""
        active = []
        for name, value in self.valid_filters.items():
            if value in (None, "", [], ()) or name == "ordering":
                continue
            field = self.form.fields[name]
            if hasattr(value, "__iter__") and not isinstance(value, str):
                labels = dict(field.choices) if hasattr(field, "choices") else {}
                values = [
                    (getattr(item, "slug", item), labels.get(item, str(item))) for item in value
                ]
            else:
                values = [(value, str(value))]
            active.append((name, field.label, values))
        return active


#: The lists whose unfiltered facet counts are stored, by name.
STORED_LISTS = {}


def stored_list(filterset_class):
    STORED_LISTS[filterset_class.list_name] = filterset_class
    return filterset_class


@stored_list
class AgreementFilter(FacetedFilterSet):
    list_name = "agreement"
    era = slug_filter("era", Era.objects.published(), _("Era"))
    kind = choice_filter(AgreementKind.choices, _("Kind"))
    scope = choice_filter(Scope.choices, _("Scope"))
    status = choice_filter(AgreementStatus.choices, _("Status"))
    party = linked_filter("parties", Party.objects.published(), _("Party"))
    threat = linked_filter("threats", Threat.objects.published(), _("Threat"))
    signed_from = YearFilter(method="signed_from_year", label=_("Signed from (year)"))
    signed_to = YearFilter(method="signed_to_year", label=_("Signed until (year)"))
    in_force_in = YearFilter(method="in_force_in_year", label=_("In force in (year)"))
    ordering = NullsLastOrderingFilter(
        fields=(("title", "title"), ("signed_date", "signed"), ("era__start_year", "era")),
        field_labels={
            "title": _("Title"),
            "signed_date": _("Date signed"),
            "era__start_year": _("Era"),
        },
        label=_("Sort by"),
        empty_label=_("Default order"),
    )

    facets = {
        "era": "era",
        "kind": "kind",
        "scope": "scope",
        "status": "status",
        "party": "parties",
        "threat": "threats",
    }

    class Meta:
        model = Agreement
        fields = []

    def signed_from_year(self, queryset, name, year):
        return queryset.filter(signed_date__gte=year_start(year))

    def signed_to_year(self, queryset, name, year):
        return queryset.filter(signed_date__lte=year_end(year))

    def in_force_in_year(self, queryset, name, year):
        """In force at some point of the year: begun by its end (in force, else signed) and not
        ended before it began. An agreement never signed nor in force is not counted."""
        return queryset.alias(began=Coalesce("in_force_date", "signed_date")).filter(
            Q(began__lte=year_end(year)),
            Q(ended_date__isnull=True) | Q(ended_date__gte=year_start(year)),
        )


@stored_list
class InitiativeFilter(FacetedFilterSet):
    list_name = "initiative"
    era = slug_filter("era", Era.objects.published(), _("Era"))
    category = choice_filter(InitiativeCategory.choices, _("Category"))
    agreement = slug_filter("agreement", Agreement.objects.published(), _("Agreement"))
    participant = linked_filter("participants", Party.objects.published(), _("Participant"))
    threat = linked_filter("threats", Threat.objects.published(), _("Threat"))
    active_in = YearFilter(method="active_in_year", label=_("Active in (year)"))
    ordering = NullsLastOrderingFilter(
        fields=(("title", "title"), ("started_date", "started"), ("era__start_year", "era")),
        field_labels={"title": _("Title"), "started_date": _("Start"), "era__start_year": _("Era")},
        label=_("Sort by"),
        empty_label=_("Default order"),
    )

    facets = {
        "era": "era",
        "category": "category",
        "agreement": "agreement",
        "participant": "participants",
        "threat": "threats",
    }

    class Meta:
        model = Initiative
        fields = []

    def active_in_year(self, queryset, name, year):
        return queryset.filter(
            Q(started_date__lte=year_end(year)),
            Q(ended_date__isnull=True) | Q(ended_date__gte=year_start(year)),
        )


@stored_list
class ThreatFilter(FacetedFilterSet):
    list_name = "threat"
    category = choice_filter(ThreatCategory.choices, _("Category"))
    era = filters.ModelMultipleChoiceFilter(
        to_field_name="slug",
        queryset=Era.objects.published(),
        method="in_eras",
        label=_("Era"),
        widget=forms.CheckboxSelectMultiple,
    )
    ordering = NullsLastOrderingFilter(
        fields=(("title", "title"), ("category", "category")),
        field_labels={"title": _("Name"), "category": _("Category")},
        label=_("Sort by"),
        empty_label=_("Default order"),
    )

    facets = {"category": "category", "era": "era"}

    class Meta:
        model = Threat
        fields = []

    def count_facet(self, name, field_name):
        if name != "era":
            return super().count_facet(name, field_name)
        # A threat belongs to an era through its agreements and its initiatives: count each
        # threat once per era whichever way it is reached.
        if self.other_filters_apply("era"):
            threats = self.filter_queryset_without(self.queryset, "era").order_by().values("pk")
            which = {"threat__in": threats}
        else:  # a join to the few threats costs less than a subquery listing them all
            which = {"threat__state": State.PUBLISHED}
        pairs = set()
        for links, record in threat_links():
            pairs |= set(
                links.filter(**which, **{f"{record}__era__isnull": False})
                .values_list(f"{record}__era", "threat")
                .distinct()
            )
        era_counts = {}
        for era, _threat in pairs:
            era_counts[era] = era_counts.get(era, 0) + 1
        return era_counts

    def in_eras(self, queryset, name, eras):
        """Threats addressed by an agreement or initiative of one of the eras."""
        if not eras:
            return queryset
        return queryset.addressed_in_eras(eras)


def store_facet_counts():
    """Count the facets of each list with no filter chosen and store them with the content
    version they count: run once after each committed change."""
    version = ContentVersion.objects.filter(pk=1).values_list("number", flat=True).first()
    if version is None:
        return
    for list_name, filterset_class in STORED_LISTS.items():
        filterset = filterset_class(None, queryset=filterset_class._meta.model.objects.published())
        counts, sizes = {}, []
        for name, field_name in filterset.facets.items():
            counted = filterset.count_facet(name, field_name)
            # A page offers the most frequent records only: keep the candidates, and how
            # many there are in all (an initiative list's agreements number in the tens of
            # thousands).
            pairs = sorted(counted.items(), key=lambda pair: -pair[1])
            if isinstance(filterset.form.fields[name], forms.ModelMultipleChoiceField):
                pairs = pairs[: 2 * filterset.facet_choices_shown]
            counts[name] = pairs
            sizes.append([name, len(counted)])
        counts["sizes"] = sizes
        StoredFacetCounts.objects.update_or_create(
            list_name=list_name, defaults={"version": version, "counts": counts}
        )
    for name, counts in page_counts().items():
        StoredFacetCounts.objects.update_or_create(
            list_name=name, defaults={"version": version, "counts": counts}
        )


class RecordType(models.TextChoices):
    ERA = "era", _("eras")
    AGREEMENT = "agreement", _("agreements")
    INITIATIVE = "initiative", _("initiatives")
    EVENT = "event", _("events")
    THREAT = "threat", _("threats")
    PARTY = "party", _("parties")


def addressed_by(groups):
    """A condition on threats: among the ``groups`` ({type: queryset of records}), or
    addressed by one of their records."""
    condition = Q(pk__in=groups["threat"].values("pk")) if "threat" in groups else Q(pk=None)
    for records in groups.values():
        if hasattr(records.model, "threats"):
            through = records.model.threats.through
            source = records.model._meta.get_field("threats").m2m_field_name()
            links = through.objects.filter(**{f"{source}__in": records.values("pk")})
            condition |= Q(pk__in=links.values("threat"))
    return condition


class LinkedRecordsForm(forms.Form):
    """Narrows the records listed on a section or era page: by type, words and threat."""

    type = forms.ChoiceField(
        label=_("Type"), choices=[("", _("All types")), *RecordType.choices], required=False
    )
    q = forms.CharField(label=_("Search"), max_length=200, required=False)
    threat = forms.ModelMultipleChoiceField(
        label=_("Threat"),
        queryset=Threat.objects.published(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, groups=None, **kwargs):
        super().__init__(*args, **kwargs)
        if groups is not None:
            # Offer only the threats these records address, not every threat there is.
            self.fields["threat"].queryset = Threat.objects.published().filter(addressed_by(groups))

    def filter_groups(self, groups):
        """Keep, from {type: queryset}, the groups and records that match the valid fields."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        chosen_type, words, threats = data.get("type"), data.get("q"), data.get("threat")
        filtered = {}
        for type_, queryset in groups.items():
            if chosen_type and type_ != chosen_type:
                continue
            for word in (words or "").split():
                queryset = queryset.filter(Q(title__icontains=word) | Q(summary__icontains=word))
            if threats:
                if type_ == RecordType.THREAT:
                    queryset = queryset.filter(pk__in=[threat.pk for threat in threats])
                elif hasattr(queryset.model, "threats"):
                    queryset = queryset.filter(threats__in=threats).distinct()
                else:
                    continue
            filtered[type_] = queryset
        return filtered
