"""Search across the site, as a reader uses it: /search/?q= over every published record, section
and source, and the lists' own search box, which reads the same index. Both databases run it
(make test, make test-postgres): FTS5 on SQLite, text search with a GIN index on PostgreSQL."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cooperation.models import KIND_NUMBERS, PUBLIC_MODELS, Agreement, SearchEntry, State
from cooperation.synthetic import generate
from tests import factories
from tests.admin_forms import admin_url, save

pytestmark = pytest.mark.django_db


def hits(client, q, **parameters):
    """[(address, title as shown)] of the first page of results."""
    response = client.get("/search/", {"q": q, **parameters})
    assert response.status_code == 200
    page = response.content.decode()
    return [
        (address, re.sub(r"<[^>]+>", "", title))
        for address, title in re.findall(
            r'<li class="row">\s*<h3><a href="([^"]+)">(.*?)</a>', page
        )
    ]


def addresses(client, q, **parameters):
    return [address for address, _title in hits(client, q, **parameters)]


def problems(page):
    return re.findall(r"<li><strong>[^<]+</strong>: ([^<]+)</li>", page)


@pytest.mark.parametrize("q", ["merida", "Mérida", "MÉRIDA", "MERIDA", "mérida initiative"])
def test_accents_and_case_do_not_matter(article, client, q):
    assert addresses(client, q)[0] == "/agreements/merida-initiative/"


@pytest.mark.parametrize(
    ("q", "first"),
    [
        ("escuadron", "/initiatives/escuadron-201/"),
        ("ESCUADRÓN", "/initiatives/escuadron-201/"),
        ("ACCIÓN", "/agreements/plan-de-accion-conjunta/"),
        ("accion conjunta", "/agreements/plan-de-accion-conjunta/"),
    ],
)
def test_the_words_the_audit_could_not_find_are_found(article, client, q, first):
    assert addresses(client, q)[0] == first


def test_a_record_link_is_indexed_as_the_words_readers_see(client):
    factories.AgreementFactory(
        title="Accord on ports",
        slug="accord-on-ports",
        body="It followed [[agreement:zanzibar-pact|the earlier pact]] closely.",
    )

    assert addresses(client, "zanzibar") == []  # the slug is markup, not text
    assert addresses(client, "earlier pact") == ["/agreements/accord-on-ports/"]
    page = client.get("/search/", {"q": "earlier"}).content.decode()
    assert "[[" not in page


def test_markdown_is_indexed_as_text(client):
    factories.AgreementFactory(
        slug="with-markup", body="**Bold words** and a [link](https://example.org/)"
    )

    entry = SearchEntry.objects.get(slug="with-markup")
    assert entry.body == "Bold words and a link"
    assert addresses(client, "example") == []


def test_a_word_finds_its_other_forms(client):
    factories.AgreementFactory(title="Treaty of friendship", slug="friendship")

    assert addresses(client, "treaties") == ["/agreements/friendship/"]
    assert addresses(client, "friendships") == ["/agreements/friendship/"]


def test_a_phrase_finds_its_words_together_and_in_order(client):
    factories.InitiativeFactory(title="Joint naval training", slug="naval")
    factories.InitiativeFactory(title="Joint training at sea", slug="at-sea")
    factories.InitiativeFactory(title="Training at home", slug="at-home")

    assert addresses(client, '"joint training"') == ["/initiatives/at-sea/"]
    assert set(addresses(client, "joint training")) == {
        "/initiatives/naval/",
        "/initiatives/at-sea/",
    }
    assert addresses(client, '"training joint"') == []


def test_a_title_ranks_above_a_summary_above_a_body(client):
    word = "quetzalcoatl"
    factories.AgreementFactory(slug="in-body", body=f"{word} " * 8)
    factories.AgreementFactory(slug="in-title", title=f"The {word} accord")
    factories.AgreementFactory(slug="in-summary", summary=f"About {word}, twice: {word}.")

    assert addresses(client, word) == [
        "/agreements/in-title/",
        "/agreements/in-summary/",
        "/agreements/in-body/",
    ]


def test_matched_words_are_marked_and_the_text_is_escaped(client):
    factories.AgreementFactory(
        title="Mérida <b>talks</b> & more",
        slug="talks",
        summary="",
        body="Talks at Mérida on <script>alert(1)</script> & <em>other</em> matters.",
    )

    page = client.get("/search/", {"q": "merida"}).content.decode()

    assert "<mark>Mérida</mark> &lt;b&gt;talks&lt;/b&gt; &amp; more" in page
    snippet = re.search(r'<p class="snippet">(.*?)</p>', page, re.S)[1]
    assert snippet.startswith("Talks at <mark>Mérida</mark> on &amp; other matters")
    # What the record's page shows, the index holds: no script, nor its text.
    assert SearchEntry.objects.get(slug="talks").body == "Talks at Mérida on & other matters."


def test_every_type_is_found_with_its_type_and_era(client):
    era = factories.EraFactory(title="Hemispheric era", slug="hemispheric")
    source = factories.SourceFactory(title="Zapotec archive", slug="zapotec-archive")
    records = [
        factories.AgreementFactory(title="Zapotec accord", slug="zapotec-accord", era=era),
        factories.InitiativeFactory(title="Zapotec drills", slug="zapotec-drills", era=era),
        factories.ThreatFactory(title="Zapotec raids", slug="zapotec-raids"),
        factories.EventFactory(title="Zapotec landing", slug="zapotec-landing", era=era),
        factories.PartyFactory(title="Zapotec guard", slug="zapotec-guard"),
        factories.EraFactory(title="Zapotec years", slug="zapotec-years"),
    ]
    section = factories.SectionFactory(title="Zapotec section", slug="zapotec-section")

    found = set(addresses(client, "zapotec"))

    expected = {record.get_absolute_url() for record in [*records, source, section]}
    assert found == expected
    page = client.get("/search/", {"q": "zapotec"}).content.decode()
    accord = re.search(
        r'href="/agreements/zapotec-accord/".*?<p class="meta">(.*?)</p>', page, re.S
    )
    assert accord[1] == "Agreement · Hemispheric era"


def test_facets_count_each_type_and_era_under_the_other(client):
    early = factories.EraFactory(title="Early", slug="early", start_year=1900)
    late = factories.EraFactory(title="Late", slug="late", start_year=1990)
    for era, agreements, initiatives in ((early, 2, 1), (late, 1, 3)):
        factories.AgreementFactory.create_batch(agreements, era=era, summary="Xolotl pact.")
        factories.InitiativeFactory.create_batch(initiatives, era=era, summary="Xolotl drill.")

    def counts(**parameters):
        response = client.get("/search/", {"q": "xolotl", **parameters})
        return response.context["paginator"].count, {
            facet.name: {option.value: option.count for option in facet.options}
            for facet in response.context["facets"]
        }

    total, facets = counts()
    assert total == 7
    assert facets["type"]["agreement"] == 3
    assert facets["type"]["initiative"] == 4
    assert facets["type"]["threat"] == 0
    assert facets["era"] == {"early": 3, "late": 4}

    total, facets = counts(type="initiative")
    assert total == 4
    assert facets["era"] == {"early": 1, "late": 3}  # counted under the type chosen
    assert facets["type"]["agreement"] == 3  # the type facet is not narrowed by itself
    assert set(addresses(client, "xolotl", type="initiative")) == {
        record.get_absolute_url() for record in factories.models.Initiative.objects.all()
    }

    total, facets = counts(era="late", type=["initiative", "agreement"])
    assert total == 4
    assert facets["type"] == {**facets["type"], "agreement": 1, "initiative": 3}


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("", "Type one or more words to search for."),
        ("   ", "Type one or more words to search for."),
        ("!!! ???", "“!!! ???” has no words to search for: use letters or digits."),
        ('"', '“"” has no words to search for: use letters or digits.'),
        ("the of and", "“the of and” has only very common words: add a word that narrows it."),
        (" ".join(f"w{n}" for n in range(13)), "Use at most 12 words or phrases in one search."),
        ("x" * 201, "Ensure this value has at most 200 characters (it has 201)."),
    ],
)
def test_an_empty_or_unusable_query_says_what_to_do(article, client, q, message):
    response = client.get("/search/", {"q": q})

    assert response.status_code == 200
    assert [html_unescape(p) for p in problems(response.content.decode())] == [message]
    assert response.context["object_list"] == []


def html_unescape(text):
    import html

    return html.unescape(text)


@pytest.mark.parametrize(
    "q",
    [
        "NEAR(a b)",
        "title:merida",
        "merida*",
        "a OR b AND NOT c",
        "(((",
        "'; DROP TABLE x; --",
        "\x00merida",
        "merida -initiative",
        "{title}: x",
        "^merida",
    ],
)
def test_search_syntax_typed_by_a_reader_is_only_words(article, client, q):
    response = client.get("/search/", {"q": q})
    assert response.status_code == 200


def test_without_a_query_the_page_offers_the_box_and_no_message(client):
    response = client.get("/search/")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_q"' in page
    assert problems(page) == []


def test_bad_facet_values_are_reported_and_the_search_still_runs(article, client):
    response = client.get("/search/", {"q": "merida", "type": "nonsense", "era": "no-such-era"})

    page = response.content.decode()
    assert response.status_code == 200
    assert len(problems(page)) == 2
    assert "/agreements/merida-initiative/" in page


def test_drafts_are_never_found_and_a_publication_is_found_at_once(client, editor, publisher):
    draft = factories.AgreementFactory(title="Tlaloc accord", slug="tlaloc", state=State.DRAFT)
    assert addresses(client, "tlaloc") == []

    editor.post(
        admin_url(Agreement, "changelist"),
        {"action": "submit_for_review", "_selected_action": [draft.pk]},
    )
    assert addresses(client, "tlaloc") == []  # in review

    publisher.post(admin_url(Agreement, "review", draft.pk), {"action": "publish"})
    assert addresses(client, "tlaloc") == ["/agreements/tlaloc/"]

    # An editor's change to the live record waits for review: search finds the live text.
    save(editor, draft, title="Tlaloc and Chaac accord")
    assert addresses(client, "chaac") == []
    assert hits(client, "tlaloc") == [("/agreements/tlaloc/", "Tlaloc accord")]
    publisher.post(admin_url(Agreement, "review", draft.pk), {"action": "publish"})
    assert hits(client, "chaac") == [("/agreements/tlaloc/", "Tlaloc and Chaac accord")]

    changelist = admin_url(Agreement, "changelist")
    publisher.post(
        changelist, {"action": "withdraw", "_selected_action": [draft.pk], "confirm": "1"}
    )
    assert Agreement.objects.get(pk=draft.pk).state == State.WITHDRAWN
    assert addresses(client, "tlaloc") == []
    assert not SearchEntry.objects.filter(slug="tlaloc").exists()


def test_a_deleted_record_leaves_the_index(client):
    record = factories.ThreatFactory(title="Mictlan raids", slug="mictlan")
    assert addresses(client, "mictlan") == ["/threats/mictlan/"]

    record.delete()

    assert addresses(client, "mictlan") == []


def test_results_are_paged_with_the_query_kept(client):
    factories.AgreementFactory.create_batch(45, summary="Tonatiuh accord.")

    first = client.get("/search/", {"q": "tonatiuh"})
    third = client.get("/search/", {"q": "tonatiuh", "page": "3"})

    assert first.context["paginator"].count == 45
    assert len(first.context["object_list"]) == 20
    assert len(third.context["object_list"]) == 5
    assert "?q=tonatiuh&amp;page=2" in first.content.decode()
    seen = {
        hit.slug
        for page in ("1", "2", "3")
        for hit in client.get("/search/", {"q": "tonatiuh", "page": page}).context["object_list"]
    }
    assert len(seen) == 45


def test_the_search_box_is_in_every_pages_header(article, client):
    for address in ("/", "/agreements/", "/agreements/merida-initiative/", "/sources/"):
        page = client.get(address).content.decode()
        header = page.split("</header>")[0]
        assert 'role="search"' in header, address
        assert 'action="/search/"' in header, address


# --- The lists' search box reads the same index ---------------------------------------------


def list_slugs(client, address, **parameters):
    page = client.get(address, parameters).content.decode()
    return re.findall(r'<li class="row">\s*<h3><a href="/\w+/([^/]+)/">', page)


@pytest.mark.parametrize("q", ["merida", "MÉRIDA", "Mérida"])
def test_the_agreement_list_finds_merida_whatever_is_typed(article, client, q):
    assert "merida-initiative" in list_slugs(client, "/agreements/", q=q)


def test_a_list_does_not_find_words_only_inside_link_markup(client):
    factories.AgreementFactory(slug="only-linked", body="See [[agreement:zanzibar-pact|it]].")
    factories.AgreementFactory(slug="named", summary="The Zanzibar pact.")

    assert list_slugs(client, "/agreements/", q="zanzibar") == ["named"]


def test_a_list_reports_an_unusable_query_like_any_bad_value(article, client):
    response = client.get("/agreements/", {"q": "!!!"})

    assert response.status_code == 200
    assert problems(response.content.decode()) == [
        "“!!!” has no words to search for: use letters or digits."
    ]
    assert response.context["paginator"].count == Agreement.objects.published().count()


def test_the_initiative_and_threat_lists_search_too(article, client):
    assert "escuadron-201" in list_slugs(client, "/initiatives/", q="escuadron")
    assert list_slugs(client, "/threats/", q="TRAFFICKING")


def test_a_section_pages_record_filter_searches_the_index(article, client):
    address = "/article/early-collaborations-and-agreements/"
    page = client.get(address, {"q": "ESCUADRON"}).content.decode()

    assert "/initiatives/escuadron-201/" in page.split('class="linked-records"')[-1]


# --- Cost -----------------------------------------------------------------------------------


SEARCHES = [
    {"q": "mexico"},
    {"q": "cooperation", "type": "agreement"},
    {"q": '"joint training"', "era": "post-9-11"},
]


def queries(client, address, parameters):
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address, parameters)
    assert response.status_code == 200
    return len(captured)


def test_search_runs_the_same_queries_with_ten_times_the_records(article, client):
    small = [queries(client, "/search/", p) for p in SEARCHES]
    small_list = queries(client, "/agreements/", {"q": "mexico"})
    generate(10 * Agreement.objects.count())
    large = [queries(client, "/search/", p) for p in SEARCHES]
    large_list = queries(client, "/agreements/", {"q": "mexico"})

    # Every facet's counts, the eras' names, the page of results; and the chosen era's check.
    assert large == [3, 3, 4]
    assert small == large
    assert small_list <= large_list == 12


def test_every_public_type_has_its_own_number_in_the_index():
    assert set(KIND_NUMBERS) == {model._meta.model_name for model in PUBLIC_MODELS}
    assert len(set(KIND_NUMBERS.values())) == len(KIND_NUMBERS)


def test_an_unknown_parameter_of_the_search_is_reported_and_the_rest_apply(article, client):
    page = client.get("/search/", {"q": "merida", "colour": "red"}).text

    assert "This list has no filter “colour”." in page
    assert "/agreements/merida-initiative/" in page
