"""Public pages. Each view names the QuerySet method that fetches what its template shows."""

from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView, ListView, TemplateView

from . import models
from .markup import plain_text


class ArticleView(TemplateView):
    template_name = "cooperation/article.html"

    def get_context_data(self, **kwargs):
        sections = list(models.Section.objects.select_related("parent"))
        return super().get_context_data(
            introduction=next((s for s in sections if s.kind == "introduction"), None),
            parts=[s for s in sections if s.kind == "part"],
            sections_by_part=sections,
            article=models.Source.objects.filter(kind=models.SourceKind.SOURCE_ARTICLE).first(),
            **kwargs,
        )


class RecordDetailView(DetailView):
    """A record with its text; the template lists the relations its QuerySet prefetches."""

    template_name = "cooperation/record_detail.html"
    #: (heading, accessor) of each to-many relation shown, in order.
    relations = ()

    def get_queryset(self):
        return self.model.objects.for_detail()

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            body_text=plain_text(self.object.body),
            record_type=self.model._meta.verbose_name,
            relations=[
                (heading, list(getattr(self.object, accessor).all()))
                for heading, accessor in self.relations
            ],
            **kwargs,
        )


class SectionDetailView(RecordDetailView):
    model = models.Section
    relations = (
        (_("Sections"), "children"),
        (_("Eras"), "eras"),
        (_("Agreements"), "agreements"),
        (_("Initiatives"), "initiatives"),
        (_("Events"), "events"),
        (_("Threats"), "threats"),
        (_("Parties"), "parties"),
    )


class EraDetailView(RecordDetailView):
    model = models.Era
    relations = (
        (_("Agreements"), "agreements"),
        (_("Initiatives"), "initiatives"),
        (_("Events"), "events"),
        (_("Discussed in the article"), "sections"),
    )


class AgreementDetailView(RecordDetailView):
    model = models.Agreement
    relations = (
        (_("Parties"), "parties"),
        (_("Threats addressed"), "threats"),
        (_("Initiatives under this agreement"), "initiatives"),
        (_("Superseded by"), "superseded_by"),
        (_("Discussed in the article"), "sections"),
    )


class InitiativeDetailView(RecordDetailView):
    model = models.Initiative
    relations = (
        (_("Participants"), "participants"),
        (_("Threats addressed"), "threats"),
        (_("Discussed in the article"), "sections"),
    )


class ThreatDetailView(RecordDetailView):
    model = models.Threat
    relations = (
        (_("Agreements addressing it"), "agreements"),
        (_("Initiatives addressing it"), "initiatives"),
        (_("Related events"), "events"),
        (_("Discussed in the article"), "sections"),
    )


class EventDetailView(RecordDetailView):
    model = models.Event
    relations = (
        (_("Parties involved"), "parties"),
        (_("Related threats"), "threats"),
        (_("Discussed in the article"), "sections"),
    )


class PartyDetailView(RecordDetailView):
    model = models.Party
    relations = (
        (_("Agreements"), "agreements"),
        (_("Initiatives"), "initiatives"),
        (_("Events"), "events"),
        (_("Discussed in the article"), "sections"),
    )


class SourceListView(ListView):
    model = models.Source
    template_name = "cooperation/source_list.html"

    def get_queryset(self):
        return models.Source.objects.for_bibliography()
