from django.contrib.sitemaps.views import sitemap
from django.urls import path
from django.views.generic import TemplateView

from . import views
from .caching import public_page
from .sitemaps import SITEMAPS

app_name = "cooperation"


def page(route, view, name, **kwargs):
    """A public page: validated and cached by the content version."""
    return path(route, public_page(view), kwargs, name=name)


urlpatterns = [
    page("", views.ArticleView.as_view(), "article"),
    page("article/<slug:slug>/", views.SectionDetailView.as_view(), "section-detail"),
    page("eras/", views.EraListView.as_view(), "era-list"),
    page("eras/<slug:slug>/", views.EraDetailView.as_view(), "era-detail"),
    page("agreements/", views.AgreementListView.as_view(), "agreement-list"),
    page("agreements/<slug:slug>/", views.AgreementDetailView.as_view(), "agreement-detail"),
    page("initiatives/", views.InitiativeListView.as_view(), "initiative-list"),
    page("initiatives/<slug:slug>/", views.InitiativeDetailView.as_view(), "initiative-detail"),
    page("threats/", views.ThreatListView.as_view(), "threat-list"),
    page("threats/<slug:slug>/", views.ThreatDetailView.as_view(), "threat-detail"),
    page("events/<slug:slug>/", views.EventDetailView.as_view(), "event-detail"),
    page("parties/", views.PartyListView.as_view(), "party-list"),
    page("parties/<slug:slug>/", views.PartyDetailView.as_view(), "party-detail"),
    page("sources/", views.SourceListView.as_view(), "source-list"),
    page("sources/<slug:slug>/", views.SourceDetailView.as_view(), "source-detail"),
    page("claims/", views.ClaimListView.as_view(), "claim-list"),
    page("claims/<slug:slug>/", views.ClaimDetailView.as_view(), "claim-detail"),
    page("search/", views.SearchView.as_view(), "search"),
    page("timeline/", views.TimelineView.as_view(), "timeline"),
    page("sitemap.xml", sitemap, "sitemap", sitemaps=SITEMAPS),
    page(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain"),
        "robots",
    ),
]
