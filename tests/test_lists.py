"""What a reader meets on the lists and section pages: the dates as a facet (decade, then
year), the initiatives' status facet, the results line, unknown parameters reported, the
filters folded with their count, and a section's sources."""

import datetime
import re

import pytest

from cooperation.dates import DatePrecision
from cooperation.models import AgreementKind, InitiativeStatus
from tests import factories

pytestmark = pytest.mark.django_db


def options(page, name):
    """{value: (label, count, checked)} of the facet checkboxes named ``name``."""
    found = {}
    pattern = (
        rf'<input type="checkbox" name="{name}" value="([^"]*)" id="([^"]+)"( checked)?>\s*'
        r'<label for="\2"[^>]*>([^<]*?) <span class="count">\((\d+)\)</span>'
    )
    for value, _id, checked, label, count in re.findall(pattern, page):
        found[value] = (label, int(count), bool(checked))
    return found


def slugs(page, kind="agreements"):
    return re.findall(rf'<a href="/{kind}/([\w-]+)/"', page.split('class="rows"', 1)[-1])


def signed(year, **fields):
    return factories.AgreementFactory(
        slug=f"signed-{year}-{fields.get('kind', 'treaty')}",
        signed_date=datetime.date(year, 6, 1),
        signed_precision=DatePrecision.YEAR,
        **fields,
    )


@pytest.fixture
def dated(db):
    era = factories.EraFactory(slug="mid-century", start_year=1940, end_year=1960)
    signed(1942, era=era)
    signed(1947, era=era)
    signed(1947, era=era, kind=AgreementKind.EXCHANGE_OF_NOTES)
    signed(1953, era=era)
    return era


def test_the_dates_facet_offers_decades_with_counts(client, dated):
    page = client.get("/agreements/").text

    decades = options(page, "decade")
    assert decades == {"1940": ("1940s", 3, False), "1950": ("1950s", 1, False)}
    assert options(page, "year") == {}  # years only within a chosen decade


def test_a_chosen_decade_narrows_the_list_and_offers_its_years(client, dated):
    page = client.get("/agreements/", {"decade": "1940"}).text

    assert sorted(slugs(page)) == [
        "signed-1942-treaty",
        "signed-1947-exchange_of_notes",
        "signed-1947-treaty",
    ]
    assert options(page, "decade")["1940"] == ("1940s", 3, True)
    # The decade facet is counted without its own filter: the 1950s can still be added.
    assert options(page, "decade")["1950"] == ("1950s", 1, False)
    assert options(page, "year") == {"1942": ("1942", 1, False), "1947": ("1947", 2, False)}


def test_a_chosen_year_narrows_further_and_combines_with_other_facets(client, dated):
    page = client.get("/agreements/", {"decade": "1940", "year": "1947", "kind": "treaty"}).text

    assert slugs(page) == ["signed-1947-treaty"]
    assert options(page, "year")["1947"] == ("1947", 1, True)  # counted under kind=treaty
    assert (
        options(page, "kind")["exchange_of_notes"][1] == 1
    )  # counted under the year, without kind


def test_bad_dates_are_reported_and_the_rest_of_the_filters_apply(client, dated):
    response = client.get("/agreements/", {"decade": "1945", "year": "nineteen", "kind": "treaty"})

    assert response.status_code == 200
    page = response.text
    assert "“1945” is not a decade" in page
    assert "“nineteen” is not a year from 1800 to 2100" in page
    assert len(slugs(page)) == 3  # kind=treaty still applies


def test_too_many_years_are_refused_with_a_message(client, dated):
    response = client.get("/agreements/", {"year": [str(year) for year in range(1900, 1930)]})

    assert response.status_code == 200
    assert "Choose at most 20." in response.text
    assert len(slugs(response.text)) == 4


def test_the_results_line_says_for_only_when_a_filter_is_set(client, dated):
    for parameters in ({}, {"page": "1"}, {"ordering": "title"}):
        assert "4 results for:" not in client.get("/agreements/", parameters).text, parameters
        assert "4 results" in client.get("/agreements/", parameters).text

    page = client.get("/agreements/", {"era": "mid-century"}).text
    assert "4 results for:" in page
    assert "Filters (1 active)" in page


def test_the_folded_filters_count_every_chosen_value(client, dated):
    page = client.get("/agreements/", {"decade": ["1940", "1950"], "kind": "treaty"}).text

    assert "Filters (3 active)" in page
    assert re.search(r'<details class="filters-disclosure">', page)  # folded when filtered
    assert re.search(r'<details class="filters-disclosure" open>', client.get("/agreements/").text)


def test_unknown_parameters_are_reported_like_bad_values(client, dated):
    response = client.get("/agreements/", {"colour": "red", "kind": "treaty"})

    assert response.status_code == 200
    assert "This list has no filter “colour”." in response.text
    assert len(slugs(response.text)) == 3
    # The list's own parameters are never reported.
    known = client.get("/agreements/", {"page": "1", "more": "party", "ordering": "title"})
    assert "has no filter" not in known.text


def test_the_initiatives_have_a_status_facet(client):
    factories.InitiativeFactory(slug="goes-on", status=InitiativeStatus.ONGOING)
    factories.InitiativeFactory(slug="unsure", status=InitiativeStatus.UNVERIFIED)
    factories.InitiativeFactory(slug="also-unsure", status=InitiativeStatus.UNVERIFIED)

    page = client.get("/initiatives/").text
    assert options(page, "status")["unverified"][1] == 2
    assert options(page, "status")["ongoing"][1] == 1

    narrowed = client.get("/initiatives/", {"status": "unverified"}).text
    assert sorted(slugs(narrowed, "initiatives")) == ["also-unsure", "unsure"]


def test_a_section_lists_the_sources_of_the_records_it_discusses(client):
    cited = factories.SourceFactory(title="Treaty text", slug="treaty-text")
    own = factories.SourceFactory(title="Section's own source", slug="own")
    draft = factories.SourceFactory(title="Unpublished source", slug="draft-source", state="draft")
    uncited = factories.SourceFactory(title="Cited by nothing here", slug="elsewhere")
    agreement = factories.AgreementFactory(slug="discussed", sources=[cited, draft])
    factories.AgreementFactory(slug="not-discussed", sources=[uncited])
    section = factories.SectionFactory(slug="the-section", sources=[own])
    section.agreements.add(agreement)

    page = client.get(section.get_absolute_url()).text
    listed = page.split('id="sources-heading"', 1)[1].split("</section>", 1)[0]

    assert re.findall(r'<a href="/sources/([\w-]+)/"', listed) == ["own", "treaty-text"]


def test_a_section_that_discusses_no_threat_offers_no_threat_filter(client):
    threat = factories.ThreatFactory(title="Piracy", slug="piracy")
    agreement = factories.AgreementFactory(slug="about-nothing")
    quiet = factories.SectionFactory(slug="quiet")
    quiet.agreements.add(agreement)
    threatened = factories.SectionFactory(slug="threatened")
    threatened.threats.add(threat)

    assert "<legend>Threat</legend>" not in client.get(quiet.get_absolute_url()).text
    page = client.get(threatened.get_absolute_url()).text
    assert "<legend>Threat</legend>" in page
    assert 'value="piracy"' in page
