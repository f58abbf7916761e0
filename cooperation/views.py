"""Public pages. Each view names the QuerySet method that fetches what its template shows."""

from django.core.paginator import InvalidPage
from django.db.models import Max, Min
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, ListView, TemplateView
from django_filters.views import FilterView

from . import filters, markup, models


def key_figures():
    eras = models.Era.objects.published()
    span = eras.aggregate(first=Min("start_year"), last=Max("end_year"))
    ongoing = eras.filter(end_year__isnull=True).exists()
    stored = models.stored_counts("figures")
    published = (
        stored["published"]
        if stored
        else {
            "agreements": models.Agreement.objects.published().count(),
            "initiatives": models.Initiative.objects.published().count(),
        }
    )
    return {
        "agreements": published["agreements"],
        "initiatives": published["initiatives"],
        "threats": models.Threat.objects.published().count(),
        "eras": eras.count(),
        "first_year": span["first"],
        "last_year": timezone.now().year if ongoing else span["last"],
    }


class ArticleView(TemplateView):
    template_name = "cooperation/article.html"

    def get_context_data(self, **kwargs):
        sections = list(models.Section.objects.published().for_contents())
        introduction = next((s for s in sections if s.kind == "introduction"), None)
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
            figures=key_figures(),
            **kwargs,
        )


def listing_url(listing, record):
    """The list page named by ``listing`` (url name, filter parameter), filtered by ``record``."""
    url_name, parameter = listing
    return f"{reverse(url_name)}?{urlencode({parameter: record.slug})}"


class BoundedRelationsMixin:
    """Lists the object's to-many relations, each bounded: a threat may be linked to
    thousands of agreements, and its page must cost the same as one linked to three."""

    #: (heading, accessor[, (list page, filter parameter)]) of each relation shown, in order.
    relations = ()

    def get_relations(self):
        return self.relations

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            relations=[self.relation(*relation) for relation in self.get_relations()],
            shown_links=models.SHOWN_LINKS,
            **kwargs,
        )

    def relation(self, heading, accessor, listing=None):
        """One relation for the page: its first SHOWN_LINKS records and, if there are more,
        a link to them on their list page, filtered by this record (``listing`` names the
        list and its filter)."""
        # One query, and a bounded one: a threat may be linked to thousands of agreements.
        records = list(getattr(self.object, accessor).published()[: models.SHOWN_LINKS + 1])
        more = len(records) > models.SHOWN_LINKS
        more_url = listing_url(listing, self.object) if more and listing else None
        return {
            "heading": heading,
            "records": records[: models.SHOWN_LINKS],
            "more": more,
            "more_url": more_url,
        }


class RecordDetailView(BoundedRelationsMixin, DetailView):
    """A published record with its text rendered, its links resolved, and its relations.

    A signed-in editor who may change the record can also preview it in any state with
    ``?preview=1``; the page then says so. Everyone else gets a 404 for an unpublished record.
    """

    def is_preview(self):
        user = self.request.user
        opts = self.model._meta
        return "preview" in self.request.GET and user.has_perm(
            f"{opts.app_label}.change_{opts.model_name}"
        )

    def get_queryset(self):
        records = self.model.objects.for_detail()
        return records if self.is_preview() else records.published()

    def get_template_names(self):
        return [f"cooperation/{self.model._meta.model_name}_detail.html"]

    def get_context_data(self, **kwargs):
        record = self.object
        links = markup.resolve_links(record.body, record.editorial_note)
        return super().get_context_data(
            body_html=markup.render(record.body, links),
            note_html=markup.render(record.editorial_note, links),
            record_type=self.model._meta.verbose_name,
            preview=self.is_preview() and not record.is_published,
            **kwargs,
        )


class LinkedRecordsMixin:
    """Lists a record's linked records by type, narrowed by a LinkedRecordsForm."""

    #: {record type: (list page, its filter by this record)}
    listings = {}

    def linked_groups(self):
        raise NotImplementedError

    def more_url(self, type_):
        return listing_url(self.listings[type_], self.object) if type_ in self.listings else None

    def get_context_data(self, **kwargs):
        groups = self.linked_groups()
        form = filters.LinkedRecordsForm(self.request.GET or None, groups=groups)
        groups = form.filter_groups(groups)
        labels = dict(filters.RecordType.choices)
        linked_groups = []
        for type_, queryset in groups.items():
            records = list(queryset[: models.SHOWN_LINKS + 1])
            more = len(records) > models.SHOWN_LINKS
            more_url = self.more_url(type_) if more else None
            linked_groups.append((labels[type_], records[: models.SHOWN_LINKS], more, more_url))
        return super().get_context_data(
            linked_form=form,
            linked_groups=linked_groups,
            linked_has_records=any(group[1] for group in linked_groups),
            **kwargs,
        )


