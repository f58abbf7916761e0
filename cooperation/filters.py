"""FilterSets for the public lists. Every parameter is a slug or a plain value, so that the URL
is the state: shareable, bookmarkable and readable. What the filters mean lives in the
QuerySets; how they are counted, in ``cooperation.facets``."""

import django_filters as filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from .counts import relation_table
from .dates import in_years, undated
from .models import (
    Agreement,
    AgreementKind,
    AgreementStatus,
    Claim,
    ClaimVerdict,
    Era,
    Initiative,
    InitiativeCategory,
    InitiativeStatus,
    Party,
    Scope,
    Section,
    Threat,
    ThreatCategory,
)
from .search import QueryField

#: The years a year filter accepts.
FIRST_YEAR, LAST_YEAR = 1800, 2100


class NullsLastOrderingFilter(filters.OrderingFilter):
    """Sorting that puts records without a value (an undated agreement) last, both ways and on
    every database (PostgreSQL puts NULLs first when sorting down, SQLite when sorting up)."""

    def filter(self, queryset, value):
        ordering = []
        for param in value or ():
            if not param:  # "?ordering=title," has an empty item, as django-filter allows
                continue
            field = self.get_ordering_value(param)
            name = field.lstrip("-")
            ordering += [undated(name).asc(), F(name).desc() if field.startswith("-") else F(name)]
        return queryset.order_by(*ordering) if ordering else queryset


def ordering_filter(fields):
    """Sorting by ``fields`` ({field: (parameter, label)}), the default order first."""
    return NullsLastOrderingFilter(
        fields={field: parameter for field, (parameter, _label) in fields.items()},
        field_labels={field: label for field, (_parameter, label) in fields.items()},
        label=_("Sort by"),
        empty_label=_("Default order"),
    )


