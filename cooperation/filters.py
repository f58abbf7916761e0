"""FilterSets for the public lists. Every parameter is a slug or a plain value, so that the URL
is the state: shareable, bookmarkable and readable."""

import datetime

import django_filters as filters
from django import forms
from django.db import models
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from .models import (
    Agreement,
    AgreementKind,
    AgreementStatus,
    Era,
    Initiative,
    InitiativeCategory,
    Party,
    Scope,
    Threat,
    ThreatCategory,
    threat_links,
)

FIRST_YEAR, LAST_YEAR = 1800, 2100


class NullsLastOrderingFilter(filters.OrderingFilter):
    """Sorting that puts records without a value (an undated agreement) last, both ways and on
    every database (PostgreSQL puts NULLs first when sorting down)."""

    def get_ordering_value(self, param):
        value = super().get_ordering_value(param)
        field = F(value.lstrip("-"))
        return field.desc(nulls_last=True) if value.startswith("-") else field.asc(nulls_last=True)


class YearFilter(filters.Filter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", FIRST_YEAR)
        kwargs.setdefault("max_value", LAST_YEAR)
        super().__init__(*args, **kwargs)


def slug_filter(field_name, queryset, label, *, distinct):
    """Several records chosen by slug: any of them matches."""
    return filters.ModelMultipleChoiceFilter(
        field_name=f"{field_name}__slug",
        to_field_name="slug",
        queryset=queryset,
        label=label,
        distinct=distinct,
        widget=forms.CheckboxSelectMultiple,
    )


def choice_filter(choices, label):
    return filters.MultipleChoiceFilter(
        choices=choices, label=label, widget=forms.CheckboxSelectMultiple
    )


def year_start(year):
    return datetime.date(year, 1, 1)


def year_end(year):
    return datetime.date(year, 12, 31)


class FacetedFilterSet(filters.FilterSet):
    """A FilterSet whose multi-select filters report, for each choice, how many records it
    would give with the other current filters applied."""

    #: filter name -> the lookup whose values the filter's choices are.
    facets = {}

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
        """{filter name: {choice value: number of records}} — one grouped query per facet."""
        counts = {}
        for name, lookup in self.facets.items():
            queryset = self.filter_queryset_without(self.queryset, name)
            rows = (
                queryset.order_by()
                .values_list(lookup)
                .annotate(total=Count("pk", distinct=True))
                .values_list(lookup, "total")
            )
            counts[name] = {value: total for value, total in rows if value is not None}
        return counts

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


class AgreementFilter(FacetedFilterSet):
    era = slug_filter("era", Era.objects.published(), _("Era"), distinct=False)
    kind = choice_filter(AgreementKind.choices, _("Kind"))
    scope = choice_filter(Scope.choices, _("Scope"))
    status = choice_filter(AgreementStatus.choices, _("Status"))
    party = slug_filter("parties", Party.objects.published(), _("Party"), distinct=True)
    threat = slug_filter("threats", Threat.objects.published(), _("Threat"), distinct=True)
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
        "era": "era__slug",
        "kind": "kind",
        "scope": "scope",
        "status": "status",
        "party": "parties__slug",
        "threat": "threats__slug",
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


class InitiativeFilter(FacetedFilterSet):
    era = slug_filter("era", Era.objects.published(), _("Era"), distinct=False)
    category = choice_filter(InitiativeCategory.choices, _("Category"))
    agreement = slug_filter(
        "agreement", Agreement.objects.published(), _("Agreement"), distinct=False
    )
    participant = slug_filter(
        "participants", Party.objects.published(), _("Participant"), distinct=True
    )
    threat = slug_filter("threats", Threat.objects.published(), _("Threat"), distinct=True)
    active_in = YearFilter(method="active_in_year", label=_("Active in (year)"))
    ordering = NullsLastOrderingFilter(
        fields=(("title", "title"), ("started_date", "started"), ("era__start_year", "era")),
        field_labels={"title": _("Title"), "started_date": _("Start"), "era__start_year": _("Era")},
        label=_("Sort by"),
        empty_label=_("Default order"),
    )

    facets = {
        "era": "era__slug",
        "category": "category",
        "agreement": "agreement__slug",
        "participant": "participants__slug",
        "threat": "threats__slug",
    }

    class Meta:
        model = Initiative
        fields = []

    def active_in_year(self, queryset, name, year):
        return queryset.filter(
            Q(started_date__lte=year_end(year)),
            Q(ended_date__isnull=True) | Q(ended_date__gte=year_start(year)),
        )


class ThreatFilter(FacetedFilterSet):
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

    facets = {"category": "category"}

    class Meta:
        model = Threat
        fields = []

    def facet_counts(self):
        counts = super().facet_counts()
        # A threat belongs to an era through its agreements and its initiatives: count each
        # threat once per era whichever way it is reached.
        threats = self.filter_queryset_without(self.queryset, "era").order_by().values("pk")
        pairs = set()
        for links, record in threat_links():
            pairs |= set(
                links.filter(threat__in=threats, **{f"{record}__era__isnull": False})
                .values_list(f"{record}__era__slug", "threat")
                .distinct()
            )
        era_counts = {}
        for era, _threat in pairs:
            if era is not None:
                era_counts[era] = era_counts.get(era, 0) + 1
        counts["era"] = era_counts
        return counts

    def in_eras(self, queryset, name, eras):
        """Threats addressed by an agreement or initiative of one of the eras."""
        if not eras:
            return queryset
        return queryset.addressed_in_eras(eras)


class RecordType(models.TextChoices):
    ERA = "era", _("eras")
    AGREEMENT = "agreement", _("agreements")
    INITIATIVE = "initiative", _("initiatives")
    EVENT = "event", _("events")
    THREAT = "threat", _("threats")
    PARTY = "party", _("parties")


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
