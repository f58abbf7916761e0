"""Public pages. Each view names the QuerySet method that fetches what its template shows."""

from dataclasses import dataclass

from django import forms
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, ListView, TemplateView
from django_filters.views import FilterView

from . import counts, filters, markup, models, revisions
from .facets import ChoiceFacet, FacetedList, LinkFacet, RecordFacet, ThreatEraFacet

# --- Links to the lists ----------------------------------------------------------------------

#: The filterable list of each type that has one: its URL name and its FilterSet.
LISTS = {
    models.Agreement: ("cooperation:agreement-list", filters.AgreementFilter),
    models.Initiative: ("cooperation:initiative-list", filters.InitiativeFilter),
    models.Threat: ("cooperation:threat-list", filters.ThreatFilter),
}


def list_url(model, record=None, **values):
    """The list of ``model`` filtered by ``record`` (through whichever filter takes records of
    its type) and by ``values`` ({filter: value}); None if the list has no such filter."""
    if model not in LISTS:
        return None
    url_name, filterset = LISTS[model]
    parameters = dict(values)
    if record is not None:
        parameter = filterset.parameter_for(type(record))
        if parameter is None:
            return None
        parameters[parameter] = record.slug
    return f"{reverse(url_name)}?{urlencode(parameters)}"


# --- Relations, bounded ----------------------------------------------------------------------


@dataclass
class Relation:
    """Records related to a page's record, at most SHOWN_LINKS of them, and whether there are
    more (``more``), with a link to all of them on their filtered list where one exists."""

    heading: str
    records: list
    more: bool = False
    more_url: str | None = None

    @classmethod
    def of(cls, heading, records, owner):
        """The first records of the QuerySet ``records`` (related to ``owner``): one bounded
        query, for a threat may be linked to thousands of agreements."""
        rows = list(records[: models.SHOWN_LINKS + 1])
        more = len(rows) > models.SHOWN_LINKS
        more_url = list_url(records.model, owner) if more else None
        return cls(heading, rows[: models.SHOWN_LINKS], more, more_url)


class RelationsMixin:
    """Lists the object's to-many relations, each bounded, so that a record's page costs the
    same whatever number of records it is linked to."""

    #: (heading, accessor) of each relation shown, in order.
    relations = ()

    def get_relations(self):
        return self.relations

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            relations=[
                Relation.of(heading, getattr(self.object, accessor).published(), self.object)
                for heading, accessor in self.get_relations()
            ],
            shown_links=models.SHOWN_LINKS,
            **kwargs,
        )


# --- The article and the records -------------------------------------------------------------


class ArticleView(TemplateView):
    template_name = "cooperation/article.html"

    def get_context_data(self, **kwargs):
        sections = list(models.Section.objects.published().for_contents())
        introduction = next(
            (s for s in sections if s.kind == models.SectionKind.INTRODUCTION), None
        )
        return super().get_context_data(
            article=models.Source.objects.published()
            .filter(kind=models.SourceKind.SOURCE_ARTICLE)
            .first(),
            introduction=introduction,
            introduction_html=introduction
            and markup.render(introduction.body, markup.resolve_links(introduction.body)),
            parts=[
                (part, [s for s in sections if s.parent_id == part.pk])
                for part in sections
                if part.kind == models.SectionKind.PART
            ],
            figures=counts.key_figures(),
            **kwargs,
        )


class PreviewMixin:
    """A published record's page. A signed-in editor who may change the record can also
    preview it with ``?preview=1``: in any state, and with its pending changes as readers
    will see them once published; the page then says so. Everyone else gets a 404 for an
    unpublished record."""

    def is_preview(self):
        opts = self.model._meta
        return "preview" in self.request.GET and self.request.user.has_perm(
            f"{opts.app_label}.change_{opts.model_name}"
        )

    def detail_queryset(self):
        return self.model.objects.all()

    def get_queryset(self):
        records = self.detail_queryset()
        return records if self.is_preview() else records.published()

    def get_object(self, queryset=None):
        """The record; in a preview, the record as its pending changes would make it."""
        record = super().get_object(queryset)
        self.pending = revisions.open_revision(record) if self.is_preview() else None
        if self.pending is None:
            return record
        proposal, relations = revisions.proposed(self.pending)
        # Its relations as the changes have them: the same managers then list those.
        proposal._prefetched_objects_cache = {
            name: self.model._meta.get_field(name).related_model.objects.filter(pk__in=ids)
            for name, ids in relations.items()
        }
        return proposal

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            preview=self.is_preview() and (not self.object.is_published or self.pending),
            pending=self.pending,
            **kwargs,
        )