class YearFilter(filters.Filter):
    """A year, from FIRST_YEAR to LAST_YEAR; the form field gives its input those bounds."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", FIRST_YEAR)
        kwargs.setdefault("max_value", LAST_YEAR)
        super().__init__(*args, **kwargs)


def chosen_through(records, field_name, chosen):
    """The records whose foreign key ``field_name`` holds one of ``chosen`` (all of them if
    none is chosen). They are filtered by the chosen records' ids, so that the query needs no
    join to the other table and the database reads it through its index on (state, foreign
    key)."""
    return records.filter(**{f"{field_name}__in": chosen}) if chosen else records


def linked_to(records, relation, chosen):
    """The records linked by the many-to-many ``relation`` to one of ``chosen`` (all of them
    if none is chosen).

    It filters with EXISTS on the relation's table rather than a join, so that the list has no
    duplicate rows to remove with DISTINCT, and so that the database walks the list by its
    other filters' indexes and probes the relation for each record, rather than fetching
    every record linked to a popular choice."""
    if not chosen:
        return records
    through, source, target = relation_table(records.model, relation)
    links = through.objects.filter(**{source: OuterRef("pk"), f"{target}__in": chosen})
    return records.filter(Exists(links))


def slug_filter(field_name, queryset, label):
    """Several records chosen by slug through a foreign key: any of them matches."""

    def filter_chosen(records, name, chosen):
        return chosen_through(records, field_name, chosen)

    return filters.ModelMultipleChoiceFilter(
        to_field_name="slug",
        queryset=queryset,
        method=filter_chosen,
        label=label,
        widget=forms.CheckboxSelectMultiple,
    )


def linked_filter(relation, queryset, label):
    """Several records chosen by slug through a many-to-many relation: any of them matches
    (see ``linked_to``)."""

    def filter_linked(records, name, chosen):
        return linked_to(records, relation, chosen)

    return filters.ModelMultipleChoiceFilter(
        to_field_name="slug",
        queryset=queryset,
        method=filter_linked,
        label=label,
        widget=forms.CheckboxSelectMultiple,
    )


def records_field(queryset, label, widget=forms.CheckboxSelectMultiple):
    """A form field of several published records chosen by slug, as every page's URL names
    them."""
    return forms.ModelMultipleChoiceField(
        label=label, queryset=queryset, to_field_name="slug", required=False, widget=widget
    )


class YearsField(forms.Field):
    """Several years (or decades: ``step=10``, each given by its first year), each from
    FIRST_YEAR to LAST_YEAR. It has no choices: the facet offers the years that have records,
    and a form field with three hundred choices would be copied for every request."""

    widget = forms.MultipleHiddenInput
    #: More values than this in one parameter are refused: no list needs them.
    MAX_VALUES = 20

    def __init__(self, *, step=1, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.step = step

    def to_python(self, value):
        values = [item for item in (value or ()) if item != ""]
        if len(values) > self.MAX_VALUES:
            raise forms.ValidationError(
                _("Choose at most %(limit)d.") % {"limit": self.MAX_VALUES}, code="too_many"
            )
        years = []
        for item in values:
            try:
                year = int(item)
            except (TypeError, ValueError):
                year = None
            if year is None or not FIRST_YEAR <= year <= LAST_YEAR or year % self.step:
                raise forms.ValidationError(self.error(item), code="invalid")
            years.append(year)
        return sorted(set(years))

    def error(self, item):
        item = str(item)[:20]
        if self.step == 10:
            return _("“%(value)s” is not a decade (a year ending in 0, %(first)d to %(last)d).") % {
                "value": item,
                "first": FIRST_YEAR,
                "last": LAST_YEAR,
            }
        return _("“%(value)s” is not a year from %(first)d to %(last)d.") % {
            "value": item,
            "first": FIRST_YEAR,
            "last": LAST_YEAR,
        }

    def label_of(self, year):
        return f"{year}s" if self.step == 10 else str(year)


class YearsFilter(filters.Filter):
    field_class = YearsField


def date_filters(field_name):
    """The decade and year filters of a list's main date: several decades or years chosen,
    a record dated in any of them matches."""

    def dated_in(span):
        def filter_dated(records, name, chosen):
            if not chosen:
                return records
            years = {year for start in chosen for year in range(start, start + span)}
            return records.filter(in_years(field_name, years))

        return filter_dated

    return (
        YearsFilter(step=10, method=dated_in(10), label=_("Decade")),
        YearsFilter(step=1, method=dated_in(1), label=_("Year")),
    )


def choice_filter(choices, label):
    return filters.MultipleChoiceFilter(
        choices=choices, label=label, widget=forms.CheckboxSelectMultiple, distinct=False
    )


class SearchFilter(filters.Filter):
    """Words and phrases, looked up in the site-wide search index."""

    field_class = QueryField


class RecordFilterSet(filters.FilterSet):
    """What every public list offers: words to search for."""

    q = SearchFilter(method="search", label=_("Search"))

    def search(self, records, name, query):
        return records.search(query)

    @classmethod
    def parameter_for(cls, model):
        """The name of the filter that takes records of ``model``, or None."""
        for name, list_filter in cls.base_filters.items():
            queryset = getattr(list_filter, "queryset", None)
            if queryset is not None and queryset.model is model:
                return name
        return None


class AgreementFilter(RecordFilterSet):
    era = slug_filter("era", Era.objects.published(), _("Era"))
    kind = choice_filter(AgreementKind.choices, _("Kind"))
    scope = choice_filter(Scope.choices, _("Scope"))
    status = choice_filter(AgreementStatus.choices, _("Status"))
    party = linked_filter("parties", Party.objects.published(), _("Party"))
    threat = linked_filter("threats", Threat.objects.published(), _("Threat"))
    signed_from = YearFilter(method="signed_from_year", label=_("Signed from (year)"))
    signed_to = YearFilter(method="signed_to_year", label=_("Signed until (year)"))
    decade, year = date_filters("signed_date")
    in_force_in = YearFilter(method="in_force_in_year", label=_("In force in (year)"))
    end_unknown_in = YearFilter(
        method="end_unknown_in_year", label=_("In force by, end date unknown (year)")
    )
    ordering = ordering_filter(
        {
            "title": ("title", _("Title")),
            "signed_date": ("signed", _("Date signed")),
            "era__start_year": ("era", _("Era")),
        }
    )

    class Meta:
        model = Agreement
        fields = []

    def signed_from_year(self, records, name, year):
        return records.signed_from(year)

    def signed_to_year(self, records, name, year):
        return records.signed_until(year)

    def in_force_in_year(self, records, name, year):
        return records.in_force_in(year)

    def end_unknown_in_year(self, records, name, year):
        return records.end_unknown_in(year)


class InitiativeFilter(RecordFilterSet):
    era = slug_filter("era", Era.objects.published(), _("Era"))
    category = choice_filter(InitiativeCategory.choices, _("Category"))
    agreement = slug_filter("agreement", Agreement.objects.published(), _("Agreement"))
    participant = linked_filter("participants", Party.objects.published(), _("Participant"))
    threat = linked_filter("threats", Threat.objects.published(), _("Threat"))
    status = choice_filter(InitiativeStatus.choices, _("Status"))
    decade, year = date_filters("started_date")
    active_in = YearFilter(method="active_in_year", label=_("Active in (year)"))
    end_unknown_in = YearFilter(
        method="end_unknown_in_year", label=_("Started by, end date unknown (year)")
    )
    ordering = ordering_filter(
        {
            "title": ("title", _("Title")),
            "started_date": ("started", _("Start")),
            "era__start_year": ("era", _("Era")),
        }
    )

    class Meta:
        model = Initiative
        fields = []

    def active_in_year(self, records, name, year):
        return records.active_in(year)

    def end_unknown_in_year(self, records, name, year):
        return records.end_unknown_in(year)


class ThreatFilter(RecordFilterSet):
    category = choice_filter(ThreatCategory.choices, _("Category"))
    era = filters.ModelMultipleChoiceFilter(
        to_field_name="slug",
        queryset=Era.objects.published(),
        method="in_eras",
        label=_("Era"),
        widget=forms.CheckboxSelectMultiple,
    )
    ordering = ordering_filter(
        {"title": ("title", _("Name")), "category": ("category", _("Category"))}
    )

    class Meta:
        model = Threat
        fields = []

    def in_eras(self, threats, name, eras):
        """Threats addressed by an agreement or initiative of one of the eras."""
        return threats.addressed_in_eras(eras) if eras else threats


class ClaimFilter(RecordFilterSet):
    verdict = choice_filter(ClaimVerdict.choices, _("Verdict"))
    section = slug_filter("section", Section.objects.published(), _("Section"))
    ordering = ordering_filter({"pk": ("checked", _("Order in the article"))})

    class Meta:
        model = Claim
        fields = []


# --- The records linked to a section or an era -----------------------------------------------


class LinkedRecordsForm(forms.Form):
    """Narrows the records listed on a section or era page: by type, words and threat."""

    type = forms.ChoiceField(label=_("Type"), required=False)
    q = QueryField(label=_("Search"))
    threat = records_field(Threat.objects.published(), _("Threat"))

    def __init__(self, *args, groups, **kwargs):
        """``groups``: {model: published records of that type linked to the page's record}."""
        super().__init__(*args, **kwargs)
        self.groups = groups
        self.fields["type"].choices = [
            ("", _("All types")),
            *((model._meta.model_name, model._meta.verbose_name_plural) for model in groups),
        ]
        # Offer only the threats these records address, not every threat there is.
        self.fields["threat"].queryset = Threat.objects.published().filter(self.addressed())

    def addressed(self):
        """A condition on threats: among the groups' threats, or addressed by one of their
        records."""
        groups = self.groups
        condition = Q(pk__in=groups[Threat].values("pk")) if Threat in groups else Q(pk=None)
        for model, records in groups.items():
            if model is not Threat and hasattr(model, "threats"):
                through, source, _target = relation_table(model, "threats")
                links = through.objects.filter(**{f"{source}__in": records.values("pk")})
                condition |= Q(pk__in=links.values("threat"))
        return condition

    def filtered_groups(self):
        """{model: records} of the groups and records that match the valid fields."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        chosen_type, query, threats = data.get("type"), data.get("q"), data.get("threat")
        filtered = {}
        for model, records in self.groups.items():
            if chosen_type and model._meta.model_name != chosen_type:
                continue
            if query:
                records = records.search(query)
            if threats:
                if model is Threat:
                    records = records.filter(pk__in=[threat.pk for threat in threats])
                elif hasattr(model, "threats"):
                    records = records.filter(threats__in=threats).distinct()
                else:
                    continue
            filtered[model] = records
        return filtered
