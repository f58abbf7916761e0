"""Only published records are public: a draft, a record in review or a withdrawn one never
shows on any page, list, facet count, key figure, inline link or the sitemap."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from cooperation.models import Agreement, Era, Initiative, Party, Section, State, Threat
from tests import factories
from tests.test_crawl import internal_links

pytestmark = pytest.mark.django_db

HIDDEN_TITLE = "Unpublished Secret Record"


def crawl(client):
    """Every page an anonymous reader can reach from the home page, with its HTML."""
    pages, queue = {}, ["/", "/sitemap.xml"]
    while queue:
        url = queue.pop()
        if url in pages:
            continue
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = response.content.decode()
        queue.extend(link for link in internal_links(url, pages[url]) if link not in pages)
    return pages


def add_unpublished_records(state):
    """Hidden records of every type, linked to published ones in every way a page shows."""
    era = Era.objects.get(slug="cold-war")
    section = Section.objects.get(slug="early-collaborations-and-agreements")
    mexico, drugs = Party.objects.get(slug="mexico"), Threat.objects.get(slug="drug-trafficking")
    hidden_era = factories.EraFactory(title=f"{HIDDEN_TITLE} era", state=state, start_year=1800)
    hidden_party = factories.PartyFactory(title=f"{HIDDEN_TITLE} party", state=state)
    hidden_threat = factories.ThreatFactory(title=f"{HIDDEN_TITLE} threat", state=state)
    agreement = factories.AgreementFactory(
        title=f"{HIDDEN_TITLE} agreement",
        state=state,
        era=era,
        kind="legislation",
        parties=[mexico, hidden_party],
        threats=[drugs, hidden_threat],
        supersedes=Agreement.objects.get(slug="merida-initiative"),
    )
    initiative = factories.InitiativeFactory(
        title=f"{HIDDEN_TITLE} initiative", state=state, era=hidden_era, agreement=agreement
    )
    published_initiative = Initiative.objects.get(slug="joint-intelligence-centers")
    published_initiative.participants.add(hidden_party)
    published_initiative.threats.add(hidden_threat)
    hidden_section = factories.SectionFactory(title=f"{HIDDEN_TITLE} section", state=state)
    source = factories.SourceFactory(title=f"{HIDDEN_TITLE} source", state=state)
    for record in (agreement, initiative, hidden_era, hidden_party, hidden_threat):
        record.sources.add(source)
    section.agreements.add(agreement)
    section.threats.add(hidden_threat)
    section.body += f"\n\nSee [[agreement:{agreement.slug}|the hidden words]]."
    section.save()
    return [agreement, initiative, hidden_era, hidden_party, hidden_threat, hidden_section]


@pytest.fixture(scope="module")
def article_crawls():
    return {}


@pytest.fixture
def published_site(article, client, article_crawls):
    """Every page of the article's published records: the same for every test of the module,
    so crawled once."""
    if "published" not in article_crawls:
        article_crawls["published"] = crawl(client)
    return article_crawls["published"]


@pytest.mark.parametrize("state", [State.DRAFT, State.IN_REVIEW, State.WITHDRAWN])
def test_unpublished_records_never_reach_a_reader(published_site, client, state):
    before = published_site
    hidden = add_unpublished_records(state)
    after = crawl(client)
    assert set(after) == set(before), "no page is added or lost"
    for url, html in after.items():
        assert HIDDEN_TITLE not in html, url
        for record in hidden:
            assert f'href="{record.get_absolute_url()}"' not in html, url
        assert "the hidden words</a>" not in html, url
    # The inline link to the draft renders as its words.
    section_page = after["/article/early-collaborations-and-agreements/"]
    assert "See the hidden words." in section_page
    for record in hidden:
        assert client.get(record.get_absolute_url()).status_code == 404


def test_facet_counts_and_key_figures_ignore_unpublished_records(article, client):
    def figures():
        home = client.get("/").context["figures"]
        listing = client.get("/agreements/", {"era": "cold-war"}).context
        facets = {facet.name: facet.options for facet in listing["facets"]}
        threats = client.get("/threats/").context["object_list"]
        return home, facets, [(t.slug, t.agreement_count) for t in threats]

    before = figures()
    add_unpublished_records(State.DRAFT)
    assert figures() == before


def test_a_draft_slug_in_a_filter_is_an_unknown_choice(article, client):
    factories.EraFactory(slug="secret-era", state=State.DRAFT)
    response = client.get("/agreements/", {"era": "secret-era"})
    assert "secret-era is not one of the available choices" in response.text


@pytest.fixture
def editor(django_user_model):
    user = django_user_model.objects.create_user("editor", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_agreement"))
    return user


def test_an_editor_previews_a_draft_and_sees_it_marked(article, client, editor):
    draft = factories.AgreementFactory(title="Draft treaty", state=State.DRAFT)
    client.force_login(editor)
    assert client.get(draft.get_absolute_url()).status_code == 404
    response = client.get(draft.get_absolute_url(), {"preview": "1"})
    assert response.status_code == 200
    assert "Preview" in response.text
    assert "not public" in response.text


def test_preview_is_refused_to_readers_and_to_users_without_the_permission(
    article, client, django_user_model
):
    draft = factories.AgreementFactory(state=State.DRAFT)
    assert client.get(draft.get_absolute_url(), {"preview": "1"}).status_code == 404
    client.force_login(django_user_model.objects.create_user("reader", password="pw"))
    assert client.get(draft.get_absolute_url(), {"preview": "1"}).status_code == 404


def test_preview_of_a_published_record_is_the_normal_page(article, client, editor):
    client.force_login(editor)
    url = reverse("cooperation:agreement-detail", args=["merida-initiative"])
    response = client.get(url, {"preview": "1"})
    assert response.status_code == 200
    assert "<h1>Mérida Initiative</h1>" in response.text
    assert "not public" not in response.text
    assert "Preview" not in response.text
