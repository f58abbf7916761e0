"""The public pages over the article's data: every page type renders, links keep filters, bad
parameters give a message, and each page runs a fixed number of queries."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.views.defaults import server_error

from cooperation.models import Agreement, Era, Section
from cooperation.synthetic import generate
from tests import factories

pytestmark = pytest.mark.django_db

#: One URL of every page type over the fixture data, with the queries it runs.
PAGES = {
    "/": 12,
    "/article/early-collaborations-and-agreements/": 20,
    "/article/historical-context/": 17,
    "/eras/": 2,
    "/eras/cold-war/": 11,
    "/agreements/": 15,
    "/agreements/?era=cold-war": 14,
    "/agreements/?era=post-9-11&threat=drug-trafficking&kind=programme": 15,
    "/agreements/?page=2&ordering=-signed": 15,
    "/initiatives/": 17,
    "/initiatives/?category=joint_training&active_in=2010": 16,
    "/threats/": 11,
    "/threats/?era=cold-war": 12,
    "/agreements/merida-initiative/": 9,
    "/initiatives/escuadron-201/": 7,
    "/threats/drug-trafficking/": 7,
    "/events/us-occupation-of-veracruz/": 6,
    "/parties/": 7,
    "/parties/mexico/": 7,
    "/sources/": 10,
    "/sources/us-mexico-military-alliances-article/": 17,
    "/sitemap.xml": 18,
}


def count_queries(client, url):
    """The queries of a visit that counts everything it shows: nothing remembered."""
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_every_page_runs_the_same_queries_with_ten_times_the_records(article, client):
    """The budgets hold with the fixture data and with ten times as many synthetic records.
    The synthetic records fill every facet; with the article's records alone a facet with
    nothing to offer costs no query, so a page may cost less."""
    small = {url: count_queries(client, url) for url in PAGES}
    generate(10 * Agreement.objects.count())
    large = {url: count_queries(client, url) for url in PAGES}

    assert large == PAGES
    assert {url: min(small[url], PAGES[url]) for url in PAGES} == small


def test_home_shows_the_article_contents_and_key_figures(article, client):
    page = client.get("/").text
    for section in Section.objects.filter(heading_in_article=True):
        assert section.get_absolute_url() in page
    assert f">{Agreement.objects.count()}</a>" in page
    assert "1910–" in page


def test_section_links_every_record_it_mentions_inline(article, client):
    section = Section.objects.get(slug="early-collaborations-and-agreements")
    response = client.get(section.get_absolute_url())
    body = response.context["body_html"]
    for agreement in section.agreements.all():
        assert f'href="{agreement.get_absolute_url()}"' in body
    assert response.context["previous_section"].kind == "part"
    assert response.context["next_section"].slug == "cold-war-influence-on-defense-relations"


def test_section_records_filter_by_type(article, client):
    section = Section.objects.get(slug="early-collaborations-and-agreements")
    response = client.get(section.get_absolute_url(), {"type": "agreement"})
    groups = {relation.heading: relation.records for relation in response.context["linked"]}
    assert list(groups) == ["Agreements"]
    assert sorted(a.slug for a in groups["Agreements"]) == sorted(
        section.agreements.values_list("slug", flat=True)
    )


def test_pagination_links_keep_the_filters_and_the_sort(client, populate):
    populate(30)
    response = client.get("/agreements/", {"kind": "treaty", "ordering": "-signed", "page": "2"})
    assert response.context["page_obj"].number == 2
    links = re.findall(r'href="(\?[^"]*)"', response.text.replace("&amp;", "&"))
    page_links = [link for link in links if "page=" in link]
    assert "?kind=treaty&ordering=-signed&page=1" in page_links
    assert all("kind=treaty" in link and "ordering=-signed" in link for link in page_links)
    form = re.search(r'<form class="filters".*?</form>', response.text, re.S).group(0)
    assert '<input type="hidden" name="ordering" value="-signed">' in form  # kept on filtering
    assert re.search(r'name="kind" value="treaty" id="[^"]+" checked', form)
    sort = re.search(r'<form class="sort".*?</form>', response.text, re.S).group(0)
    assert re.search(r'<option value="-signed" selected>', sort)
    assert '<input type="hidden" name="kind" value="treaty">' in sort  # kept on sorting
    assert 'name="page"' not in sort


def test_results_summary_offers_to_remove_each_filter(article, client):
    response = client.get("/agreements/", {"era": ["cold-war", "post-9-11"], "kind": "treaty"})
    page = response.text.replace("&amp;", "&")
    assert "?era=post-9-11&kind=treaty" in page  # remove Cold War
    assert "?era=cold-war&kind=treaty" in page  # remove Post-9/11
    assert "?era=cold-war&era=post-9-11" in page  # remove the kind
    assert "Clear all filters" in page


def test_empty_result_says_so_and_offers_a_way_back(article, client):
    response = client.get("/agreements/", {"q": "no record has these words"})
    assert "No records match these filters." in response.text
    assert 'href="/agreements/"' in response.text


def test_facet_choices_show_counts_and_empty_ones(article, client):
    response = client.get("/agreements/", {"era": "cold-war"})
    facets = {facet.name: facet for facet in response.context["facets"]}
    era_options = {option.value: option for option in facets["era"].options}
    assert era_options["cold-war"].checked
    assert era_options["cold-war"].count == Agreement.objects.filter(era__slug="cold-war").count()
    assert any(option.count == 0 for option in facets["kind"].options)
    assert 'class="empty"' in response.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("era=no-such-era", "no-such-era is not one of the available choices"),
        ("signed_from=abc", "Enter a whole number"),
        ("in_force_in=12345678901234567890", "less than or equal to"),
        ("page=99999999", "There is no page"),
        ("page=abc", "There is no page"),
        ("ordering=secret", "is not one of the available choices"),
        ("kind=%00", "not one of the available choices"),
        ("era=%00", "Null characters are not allowed"),
        ("party=a%00b", "Null characters are not allowed"),
        ("threat=%00&era=cold-war", "Null characters are not allowed"),
        ("ordering=title,", "result"),
        ("ordering=,", "result"),
    ],
)
def test_bad_parameter_gives_the_page_with_a_message(article, client, query, message):
    """Values that reach the database as they are (a NUL byte, which PostgreSQL refuses in
    text) are refused by the form first."""
    response = client.get(f"/agreements/?{query}")
    assert response.status_code == 200
    assert message in response.text.replace("&quot;", '"')


@pytest.mark.parametrize(
    "url",
    [
        "/initiatives/?agreement=%00",
        "/initiatives/?participant=%00",
        "/initiatives/?era=%00&category=joint_training",
        "/threats/?era=%00",
        "/threats/?ordering=title,",
    ],
)
def test_bad_values_of_every_list_filter_give_the_page_with_a_message(article, client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert "ordering" in url or "Null characters are not allowed" in response.text


def test_bad_parameters_on_record_pages_give_a_message(article, client):
    response = client.get("/eras/cold-war/", {"type": "spaceship", "threat": "nope"})
    assert response.status_code == 200
    assert "spaceship is not one of the available choices" in response.text


def test_era_page_lists_its_agreements_and_the_threats_they_address(article, client):
    era = Era.objects.get(slug="cold-war")
    response = client.get(era.get_absolute_url())
    groups = {relation.heading: relation.records for relation in response.context["linked"]}
    assert {a.slug for a in groups["Agreements"]} == set(
        era.agreements.values_list("slug", flat=True)
    )
    assert "drug-trafficking" in {t.slug for t in groups["Threats"]}


def test_agreement_page_shows_relations_both_ways_and_the_editorial_note(article, client):
    merida = Agreement.objects.get(slug="merida-initiative")
    response = client.get(merida.get_absolute_url())
    page = response.text
    assert "Editorial note" in page
    assert "22 October 2007" in page
    for initiative in merida.initiatives.all():
        assert initiative.get_absolute_url() in page
    assert reverse("cooperation:agreement-detail", args=["bicentennial-framework"]) in page
    assert '<time datetime="2008-06" data-edtf="2008-06">June 2008</time>' in page


def test_sitemap_and_robots(article, client):
    sitemap = client.get("/sitemap.xml").text
    for agreement in Agreement.objects.all():
        assert agreement.get_absolute_url() in sitemap
    robots = client.get("/robots.txt")
    assert robots["Content-Type"].startswith("text/plain")
    assert "Sitemap: http://testserver/sitemap.xml" in robots.text


def test_missing_page_uses_the_site_design(client):
    response = client.get("/agreements/no-such-agreement/")
    assert response.status_code == 404
    assert "Start from the article" in response.text


def test_server_error_page_uses_the_site_design(rf):
    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_every_page_has_one_h1_a_title_a_description_and_a_canonical_link(article, client):
    for url in PAGES:
        if url.endswith(".xml"):
            continue
        page = client.get(url).text
        assert page.count("<h1") == 1, url
        assert re.search(r"<title>[^<]+ · ", page), url
        assert re.search(r'<meta name="description" content="[^"]{10,}', page), url
        assert '<link rel="canonical" href="http://testserver/' in page, url
        assert 'href="#main"' in page, url


def test_a_facet_of_many_records_offers_the_most_frequent_and_the_chosen(client):
    parties = [factories.PartyFactory(title=f"Ministry {n:02}") for n in range(20)]
    for n, party in enumerate(parties):
        # Ministry 00 is in one agreement, Ministry 19 in twenty.
        for _ in range(n + 1):
            factories.AgreementFactory(parties=[party])

    response = client.get("/agreements/", {"party": parties[0].slug})
    party_facet = next(facet for facet in response.context["facets"] if facet.name == "party")
    shown = [option.label for option in party_facet.options]

    # The twelve most frequent, and the one chosen though it has the fewest.
    assert shown == ["Ministry 00", *[f"Ministry {n:02}" for n in range(8, 20)]]
    assert party_facet.hidden == 7
    assert "And 7 more with fewer results" in response.text
    assert party_facet.options[0].checked


def test_the_threat_list_offers_eras_as_choices_with_counts(article, client):
    response = client.get("/threats/", {"era": "cold-war"})

    page = response.text
    assert 'type="checkbox" name="era" value="cold-war" id="id_era_' in page
    assert 'type="number" name="era"' not in page
    era_facet = next(facet for facet in response.context["facets"] if facet.name == "era")
    cold_war = next(option for option in era_facet.options if option.value == "cold-war")
    assert cold_war.checked
    assert cold_war.count == len(response.context["object_list"])


def test_a_source_page_lists_the_published_records_citing_it(client):
    source = factories.SourceFactory(title="Hemispheric Defense Review")
    factories.AgreementFactory(title="Cited Accord", sources=[source])
    factories.InitiativeFactory(title="Cited Exercise", sources=[source])
    factories.AgreementFactory(title="Draft Citing Accord", sources=[source], state="draft")

    listing = client.get("/sources/")
    page = client.get(source.get_absolute_url())

    assert "Cited by 2 records" in listing.text
    assert source.get_absolute_url() in listing.text
    assert "Cited Accord" in page.text
    assert "Cited Exercise" in page.text
    assert "Draft Citing Accord" not in page.text


def test_a_long_relation_lists_its_first_records_and_links_to_the_rest(client):
    from cooperation.models import SHOWN_LINKS

    threat = factories.ThreatFactory(slug="piracy")
    era = factories.EraFactory(slug="long-era")
    factories.AgreementFactory.create_batch(SHOWN_LINKS + 1, threats=[threat], era=era)

    for url, more_url in [
        (threat.get_absolute_url(), "/agreements/?threat=piracy"),
        (era.get_absolute_url(), "/agreements/?era=long-era"),
    ]:
        page = client.get(url).text
        assert len(re.findall(r'href="/agreements/[^"?/]+/"', page)) == SHOWN_LINKS, url
        assert f'href="{more_url}"' in page, url


def test_a_section_offers_only_the_threats_its_records_address(client):
    addressed = factories.ThreatFactory(slug="smuggling")
    factories.ThreatFactory(slug="unrelated-threat")
    part = factories.SectionFactory(kind="part")
    section = factories.SectionFactory(kind="section", parent=part, position=1)
    section.agreements.add(factories.AgreementFactory(threats=[addressed]))

    page = client.get(section.get_absolute_url()).text

    assert 'value="smuggling"' in page
    assert 'value="unrelated-threat"' not in page


@pytest.mark.parametrize("url", ["/parties/", "/sources/"])
@pytest.mark.parametrize("page", ["999", "abc", "-1"])
def test_a_missing_page_of_a_plain_list_is_shown_as_the_nearest_and_said(
    article, client, url, page
):
    response = client.get(url, {"page": page})

    assert response.status_code == 200
    assert f"There is no page “{page}” of these results" in response.text


def test_a_source_page_lists_at_most_fifty_records_of_a_type(client):
    from cooperation.models import SHOWN_LINKS

    source = factories.SourceFactory()
    factories.AgreementFactory.create_batch(SHOWN_LINKS + 1, sources=[source])

    page = client.get(source.get_absolute_url()).text

    assert f"Cited by {SHOWN_LINKS + 1} records" in page
    assert len(re.findall(r'href="/agreements/[^"?/]+/"', page)) == SHOWN_LINKS
    assert f"Only the first {SHOWN_LINKS} are listed." in page