class RecordDetailView(PreviewMixin, RelationsMixin, DetailView):
    """A record with its text rendered, its links resolved, and its relations."""

    def detail_queryset(self):
        return self.model.objects.for_detail()

    def get_template_names(self):
        return [f"cooperation/{self.model._meta.model_name}_detail.html"]

    def get_context_data(self, **kwargs):
        record = self.object
        links = markup.resolve_links(record.body, record.editorial_note)
        return super().get_context_data(
            body_html=markup.render(record.body, links),
            note_html=markup.render(record.editorial_note, links),
            record_type=self.model._meta.verbose_name,
            **kwargs,
        )


class LinkedRecordsMixin:
    """Lists a record's linked records by type, narrowed by a LinkedRecordsForm."""

    def linked_groups(self):
        """{model: published records of that type linked to the object}."""
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        form = filters.LinkedRecordsForm(self.request.GET or None, groups=self.linked_groups())
        linked = [
            Relation.of(model._meta.verbose_name_plural.capitalize(), records, self.object)
            for model, records in form.filtered_groups().items()
        ]
        return super().get_context_data(
            linked_form=form,
            linked=linked,
            linked_has_records=any(relation.records for relation in linked),
            **kwargs,
        )


class SectionDetailView(LinkedRecordsMixin, RecordDetailView):
    model = models.Section

    def linked_groups(self):
        return {
            models.Section._meta.get_field(name).related_model: getattr(
                self.object, name
            ).published()
            for name in models.Section.DISCUSSES
        }

    def get_context_data(self, **kwargs):
        # The article's order as ids only, then just the neighbours and children as records:
        # a long article costs a list of numbers, not a page of sections.
        order = list(models.Section.objects.published().values_list("pk", "parent"))
        ids = [pk for pk, _parent in order]
        # A previewed draft is not among the published sections: it has no neighbours.
        index = ids.index(self.object.pk) if self.object.pk in ids else None
        previous_id = ids[index - 1] if index else None
        next_id = ids[index + 1] if index is not None and index + 1 < len(ids) else None
        children_ids = [pk for pk, parent in order if parent == self.object.pk]
        wanted = {previous_id, next_id, *children_ids} - {None}
        shown = models.Section.objects.filter(pk__in=wanted).for_contents().in_bulk()
        return super().get_context_data(
            previous_section=shown.get(previous_id),
            next_section=shown.get(next_id),
            children=[shown[pk] for pk in children_ids],
            **kwargs,
        )


class EraListView(ListView):
    template_name = "cooperation/era_list.html"

    def get_queryset(self):
        return counts.era_list()


class EraDetailView(LinkedRecordsMixin, RecordDetailView):
    model = models.Era

    def linked_groups(self):
        era = self.object
        return {
            models.Agreement: era.agreements.published(),
            models.Initiative: era.initiatives.published(),
            models.Event: era.events.published(),
            models.Threat: models.Threat.objects.published().addressed_in_eras([era]),
        }


class AgreementDetailView(RecordDetailView):
    model = models.Agreement
    relations = (
        (gettext_lazy("Parties"), "parties"),
        (gettext_lazy("Threats addressed"), "threats"),
        (gettext_lazy("Initiatives under this agreement"), "initiatives"),
        (gettext_lazy("Superseded by"), "superseded_by"),
        (gettext_lazy("Discussed in the article"), "sections"),
    )


class InitiativeDetailView(RecordDetailView):
    model = models.Initiative
    relations = (
        (gettext_lazy("Participants"), "participants"),
        (gettext_lazy("Threats addressed"), "threats"),
        (gettext_lazy("Discussed in the article"), "sections"),
    )


class ThreatDetailView(RecordDetailView):
    model = models.Threat
    relations = (
        (gettext_lazy("Agreements addressing it"), "agreements"),
        (gettext_lazy("Initiatives addressing it"), "initiatives"),
        (gettext_lazy("Related events"), "events"),
        (gettext_lazy("Discussed in the article"), "sections"),
    )


class EventDetailView(RecordDetailView):
    model = models.Event
    relations = (
        (gettext_lazy("Parties involved"), "parties"),
        (gettext_lazy("Related threats"), "threats"),
        (gettext_lazy("Discussed in the article"), "sections"),
    )


class PartyDetailView(RecordDetailView):
    model = models.Party
    relations = (
        (gettext_lazy("Agreements"), "agreements"),
        (gettext_lazy("Initiatives"), "initiatives"),
        (gettext_lazy("Events"), "events"),
        (gettext_lazy("Discussed in the article"), "sections"),
    )


# --- Lists -----------------------------------------------------------------------------------


