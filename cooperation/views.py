"""Public pages. Each view names the QuerySet method that fetches what its template shows."""

from collections import Counter
from dataclasses import dataclass
from functools import cached_property

from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, ListView, TemplateView
from django_filters.views import FilterView

from . import claims, counts, filters, markup, models, revisions, search, timeline
from .facets import (
    ChoiceFacet,
    DateFacet,
    FacetedList,
    LinkFacet,
    Option,
    RecordFacet,
    ShownFacet,
    ThreatEraFacet,
)

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
        links = markup.resolve_links(record.body, record.editorial_note, *self.linking_texts())
        return super().get_context_data(
            **self.body_context(markup.render(record.body, links), links),
            note_html=markup.render(record.editorial_note, links),
            record_type=self.model._meta.verbose_name,
            **kwargs,
        )

    def linking_texts(self):
        """Texts the page shows besides the body and note, whose links are resolved with
        theirs."""
        return ()

    def body_context(self, html, links):
        """What the page shows of the record's rendered text ``html``: its ``body_html``."""
        return {"body_html": html}


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

    @cached_property
    def section_claims(self):
        return list(self.object.claims.published().prefetch_published("sources"))

    def linking_texts(self):
        return [claim.finding for claim in self.section_claims]

    def body_context(self, html, links):
        """The text with the passages checked marked, each with its note; how many were
        placed, and [(verdict label, number)] of them in the verdicts' order."""
        marked, placed = claims.marked_section(html, self.section_claims, links)
        found = Counter(each.claim.verdict for each in placed)
        checked = [
            (label, found[value]) for value, label in models.ClaimVerdict.choices if value in found
        ]
        return {"body_html": marked, "claim_count": len(placed), "checked": checked}

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
            discussed_sources=self.discussed_sources(),
            **kwargs,
        )

    def discussed_sources(self):
        """The published sources cited by the section or by the published records it discusses,
        in one query: a reader checks the section against them."""
        cited = Q(pk__in=self.object.sources.values("pk"))
        for model, records in self.linked_groups().items():
            through, record, source = counts.relation_table(model, "sources")
            links = through.objects.filter(**{f"{record}__in": records.values("pk")})
            cited |= Q(pk__in=links.values(source))
        return list(models.Source.objects.published().filter(cited).order_by("title"))


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
        context = super().get_context_data(**kwargs)
        # Under each record that cites the source, what it cites it for.
        for relation in context["relations"]:
            for record in relation.records:
                if isinstance(record, models.Record):
                    record.cited_for = record.citations_of(self.object)
        return context


def unknown_parameters(request, known):
    """The problem of parameters a page does not take, as ``parameter_problems`` lists them:
    a misspelt filter is said to be ignored, not silently dropped."""
    unknown = sorted({name for name in request.GET if name not in known})[:10]
    if not unknown:
        return []
    return [
        (
            _("Parameters"),
            [_("This list has no filter “%(name)s”.") % {"name": name[:60]} for name in unknown],
        )
    ]


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
        elif hasattr(field, "label_of"):  # years and decades
            values = [(item, field.label_of(item)) for item in value]
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

    #: The filter "held in a year" of this list, if it has one: the page then says how many
    #: records it leaves out because their end is not known.
    held_filter = None
    #: Parameters the filter form keeps as they are (hidden), not as fields of its own: the
    #: sort, chosen beside the results, and the records a "held in" year leaves out.
    kept = ("ordering", "end_unknown_in")

    def get_context_data(self, **kwargs):
        expanded = self.request.GET.getlist("more")[:3]
        faceted = FacetedList(self.filterset, self.facets, expanded)
        active = active_filters(faceted, self.filterset.form.data)
        return super().get_context_data(
            title=self.title,
            facets=faceted.shown(),
            # Fields the form shows in their own place, or not at all: the rest follow the facets.
            shown_apart={"q", *self.kept, *(name for facet in self.facets for name in facet.own)},
            active_filters=active,
            active_count=sum(len(values) for _label, values in active),
            left_out=self.left_out(faceted),
            kept_parameters=[
                (name, value) for name in self.kept for value in self.request.GET.getlist(name)[:1]
            ],
            **kwargs,
        )

    def left_out(self, faceted):
        """For "held in a year": how many records began by then but end on a date unknown,
        and the parameters that list them."""
        year = faceted.applied.get(self.held_filter) if self.held_filter else None
        if year is None:
            return None
        count = faceted.records_without(self.held_filter).end_unknown_in(year).count()
        parameters = {self.held_filter: None, "end_unknown_in": year, "page": None}
        return {"count": count, "year": year, "parameters": parameters} if count else None

    def parameter_problems(self):
        form = self.filterset.form
        problems = [(form[name].label or name, errors) for name, errors in form.errors.items()]
        return problems + unknown_parameters(self.request, {*form.fields, "page", "more"})


