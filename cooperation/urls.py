from django.urls import path

from . import views

app_name = "cooperation"

urlpatterns = [
    path("", views.ArticleView.as_view(), name="article"),
    path("article/<slug:slug>/", views.SectionDetailView.as_view(), name="section-detail"),
    path("eras/<slug:slug>/", views.EraDetailView.as_view(), name="era-detail"),
    path("agreements/<slug:slug>/", views.AgreementDetailView.as_view(), name="agreement-detail"),
    path(
        "initiatives/<slug:slug>/", views.InitiativeDetailView.as_view(), name="initiative-detail"
    ),
    path("threats/<slug:slug>/", views.ThreatDetailView.as_view(), name="threat-detail"),
    path("events/<slug:slug>/", views.EventDetailView.as_view(), name="event-detail"),
    path("parties/<slug:slug>/", views.PartyDetailView.as_view(), name="party-detail"),
    path("sources/", views.SourceListView.as_view(), name="source-list"),
]