class PagedRowsMixin:
    """Pagination that never fails: a page number out of range or not a number shows the
    nearest page and says so. ``add_row_details`` adds what is counted for a page's rows alone,
    so that a list's cost does not grow with the rows it does not show."""

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size)
        requested = self.request.GET.get("page") or "1"
        page = paginator.get_page(requested)
        if requested.strip() != str(page.number):
            self.page_problem = _(
                "There is no page “%(page)s” of these results: showing page %(shown)s of %(pages)s."
            ) % {"page": requested, "shown": page.number, "pages": paginator.num_pages}
        self.add_row_details(page.object_list)
        return paginator, page, page.object_list, page.has_other_pages()

    def add_row_details(self, rows):
        """Add to the page's rows what is counted for them alone."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # After pagination, which may have found the requested page missing.
        context["problems"] = [*self.parameter_problems(), *self.page_problems()]
        return context

    def parameter_problems(self):
        return []

    def page_problems(self):
        return [(_("Page"), [self.page_problem])] if hasattr(self, "page_problem") else []


class PartyListView(PagedRowsMixin, ListView):
    template_name = "cooperation/party_list.html"
    paginate_by = 50

    def get_queryset(self):
        return models.Party.objects.published().for_list()

    def add_row_details(self, rows):
        counts.add_link_counts(rows)


class SourceListView(PagedRowsMixin, ListView):
    template_name = "cooperation/source_list.html"
    paginate_by = 50

    def get_queryset(self):
        return models.Source.objects.published()

    def add_row_details(self, rows):
        counts.add_citation_counts(rows)


class SourceDetailView(PreviewMixin, RelationsMixin, DetailView):
    model = models.Source
    template_name = "cooperation/source_detail.html"

    def get_relations(self):
        return [
            (
                relation.related_model._meta.verbose_name_plural.capitalize(),
                relation.get_accessor_name(),
            )
            for relation in models.Source.citing_relations()
        ]

    def get_context_data(self, **kwargs):
        counts.add_citation_counts([self.object])
        return super().get_context_data(**kwargs)


def active_filters(faceted, data):
    """[(label, [(value label, parameters that drop that value)])] of the filters in use."""
    form = faceted.filterset.form
    active = []
    for name, value in faceted.applied.items():
        field = form.fields[name]
        if not isinstance(value, (list, tuple)):
            values = [(value, str(value))]
        elif isinstance(field, forms.ModelMultipleChoiceField):  # records chosen by slug
            values = [(record.slug, str(record)) for record in value]
        else:  # values chosen among a field's choices
            labels = dict(field.choices)
            values = [(item, labels.get(item, item)) for item in value]
        active.append(
            (field.label, [(label, without(name, value, data)) for value, label in values])
        )
    return active


def without(name, value, data):
    """Query parameters that drop ``value`` of filter ``name`` (and the page number)."""
    remaining = [v for v in data.getlist(name) if v != str(value)]
    return {name: remaining or None, "page": None}


class FacetedListView(PagedRowsMixin, FilterView):
    """A filterable, sortable, paginated list whose filter choices carry facet counts.

    Invalid parameters never fail the page: the valid filters still apply and the page says
    which parameters were ignored and why."""

    paginate_by = 25
    strict = False
    #: Shown in the heading and the page title.
    title = ""
    #: The filters offered as choices with counts, in the order shown.
    facets = ()

    def get_queryset(self):
        return self.model.objects.published().for_list()

    def get_context_data(self, **kwargs):
        faceted = FacetedList(self.filterset, self.facets)
        return super().get_context_data(
            title=self.title,
            facets=faceted.shown(),
            facet_names=[facet.name for facet in self.facets],
            active_filters=active_filters(faceted, self.filterset.form.data),
            **kwargs,
        )

    def parameter_problems(self):
        form = self.filterset.form
        return [(form[name].label or name, errors) for name, errors in form.errors.items()]


class AgreementListView(FacetedListView):
    model = models.Agreement
    filterset_class = filters.AgreementFilter
    title = gettext_lazy("Agreements")
    template_name = "cooperation/agreement_list.html"
    facets = (
        RecordFacet("era"),
        ChoiceFacet("kind"),
        ChoiceFacet("scope"),
        ChoiceFacet("status"),
        LinkFacet("party", "parties"),
        LinkFacet("threat", "threats"),
    )


class InitiativeListView(FacetedListView):
    model = models.Initiative
    filterset_class = filters.InitiativeFilter
    title = gettext_lazy("Initiatives")
    template_name = "cooperation/initiative_list.html"
    facets = (
        RecordFacet("era"),
        ChoiceFacet("category"),
        RecordFacet("agreement"),
        LinkFacet("participant", "participants"),
        LinkFacet("threat", "threats"),
    )


class ThreatListView(FacetedListView):
    model = models.Threat
    filterset_class = filters.ThreatFilter
    title = gettext_lazy("Threats")
    template_name = "cooperation/threat_list.html"
    facets = (ChoiceFacet("category"), ThreatEraFacet("era"))

    def add_row_details(self, rows):
        counts.add_link_counts(rows)
