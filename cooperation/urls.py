from django.contrib.sitemaps.views import sitemap
from django.urls import path
from django.views.generic import TemplateView

from . import views
from .sitemaps import SITEMAPS

app_name = "cooperation"

urlpatterns = [
    path("", views.ArticleView.as_view(), name="article"),
    path("article/<slug:slug>/", views.SectionDetailView.as_view(), name="section-detail"),
    path("eras/", views.EraListView.as_view(), name="era-list"),
    path("eras/<slug:slug>/", views.EraDetailView.as_view(), name="era-detail"),
    path("agreements/", views.AgreementListView.as_view(), name="agreement-list"),
    path("agreements/<slug:slug>/", views.AgreementDetailView.as_view(), name="agreement-detail"),
    path("initiatives/", views.InitiativeListView.as_view(), name="initiative-list"),
    path(
        "initiatives/<slug:slug>/", views.InitiativeDetailView.as_view(), name="initiative-detail"
    ),
    path("threats/", views.ThreatListView.as_view(), name="threat-list"),
    path("threats/<slug:slug>/", views.ThreatDetailView.as_view(), name="threat-detail"),
    path("events/<slug:slug>/", views.EventDetailView.as_view(), name="event-detail"),
    path("parties/", views.PartyListView.as_view(), name="party-list"),
    path("parties/<slug:slug>/", views.PartyDetailView.as_view(), name="party-detail"),
    path("sources/", views.SourceListView.as_view(), name="source-list"),
    path("sources/<slug:slug>/", views.SourceDetailView.as_view(), name="source-detail"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain"),
        name="robots",
    ),
]
