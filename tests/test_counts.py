"""Counts over the whole published content are counted once per content version and then read
from the cache, on every page that shows them; a change counts anew; a filter counts live. No
count ever includes a record that is not published."""

import pytest
from django.http import QueryDict

from cooperation.filters import AgreementFilter
from cooperation.models import Agreement, State
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    era = factories.EraFactory(slug="cold-war")
    threat = factories.ThreatFactory(slug="smuggling")
    party = factories.PartyFactory(slug="mexico")
    factories.AgreementFactory.create_batch(
        3, era=era, threats=[threat], parties=[party], kind="treaty"
    )
    factories.AgreementFactory(kind="policy", state=State.DRAFT)
    factories.InitiativeFactory(era=era, threats=[threat], participants=[party])
    return {"era": era, "threat": threat, "party": party}


def facets(client, query=""):
    response = client.get(f"/agreements/?{query}")
    return {
        facet.name: {option.value: option.count for option in facet.options}
        for facet in response.context["facets"]
    }


def test_the_unfiltered_list_counts_once_and_then_reads_the_counts(
    client, world, django_assert_num_queries
):
    # seven facets: three in one pass, two in two queries each, the era and the dates in one each
    with django_assert_num_queries(15):
        counted = facets(client)
    with django_assert_num_queries(8):  # the version, labels of records, rows: no counting
        assert facets(client) == counted


def test_remembered_counts_are_what_choosing_each_value_gives(client, world):
    facets(client)  # remembered now
    for name, counts in facets(client).items():
        for value, count in counts.items():
            chosen = AgreementFilter(
                QueryDict(f"{name}={value}"), queryset=Agreement.objects.published()
            )
            assert count == chosen.qs.count(), (name, value)


def test_a_change_is_counted_at_once(client, world):
    assert facets(client)["kind"]["treaty"] == 3

    factories.AgreementFactory(era=world["era"], kind="treaty")

    assert facets(client)["kind"]["treaty"] == 4


def test_a_filter_counts_under_the_filter(client, world):
    factories.AgreementFactory(kind="policy")  # another era

    assert facets(client, "kind=treaty")["era"] == {"cold-war": 3}
    assert facets(client, "kind=policy")["era"].get("cold-war", 0) == 0


def test_counts_leave_out_drafts_however_they_are_linked(client, world):
    """A draft agreement linked to the era, the party and the threat; a draft party, threat
    and era linked to published agreements: none of them is counted anywhere."""
    before = {
        "facets": facets(client),
        "eras": [(e.slug, e.agreement_count, e.initiative_count) for e in eras(client)],
        "figures": client.get("/").context["figures"],
        "threats": link_counts(client, "/threats/"),
        "parties": link_counts(client, "/parties/"),
    }
    draft_party = factories.PartyFactory(state=State.DRAFT)
    draft_threat = factories.ThreatFactory(state=State.DRAFT)
    draft_era = factories.EraFactory(state=State.DRAFT)
    factories.AgreementFactory(
        state=State.IN_REVIEW,
        era=world["era"],
        parties=[world["party"], draft_party],
        threats=[world["threat"], draft_threat],
        kind="treaty",
    )
    factories.AgreementFactory(
        era=draft_era, parties=[draft_party], threats=[draft_threat], kind="plan"
    )
    factories.InitiativeFactory(
        state=State.WITHDRAWN, era=world["era"], participants=[world["party"]]
    )
    after_facets = facets(client)

    assert after_facets["kind"]["treaty"] == before["facets"]["kind"]["treaty"]
    assert after_facets["kind"]["plan"] == before["facets"]["kind"]["plan"] + 1
    assert after_facets["party"] == before["facets"]["party"]
    assert after_facets["threat"] == before["facets"]["threat"]
    assert after_facets["era"] == before["facets"]["era"]
    assert [(e.slug, e.agreement_count, e.initiative_count) for e in eras(client)] == before["eras"]
    figures = client.get("/").context["figures"]
    assert figures["agreements"] == before["figures"]["agreements"] + 1  # the published one
    assert {key: figures[key] for key in ("initiatives", "threats", "eras")} == {
        key: before["figures"][key] for key in ("initiatives", "threats", "eras")
    }
    assert link_counts(client, "/threats/") == before["threats"]
    assert link_counts(client, "/parties/") == before["parties"]


def eras(client):
    return client.get("/eras/").context["object_list"]


def link_counts(client, url):
    return [
        (record.slug, record.agreement_count, record.initiative_count)
        for record in client.get(url).context["object_list"]
    ]


def test_the_era_list_the_key_figures_and_the_link_counts_are_read_when_remembered(
    client, world, django_assert_num_queries
):
    for url, counting, reading in (
        ("/eras/", 2, 1),
        ("/", 9, 3),
        ("/threats/", 11, 4),
        ("/parties/", 7, 3),
    ):
        with django_assert_num_queries(counting):
            first = client.get(url).content
        with django_assert_num_queries(reading):
            assert client.get(url).content == first, url


def test_the_counts_shown_are_right(client, world):
    era = world["era"]
    assert (era.slug, 3, 1) in [
        (e.slug, e.agreement_count, e.initiative_count) for e in eras(client)
    ]
    assert client.get("/").context["figures"]["agreements"] == 3
    assert ("smuggling", 3, 1) in link_counts(client, "/threats/")
    assert ("mexico", 3, 1) in link_counts(client, "/parties/")


def test_a_large_facet_offers_its_top_choices_and_says_how_many_more(client):
    for n in range(30):
        party = factories.PartyFactory(title=f"Ministry {n:02}")
        factories.AgreementFactory.create_batch(n + 1, parties=[party])

    for _visit in ("counted", "remembered"):
        response = client.get("/agreements/")
        party_facet = next(f for f in response.context["facets"] if f.name == "party")
        assert [o.label for o in party_facet.options] == [f"Ministry {n}" for n in range(18, 30)]
        assert party_facet.hidden == 18


def test_a_list_narrowed_to_one_facet_value_counts_once_then_reads(client, world):
    """The pages every record links to (its era's agreements, a party's agreements) count
    once per content version; a second filter counts for itself."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def visit(query):
        with CaptureQueriesContext(connection) as captured:
            shown = facets(client, query)
        return shown, len(captured)

    counted, counting = visit("era=cold-war")
    read, reading = visit("era=cold-war")
    assert read == counted
    assert reading < counting
    assert visit("era=cold-war&kind=treaty")[1] > reading  # two filters: counted
    factories.AgreementFactory(era=world["era"], kind="policy")
    assert visit("era=cold-war")[0]["kind"]["policy"] == 1
