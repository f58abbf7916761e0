"""The FilterSets on their own: each filter narrows correctly, bad input is reported and
ignored, and facet counts match what choosing that value would give."""

import datetime

import pytest
from django.http import QueryDict

from cooperation.dates import DatePrecision
from cooperation.facets import FacetedList
from cooperation.filters import AgreementFilter, InitiativeFilter, LinkedRecordsForm, ThreatFilter
from cooperation.models import Agreement, Initiative, Threat
from cooperation.views import AgreementListView, ThreatListView
from tests import factories

pytestmark = pytest.mark.django_db


def year(value):
    return {"date": datetime.date(value, 1, 1), "precision": DatePrecision.YEAR}


def agreement(slug, signed=None, in_force=None, ended=None, **fields):
    for name, value in (("signed", signed), ("in_force", in_force), ("ended", ended)):
        fields[f"{name}_date"] = datetime.date(value, 1, 1) if value else None
        fields[f"{name}_precision"] = DatePrecision.YEAR if value else ""
    return factories.AgreementFactory(slug=slug, title=slug.replace("-", " ").title(), **fields)


def slugs(filterset):
    return sorted(record.slug for record in filterset.qs)


def agreements(query):
    return AgreementFilter(QueryDict(query), queryset=Agreement.objects.all())


def facet_counts(filterset, facets):
    """{facet: {value or slug: number of records}} of the values with records."""
    return {
        facet.name: {option.value: option.count for option in facet.options if option.count}
        for facet in FacetedList(filterset, facets).shown()
    }


@pytest.fixture
def world():
    cold_war = factories.EraFactory(slug="cold-war", start_year=1947, end_year=1991)
    post_911 = factories.EraFactory(slug="post-9-11", start_year=2001, end_year=2021)
    mexico = factories.PartyFactory(slug="mexico")
    usa = factories.PartyFactory(slug="united-states")
    drugs = factories.ThreatFactory(slug="drug-trafficking", category="crime")
    terror = factories.ThreatFactory(slug="terrorism", category="terrorism")
    rio = agreement(
        "rio-treaty", 1947, 1948, 2004, era=cold_war, kind="treaty", scope="multilateral",
        status="terminated", parties=[mexico, usa], threats=[terror],
    )  # fmt: skip
    narcotics = agreement(
        "narcotics-1989", 1989, era=cold_war, kind="treaty", parties=[mexico, usa],
        threats=[drugs, terror],
    )  # fmt: skip
    merida = agreement(
        "merida", 2008, era=post_911, kind="programme", parties=[mexico, usa],
        threats=[drugs], summary="Security cooperation against organized crime.",
    )  # fmt: skip
    remain = agreement(
        "remain-in-mexico", 2018, era=post_911, kind="policy", scope="unilateral",
        parties=[usa],
    )  # fmt: skip
    undated = agreement("plan-unknown", era=None, kind="plan", status="unverified")
    return locals()


def test_unfiltered_gives_everything(world):
    assert len(agreements("").qs) == 5


def test_era_filter_takes_slugs_and_any_of_several(world):
    assert slugs(agreements("era=cold-war")) == ["narcotics-1989", "rio-treaty"]
    assert len(agreements("era=cold-war&era=post-9-11").qs) == 4


def test_choice_filters(world):
    assert slugs(agreements("kind=policy&kind=plan")) == ["plan-unknown", "remain-in-mexico"]
    assert slugs(agreements("scope=multilateral")) == ["rio-treaty"]
    assert slugs(agreements("status=unverified")) == ["plan-unknown"]


def test_relation_filters_list_each_record_once(world):
    both = agreements("threat=drug-trafficking&threat=terrorism")
    assert slugs(both) == ["merida", "narcotics-1989", "rio-treaty"]
    assert slugs(agreements("party=mexico&party=united-states")) == [
        "merida", "narcotics-1989", "remain-in-mexico", "rio-treaty",
    ]  # fmt: skip


def test_filters_combine(world):
    assert slugs(agreements("era=cold-war&threat=drug-trafficking")) == ["narcotics-1989"]


def test_signed_year_range(world):
    assert slugs(agreements("signed_from=1989&signed_to=2008")) == ["merida", "narcotics-1989"]


def test_in_force_in_year_uses_entry_into_force_and_end(world):
    assert slugs(agreements("in_force_in=1947")) == []  # signed 1947, in force only from 1948
    assert slugs(agreements("in_force_in=2004")) == ["narcotics-1989", "rio-treaty"]
    assert slugs(agreements("in_force_in=2005")) == ["narcotics-1989"]
    assert "merida" in slugs(agreements("in_force_in=2020"))


