"""The unfiltered lists' facet counts are stored once after each committed change and used
while they count the current content; any filter, or a change not yet counted, counts live."""

import pytest
from django.http import QueryDict

from cooperation.filters import STORED_LISTS, AgreementFilter, store_facet_counts
from cooperation.models import Agreement, State, StoredFacetCounts
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        era = factories.EraFactory(slug="cold-war")
        threat = factories.ThreatFactory(slug="smuggling")
        factories.AgreementFactory.create_batch(3, era=era, threats=[threat], kind="treaty")
        factories.AgreementFactory(kind="policy", state=State.DRAFT)
        factories.InitiativeFactory(era=era, threats=[threat])
    return {"era": era, "threat": threat}


def facets(client, query=""):
    response = client.get(f"/agreements/?{query}")
    return {
        facet["name"]: {option["value"]: option["count"] for option in facet["options"]}
        for facet in response.context["facets"]
    }


def test_counts_are_stored_after_a_committed_change(world):
    assert set(StoredFacetCounts.objects.values_list("list_name", flat=True)) == {
        *STORED_LISTS,
        "eras",
        "figures",
        "party-links",
        "threat-links",
    }


def test_stored_counts_are_what_counting_live_gives(client, world):
    stored = facets(client)
    StoredFacetCounts.objects.all().delete()

    assert facets(client) == stored
    assert stored["era"] == {"cold-war": 3}
    assert stored["kind"]["treaty"] == 3
    assert stored["kind"]["policy"] == 0  # the draft is not counted


def test_the_unfiltered_list_reads_stored_counts_instead_of_counting(
    client, world, django_assert_num_queries
):
    StoredFacetCounts.objects.all().delete()
    with django_assert_num_queries(15):  # six facets counted, two of them in two queries each
        client.get("/agreements/")
    store_facet_counts()

    with django_assert_num_queries(7):  # one query for all the counts
        client.get("/agreements/")


def test_counts_of_an_older_version_are_not_used(client, world):
    # A change whose counts have not been stored yet: the page counts live.
    factories.AgreementFactory(era=world["era"], kind="treaty")

    assert facets(client)["kind"]["treaty"] == 4


def test_a_filter_counts_live(client, world):
    StoredFacetCounts.objects.update(counts={})  # stored counts that would be wrong

    assert facets(client, "kind=treaty")["era"] == {"cold-war": 3}


def test_storing_counts_every_list_without_filters(world):
    store_facet_counts()

    stored = StoredFacetCounts.objects.get(list_name="agreement")
    expected = AgreementFilter(QueryDict(), queryset=Agreement.objects.published())
    sizes = dict(stored.counts.pop("sizes"))
    assert {name: dict(pairs) for name, pairs in stored.counts.items()} == {
        name: expected.count_facet(name, field) for name, field in expected.facets.items()
    }
    assert sizes == {
        name: len(expected.count_facet(name, field)) for name, field in expected.facets.items()
    }


def test_the_era_list_and_the_key_figures_read_stored_counts(client, world):
    era = world["era"]
    live_eras = client.get("/eras/").context["object_list"]
    live_figures = client.get("/").context["figures"]
    StoredFacetCounts.objects.all().delete()

    counted = client.get("/eras/").context["object_list"]
    assert [(e.slug, e.agreement_count, e.initiative_count) for e in live_eras] == [
        (e.slug, e.agreement_count, e.initiative_count) for e in counted
    ]
    assert (era.slug, 3) in [(e.slug, e.agreement_count) for e in live_eras]
    assert client.get("/").context["figures"] == live_figures
    assert live_figures["agreements"] == 3


def test_the_party_and_threat_lists_read_stored_link_counts(client, world):
    def shown():
        threats = client.get("/threats/").context["object_list"]
        parties = client.get("/parties/").context["object_list"]
        return [(r.slug, r.agreement_count, r.initiative_count) for r in [*threats, *parties]]

    stored = shown()
    StoredFacetCounts.objects.all().delete()

    assert shown() == stored
    assert ("smuggling", 3, 1) in stored


def test_a_large_stored_facet_keeps_its_top_choices_and_its_size(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(30):
            party = factories.PartyFactory(title=f"Ministry {n:02}")
            factories.AgreementFactory.create_batch(n + 1, parties=[party])

    response = client.get("/agreements/")
    party_facet = next(f for f in response.context["facets"] if f["name"] == "party")

    assert len(StoredFacetCounts.objects.get(list_name="agreement").counts["party"]) == 24
    assert [o["label"] for o in party_facet["options"]] == [f"Ministry {n}" for n in range(18, 30)]
    assert party_facet["hidden"] == 18