class SectionDetailView(LinkedRecordsMixin, RecordDetailView):
    model = models.Section

    def linked_groups(self):
        section = self.object
        return {
            "era": section.eras.published(),
            "agreement": section.agreements.published(),
            "initiative": section.initiatives.published(),
            "event": section.events.published(),
            "threat": section.threats.published(),
            "party": section.parties.published(),
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
    model = models.Era
    template_name = "cooperation/era_list.html"

    def get_queryset(self):
        stored = models.stored_counts("eras")
        if stored is None:
            return models.Era.objects.published().for_list()
        eras = list(models.Era.objects.published().order_by("start_year", "title"))
        for era in eras:
            era.agreement_count = stored["agreements"].get(era.pk, 0)
            era.initiative_count = stored["initiatives"].get(era.pk, 0)
        return eras


class EraDetailView(LinkedRecordsMixin, RecordDetailView):
    model = models.Era
    listings = {
        "agreement": ("cooperation:agreement-list", "era"),
        "initiative": ("cooperation:initiative-list", "era"),
    }

    def linked_groups(self):
        era = self.object
        return {
            "agreement": era.agreements.published(),
            "initiative": era.initiatives.published(),
            "event": era.events.published(),
            "threat": models.Threat.objects.published().addressed_in_eras([era]),
        }


class AgreementDetailView(RecordDetailView):
    model = models.Agreement
    relations = (
        (gettext_lazy("Parties"), "parties"),
        (gettext_lazy("Threats addressed"), "threats"),
        (
            gettext_lazy("Initiatives under this agreement"),
            "initiatives",
            ("cooperation:initiative-list", "agreement"),
        ),
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
        (
            gettext_lazy("Agreements addressing it"),
            "agreements",
            ("cooperation:agreement-list", "threat"),
        ),
        (
            gettext_lazy("Initiatives addressing it"),
            "initiatives",
            ("cooperation:initiative-list", "threat"),
        ),
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
        (gettext_lazy("Agreements"), "agreements", ("cooperation:agreement-list", "party")),
        (
            gettext_lazy("Initiatives"),
            "initiatives",
            ("cooperation:initiative-list", "participant"),
        ),
        (gettext_lazy("Events"), "events"),
        (gettext_lazy("Discussed in the article"), "sections"),
    )


class PagedRowsMixin:
    """Pagination that never fails: a page number out of range or not a number shows the
    nearest page and says so. ``add_row_details`` adds what is counted for a page's rows alone,
    so that a list's cost does not grow with the rows it does not show."""

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size, allow_empty_first_page=True)
        requested = self.request.GET.get("page") or 1
        try:
            page = paginator.page(requested)
        except InvalidPage:
            page = paginator.page(paginator.num_pages if str(requested).isdigit() else 1)
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
    model = models.Party
    template_name = "cooperation/party_list.html"
    paginate_by = 50

    def get_queryset(self):
        return models.Party.objects.published().for_list()

    def add_row_details(self, rows):
        models.add_link_counts(rows, "party-links")


class SourceListView(PagedRowsMixin, ListView):
    model = models.Source
    template_name = "cooperation/source_list.html"
    paginate_by = 50

    def add_row_details(self, rows):
        models.add_citation_counts(rows)

    def get_queryset(self):
        return models.Source.objects.published()


class SourceDetailView(BoundedRelationsMixin, DetailView):
    model = models.Source
    template_name = "cooperation/source_detail.html"

    def get_queryset(self):
        return models.Source.objects.published()

    def get_relations(self):
        return [
            (models.citing_model(accessor)._meta.verbose_name_plural.capitalize(), accessor)
            for accessor in models.CITING_ACCESSORS
        ]

    def get_context_data(self, **kwargs):
        models.add_citation_counts([self.object])
        return super().get_context_data(**kwargs)


class FacetedListView(PagedRowsMixin, FilterView):
    """A filterable, sortable, paginated list whose filter choices carry facet counts.

    Invalid parameters never fail the page: the valid filters still apply and the page says
    which parameters were ignored and why."""

    paginate_by = 25
    strict = False
    template_name = "cooperation/record_list.html"
    #: Shown in the heading and the page title.
    title = ""
    #: The include that renders one row of this list.
    row_template = ""

    def get_queryset(self):
        return self.model.objects.published().for_list()

    def get_context_data(self, **kwargs):
        filterset = self.filterset
        return super().get_context_data(
            title=self.title,
            row_template=self.row_template,
            facets=filterset.facet_options(),
            facet_names=list(filterset.facets),
            active_filters=[
                (
                    label,
                    [
                        (value_label, self.without(name, value, filterset.form.data))
                        for value, value_label in values
                    ],
                )
                for name, label, values in filterset.active_filters()
            ],
            **kwargs,
        )

    def parameter_problems(self):
        form = self.filterset.form
        return [(form[name].label or name, errors) for name, errors in form.errors.items()]

    @staticmethod
    def without(name, value, data):
        """Query parameters that drop ``value`` of filter ``name`` (and the page number)."""
        remaining = [v for v in data.getlist(name) if v != str(value)]
        return {name: remaining or None, "page": None}


class AgreementListView(FacetedListView):
    model = models.Agreement
    filterset_class = filters.AgreementFilter
    title = gettext_lazy("Agreements")
    row_template = "includes/rows/agreement.html"


class InitiativeListView(FacetedListView):
    model = models.Initiative
    filterset_class = filters.InitiativeFilter
    title = gettext_lazy("Initiatives")
    row_template = "includes/rows/initiative.html"


class ThreatListView(FacetedListView):
    model = models.Threat
    filterset_class = filters.ThreatFilter
    title = gettext_lazy("Threats")
    row_template = "includes/rows/threat.html"

    def add_row_details(self, rows):
        models.add_link_counts(rows, "threat-links")