class AgreementListView(FacetedListView):
    model = models.Agreement
    filterset_class = filters.AgreementFilter
    title = gettext_lazy("Agreements")
    template_name = "cooperation/agreement_list.html"
    held_filter = "in_force_in"
    facets = (
        RecordFacet("era"),
        DateFacet("signed_date", gettext_lazy("Signed")),
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
    held_filter = "active_in"
    facets = (
        RecordFacet("era"),
        DateFacet("started_date", gettext_lazy("Started")),
        ChoiceFacet("category"),
        ChoiceFacet("status"),
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


class ClaimListView(FacetedListView):
    """Every passage of the article checked, with its verdict: the verdicts as a facet."""

    model = models.Claim
    filterset_class = filters.ClaimFilter
    title = gettext_lazy("The article's claims, checked")
    template_name = "cooperation/claim_list.html"
    facets = (ChoiceFacet("verdict"), RecordFacet("section"))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        links = markup.resolve_links(*(claim.finding for claim in context["object_list"]))
        for claim in context["object_list"]:
            claim.finding_html = markup.render(claim.finding, links)
        return context


class ClaimDetailView(PreviewMixin, DetailView):
    model = models.Claim
    template_name = "cooperation/claim_detail.html"

    def detail_queryset(self):
        return models.Claim.objects.for_detail()

    def get_context_data(self, **kwargs):
        links = markup.resolve_links(self.object.finding)
        return super().get_context_data(
            finding_html=markup.render(self.object.finding, links), **kwargs
        )


# --- Search across the site ------------------------------------------------------------------


class SearchForm(forms.Form):
    q = search.QueryField(label=gettext_lazy("Search for"))
    type = forms.MultipleChoiceField(
        label=gettext_lazy("Type"),
        required=False,
        choices=[
            (model._meta.model_name, model._meta.verbose_name_plural)
            for model in models.PUBLIC_MODELS
        ],
        widget=forms.CheckboxSelectMultiple,
    )
    era = filters.records_field(models.Era.objects.published(), gettext_lazy("Era"))


class SearchView(PagedRowsMixin, ListView):
    """Every published record, section and source that matches the words asked for, ranked,
    with the matched words marked, and narrowed by type and era. Whatever is asked, the page
    runs the same queries: one to count every facet, one for the eras' names, one for the
    page of results."""

    template_name = "cooperation/search.html"
    paginate_by = 20
    #: The eras offered as choices: those with most results, and the chosen ones.
    shown_eras = 12

    def get_queryset(self):
        self.form = SearchForm(self.request.GET)
        self.form.is_valid()
        data = getattr(self.form, "cleaned_data", {})
        self.query = data.get("q")
        self.kinds = data.get("type") or None
        chosen_eras = list(data.get("era") or ())
        self.chosen_eras = {era.pk for era in chosen_eras}
        if not self.query:
            self.counted = {}
            return []
        self.counted = search.engine().counts(self.query)
        eras = self.chosen_eras or None
        total = sum(
            count
            for (kind, era), count in self.counted.items()
            if (self.kinds is None or kind in self.kinds) and (eras is None or era in eras)
        )
        return search.Results(self.query, self.kinds, eras, total)

    def facets(self):
        """The type and era choices, each counted under the other's choice."""
        per_kind, per_era = {}, {}
        for (kind, era), count in self.counted.items():
            if not self.chosen_eras or era in self.chosen_eras:
                per_kind[kind] = per_kind.get(kind, 0) + count
            if era is not None and (self.kinds is None or kind in self.kinds):
                per_era[era] = per_era.get(era, 0) + count
        chosen_kinds = set(self.kinds or ())
        types = [
            Option(value, capfirst(label), per_kind.get(value, 0), value in chosen_kinds)
            for value, label in self.form.fields["type"].choices
        ]
        offered = sorted((pk for pk in self.eras if pk in per_era), key=lambda pk: -per_era[pk])[
            : self.shown_eras
        ]
        eras = [
            Option(era.slug, str(era), per_era.get(era.pk, 0), era.pk in self.chosen_eras)
            for era in sorted(self.eras.values(), key=lambda era: era.start_year)
            if era.pk in offered or era.pk in self.chosen_eras
        ]
        hidden = sum(1 for pk in self.eras if pk in per_era) - len(offered)
        return [
            ShownFacet("type", _("Type"), types),
            ShownFacet("era", _("Era"), eras, hidden),
        ]

    @cached_property
    def eras(self):
        """{id: era} of every era with results (each result names its own) and the chosen."""
        wanted = {era for _kind, era in self.counted if era is not None} | self.chosen_eras
        return {era.pk: era for era in models.Era.objects.published().filter(pk__in=wanted)}

    def parameter_problems(self):
        form = self.form
        problems = [(form[name].label, errors) for name, errors in form.errors.items()]
        problems += unknown_parameters(self.request, {*form.fields, "page"})
        if "q" in self.request.GET and not form.errors.get("q") and not self.query:
            problems.append((form["q"].label, [_("Type one or more words to search for.")]))
        return problems

    def get_context_data(self, **kwargs):
        facets = self.facets() if self.query else []
        context = super().get_context_data(
            form=self.form, query=self.query, facets=facets, **kwargs
        )
        for hit in context["object_list"]:
            hit.kind_label = models.KIND_LABELS[hit.kind]
            hit.era = self.eras.get(hit.era_id) if self.query else None
        return context


# --- The timeline ----------------------------------------------------------------------------


class TimelineView(TemplateView):
    """The dated records on one axis over the eras, with a table saying the same."""

    template_name = "cooperation/timeline.html"

    def get_context_data(self, **kwargs):
        form = timeline.TimelineForm(self.request.GET or None)
        applied = form.applied() if form.is_bound else {}
        drawing = timeline.build(applied)
        today = timezone.localdate()
        eras = list(models.Era.objects.published().for_list())
        if drawing.drawn:
            years = [
                date.year
                for item in drawing.items
                for date in (item.began.first, (item.ended or item.began).last)
            ]
            years += [today.year] if any(item.end == "holds" for item in drawing.items) else []
        else:
            years = drawing.years()
        axis = timeline.Axis.around(years, today)
        problems = [(form[name].label, errors) for name, errors in form.errors.items()]
        problems += unknown_parameters(self.request, set(form.fields))
        return super().get_context_data(
            form=form,
            applied=applied,
            timeline=drawing,
            most_drawn=timeline.MOST_DRAWN,
            eras=eras,
            chosen_eras={era.slug for era in applied.get("era", ())},
            ticks=axis.ticks(),
            bands=axis.bands(eras, today),
            bars=timeline.bars(drawing.items, axis, today) if drawing.drawn else [],
            columns=[]
            if drawing.drawn
            else timeline.columns(drawing, axis, self.year_url, self.year_query),
            decades=self.decades(drawing),
            width=timeline.WIDTH,
            height=self.height(drawing),
            head=timeline.HEAD,
            row=timeline.ROW,
            problems=problems,
            **kwargs,
        )

    @staticmethod
    def height(drawing):
        if drawing.drawn:
            return timeline.HEAD + max(len(drawing.items), 1) * timeline.ROW + 8
        return timeline.HEAD + timeline.CHART + 8

    def list_parameters(self, kind):
        """The timeline's filters as the list of ``kind`` names them."""
        data = self.request.GET
        parameters = {"q": data.get("q") or None}
        for name in ("era", "threat"):
            parameters[name] = data.getlist(name) or None
        parameters[kind.party_parameter] = data.getlist("party") or None
        return parameters

    def year_url(self, kind, year):
        """Where the count of ``kind`` records begun in ``year`` links: the type's list for
        that year, or (for events, which have no list) the timeline narrowed to it."""
        return self.year_prefixes[kind.name] + str(year)

    def year_query(self, year):
        """The timeline's query string narrowed to ``year`` alone."""
        return self.year_query_prefix + str(year)

    @cached_property
    def year_query_prefix(self):
        """The timeline's query string but the year, written once for every year's column."""
        return self.with_year(self.narrowed_query(decade=None, year=None))

    @cached_property
    def year_prefixes(self):
        """{type: its year's address but the year}: a page links a hundred years or more."""
        prefixes = {}
        for kind in timeline.KINDS.values():
            if kind.list_name is None:
                query = self.narrowed_query(type=[kind.name], decade=None, year=None)
                prefixes[kind.name] = "?" + self.with_year(query)
            else:
                parameters = self.list_parameters(kind)
                query = urlencode(
                    {name: value for name, value in parameters.items() if value}, doseq=True
                )
                prefixes[kind.name] = f"{reverse(kind.list_name)}?{self.with_year(query)}"
        return prefixes

    @staticmethod
    def with_year(query):
        return f"{query}&year=" if query else "year="

    def narrowed_query(self, **changes):
        """The timeline's query string with ``changes`` made (None drops a parameter)."""
        data = self.request.GET.copy()
        for name, value in changes.items():
            data.setlist(name, [str(item) for item in value] if value else [])
        return data.urlencode()

    def decades(self, drawing):
        """[(decade, count, query string narrowing to it)] for the counts' decades."""
        if drawing.drawn:
            return []  # the records themselves are drawn: no counts to narrow by
        per_decade = {}
        for year, total in drawing.per_year.items():
            per_decade[year - year % 10] = per_decade.get(year - year % 10, 0) + total
        return [
            (decade, total, self.narrowed_query(decade=[decade], year=None))
            for decade, total in sorted(per_decade.items())
        ]