def test_free_text_matches_every_word_in_any_field_in_any_case(world):
    assert slugs(agreements("q=organized+crime")) == ["merida"]
    assert slugs(agreements("q=MERIDA")) == ["merida"]
    assert slugs(agreements("q=merida+nonsense")) == []


def test_ordering(world):
    titles = [a.slug for a in agreements("ordering=-signed").qs]
    assert titles[:2] == ["remain-in-mexico", "merida"]
    assert agreements("ordering=title").qs.first().slug == "merida"


@pytest.mark.parametrize(
    ("query", "bad_field"),
    [
        ("era=no-such-era&kind=treaty", "era"),
        ("threat=nope&kind=treaty", "threat"),
        ("kind=spaceship&scope=multilateral", "kind"),
        ("signed_from=abc&kind=treaty", "signed_from"),
        ("in_force_in=99999&kind=treaty", "in_force_in"),
        ("ordering=password&kind=treaty", "ordering"),
    ],
)
def test_bad_parameter_is_reported_and_the_valid_filters_still_apply(world, query, bad_field):
    filterset = agreements(query)
    assert list(filterset.errors) == [bad_field]
    assert filterset.errors[bad_field][0]
    valid = "scope=multilateral" if bad_field == "kind" else "kind=treaty"
    assert slugs(filterset) == slugs(agreements(valid))


def test_facet_counts_apply_the_other_filters_but_not_their_own(world):
    counts = facet_counts(agreements("era=cold-war"), AgreementListView.facets)
    # Era counts ignore the era filter: choosing another era adds to the results.
    assert counts["era"] == {"cold-war": 2, "post-9-11": 2}
    # Other facets are counted within the Cold War.
    assert counts["kind"] == {"treaty": 2}
    assert counts["threat"] == {"drug-trafficking": 1, "terrorism": 2}
    assert counts["party"] == {"mexico": 2, "united-states": 2}


@pytest.mark.parametrize(
    "query", ["", "era=cold-war", "threat=terrorism&scope=bilateral", "kind=policy&party=mexico"]
)
def test_each_facet_count_is_what_choosing_that_value_gives(world, query):
    filterset = agreements(query)
    for name, counts in facet_counts(filterset, AgreementListView.facets).items():
        for value, count in counts.items():
            chosen = QueryDict(query, mutable=True)
            chosen.setlist(name, [value])
            assert count == len(agreements(chosen.urlencode()).qs), (name, value)


def test_initiative_filters(world):
    w = world
    exercise = factories.InitiativeFactory(
        slug="fuerzas-comando", era=w["post_911"], agreement=w["merida"],
        participants=[w["mexico"]], threats=[w["terror"]], category="joint_training",
        started_date=datetime.date(2004, 1, 1), started_precision="year",
    )  # fmt: skip
    factories.InitiativeFactory(
        slug="escuadron-201", era=None, category="combined_operations",
        started_date=datetime.date(1944, 7, 1), started_precision="month",
        ended_date=datetime.date(1945, 12, 1), ended_precision="month",
    )  # fmt: skip

    def initiatives(query):
        return slugs(InitiativeFilter(QueryDict(query), queryset=Initiative.objects.all()))

    assert initiatives("agreement=merida") == ["fuerzas-comando"]
    assert initiatives("participant=mexico&threat=terrorism") == ["fuerzas-comando"]
    assert initiatives("category=combined_operations") == ["escuadron-201"]
    assert initiatives("active_in=1945") == ["escuadron-201"]
    assert initiatives("active_in=2010") == ["fuerzas-comando"]
    assert initiatives("active_in=1950") == []
    assert exercise.slug in initiatives("era=post-9-11")


def test_threat_filters_reach_eras_through_linked_records(world):
    def threats(query):
        return ThreatFilter(QueryDict(query), queryset=Threat.objects.all())

    assert slugs(threats("era=cold-war")) == ["drug-trafficking", "terrorism"]
    assert slugs(threats("era=post-9-11&category=crime")) == ["drug-trafficking"]
    counts = facet_counts(threats("category=terrorism"), ThreatListView.facets)
    assert counts["era"] == {"cold-war": 1}
    assert counts["category"] == {"crime": 1, "terrorism": 1}


def test_linked_records_form_narrows_groups(world):
    groups = {Agreement: Agreement.objects.all(), Threat: Threat.objects.all()}
    form = LinkedRecordsForm(QueryDict("type=agreement&threat=drug-trafficking"), groups=groups)
    filtered = form.filtered_groups()
    assert list(filtered) == [Agreement]
    assert sorted(a.slug for a in filtered[Agreement]) == ["merida", "narcotics-1989"]
    bad = LinkedRecordsForm(QueryDict("type=spaceship&q=merida"), groups=groups)
    filtered = bad.filtered_groups()
    assert "type" in bad.errors
    assert [a.slug for a in filtered[Agreement]] == ["merida"]
