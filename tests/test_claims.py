"""Claims: the article's passages checked, marked in the section's text with the note beside
them, listed on /claims/ by verdict, managed in the admin, and refused by forms and imports
when their words are not in the section. Sources can be followed: a page or an identifier."""

import json
import re
from html.parser import HTMLParser

import pytest

from cooperation.imports import import_files
from cooperation.models import RECORD_MODELS, Claim, ClaimVerdict, Section, Source, State
from cooperation.roles import PUBLISHER
from tests import factories
from tests.admin_forms import admin_url, field_values, save, signed_in

pytestmark = pytest.mark.django_db


class Balanced(HTMLParser):
    """Fails on an end tag that does not close the element open: marks must nest."""

    VOID = {"br", "hr", "img", "input", "meta", "link", "wbr"}

    def __init__(self):
        super().__init__()
        self.open = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open, f"</{tag}> closes nothing"
        assert self.open[-1] == tag, f"</{tag}> closes <{self.open[-1]}>"
        self.open.pop()


def text_of(page):
    return page.split('class="body article-text', 1)[1].split('<nav class="prev-next"', 1)[0]


@pytest.fixture
def section(db):
    agreement = factories.AgreementFactory(slug="merida-initiative", title="Mérida Initiative")
    source = factories.SourceFactory(slug="state-2007", title="Joint statement, 2007")
    section = factories.SectionFactory(
        slug="post-9-11",
        title="Post-9/11",
        body=(
            "The [[agreement:merida-initiative|Mérida Initiative]] was announced in 2007 and "
            "*funded* from 2008.\n\nMexico sent troops to the Philippines in 1944.\n\n"
            "The Rio Treaty was signed in 1947."
        ),
    )
    section.agreements.add(agreement)
    factories.ClaimFactory(
        slug="merida-announced",
        section=section,
        passage="Mérida Initiative was announced in 2007 and funded",
        verdict=ClaimVerdict.ACCURATE,
        finding="Announced on 22 October 2007 ([[source:state-2007|joint statement, para. 1]]).",
        sources=[source],
    )
    factories.ClaimFactory(
        slug="philippines",
        section=section,
        passage="Mexico sent troops to the Philippines",
        verdict=ClaimVerdict.INACCURATE,
        finding="Mexico sent an air squadron, not troops.",
    )
    factories.ClaimFactory(
        slug="draft-claim",
        section=section,
        passage="in 1944",
        state=State.DRAFT,
        finding="A draft.",
    )
    return section


def test_a_section_marks_each_passage_and_puts_its_note_after_the_paragraph(client, section):
    page = client.get(section.get_absolute_url()).text
    text = text_of(page)

    # The passage runs across a record link and emphasis: each run of it is marked.
    marks = re.findall(r'<mark class="claim verdict-accurate"[^>]*>(.*?)</mark>', text)
    assert "".join(marks) == "Mérida Initiative was announced in 2007 and funded"
    assert len(marks) > 1
    assert re.search(r'<a href="/agreements/merida-initiative/"[^>]*><mark', text)
    assert 'id="claim-merida-announced"' in text
    checker = Balanced()
    checker.feed(page)
    assert checker.open == []

    # Each note follows the paragraph of its passage, in order, linked both ways.
    first_paragraph_end = text.index("</p>")
    note = text.index('<aside class="claim-note verdict-accurate" id="note-merida-announced"')
    assert first_paragraph_end < note < text.index("Philippines")
    assert '<a href="#note-merida-announced">1</a>' in text
    assert '<a href="#note-philippines">2</a>' in text
    assert re.search(r'<a href="/sources/state-2007/"[^>]*>joint statement, para. 1</a>', text)
    assert "<strong>inaccurate</strong>" in text
    # A draft claim is not shown to readers.
    assert "draft-claim" not in page
    assert (
        "2 passages of this section checked against the public record: 1 accurate, 1 inaccurate."
        in page
    )


def test_the_claims_page_lists_every_published_claim_with_its_verdict_as_a_facet(client, section):
    page = client.get("/claims/").text
    assert "2 results" in page
    assert "Mexico sent troops to the Philippines" in page
    assert "A draft." not in page
    verdict = r'name="verdict" value="inaccurate"[^>]*>\s*<label[^>]*>'
    assert re.search(verdict + r'inaccurate <span class="count">\(1\)', page)

    narrowed = client.get("/claims/", {"verdict": "accurate"}).text
    assert "1 result for:" in narrowed
    assert "Philippines" not in narrowed.split('class="rows"')[1]

    detail = client.get("/claims/philippines/")
    assert detail.status_code == 200
    assert "Mexico sent an air squadron, not troops." in detail.text
    assert client.get("/claims/draft-claim/").status_code == 404


def test_the_admin_refuses_a_claim_whose_words_are_not_in_its_section(
    client, section, django_user_model
):
    publisher = signed_in(django_user_model, "publisher", role=PUBLISHER)
    form = publisher.get(admin_url(Claim, "add")).context["adminform"].form
    data = field_values(form)
    data.update(
        section=str(section.pk),
        passage="Mexico sent an army to Korea",
        slug="korea",
        verdict="inaccurate",
        finding="It did not.",
        state="published",
    )
    response = publisher.post(admin_url(Claim, "add"), data)

    assert response.status_code == 200
    assert "These words do not occur in the text of the section “Post-9/11”" in response.text
    assert not Claim.objects.filter(slug="korea").exists()

    data["passage"] = "troops to the Philippines in 1944"
    response = publisher.post(admin_url(Claim, "add"), data)
    assert "overlap the passage of the claim “philippines” of this section" in response.text

    data["passage"] = "Rio Treaty was signed   in\n1947"  # white space as typed does not matter
    response = publisher.post(admin_url(Claim, "add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Claim.objects.get(slug="korea").state == State.PUBLISHED
    assert "It did not." in client.get(section.get_absolute_url()).text


def claim_entry(**fields):
    return {
        "model": "cooperation.claim",
        "fields": {
            "slug": "imported-claim",
            "section": ["post-9-11"],
            "passage": "signed in 1947",
            "verdict": "accurate",
            "finding": "Yes.",
            "sources": [["state-2007"]],
            "state": "published",
            **fields,
        },
    }


def imported(*entries):
    return import_files({"claims.json": json.dumps(list(entries)).encode()})


def test_an_import_refuses_a_claim_whose_passage_is_not_in_its_section(section):
    report = imported(claim_entry(passage="signed in 1999"))

    assert not report.written
    messages = [str(problem) for problem in report.problems]
    assert any(
        message.startswith("claims.json, object 0 (imported-claim), field “passage”: These words")
        for message in messages
    ), messages
    assert not Claim.objects.filter(slug="imported-claim").exists()

    assert imported(claim_entry()).written
    assert Claim.objects.get(slug="imported-claim").sources.get().slug == "state-2007"


def test_an_import_refuses_a_citation_of_a_missing_source(section):
    report = imported(claim_entry(sources=[["no-such-source"]]))

    assert not report.written
    assert any(
        "field “sources”: Refers to the source “no-such-source”" in str(problem)
        for problem in report.problems
    ), [str(problem) for problem in report.problems]


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"url": "", "identifier": ""}, "Give the address of the page that holds the source"),
        ({"url": "https://www.navy.mil/", "identifier": ""}, "This is a site's home page"),
    ],
)
def test_an_import_refuses_a_source_a_reader_cannot_follow(db, fields, says):
    entry = {
        "model": "cooperation.source",
        "fields": {"title": "A report", "slug": "a-report", "kind": "news", **fields},
    }
    report = import_files({"sources.json": json.dumps([entry]).encode()})

    assert not report.written
    assert [str(problem) for problem in report.problems] == [
        f"sources.json, object 0 (a-report), field “url”: {says}"
        + report.problems[0].message[len(says) :]
    ]
    assert not Source.objects.filter(slug="a-report").exists()
    entry["fields"]["identifier"] = "CRS R40135"
    entry["fields"]["url"] = ""
    assert import_files({"sources.json": json.dumps([entry]).encode()}).written


def test_the_article_cites_more_than_itself_and_every_source_can_be_followed(article):
    """The shipped records: every published record cites a source other than the article,
    or its text says that nothing else was found; every source can be found and is dated."""
    article_source = Source.objects.get(kind="source_article")

    alone = []
    for model in RECORD_MODELS:
        if model is Section:
            continue  # the article's own text: its source is the article
        for record in model.objects.published().prefetch_related("sources"):
            others = [source for source in record.sources.all() if source != article_source]
            # A record only the article describes says so where readers read it.
            if not others and "no other source" not in record.body.lower():
                alone.append(f"{model._meta.model_name}:{record.slug}")
    assert alone == []

    # Every source can be found, and is dated: by the page's own date where it gives one,
    # and always by the day it was consulted.
    unfollowable = [
        source.slug
        for source in Source.objects.exclude(pk=article_source.pk)
        if not (source.url or source.identifier) or source.accessed_date is None
    ]
    assert unfollowable == []


def test_every_shipped_claim_is_marked_in_its_section(article, client):
    sections = Section.objects.published().filter(claims__state=State.PUBLISHED).distinct()
    assert sections.exists()
    for section in sections:
        page = client.get(section.get_absolute_url()).text
        for claim in section.claims.published():
            assert f'id="claim-{claim.slug}"' in page, claim.slug
            assert f'id="note-{claim.slug}"' in page, claim.slug


def test_a_section_edit_that_drops_a_claims_passage_is_refused(client, section, django_user_model):
    publisher = signed_in(django_user_model, "publisher", role=PUBLISHER)
    response = save(publisher, section, body="Mexico sent troops to the Philippines in 1944.")

    assert response.status_code == 200
    assert "This text no longer holds the passage of the claims “merida-announced”" in (
        response.text
    )
    section.refresh_from_db()
    assert "Mérida Initiative" in section.body
    assert "merida-announced" in client.get(section.get_absolute_url()).text

    kept = section.body + "\n\nA new closing sentence."
    assert save(publisher, section, body=kept).status_code == 302
    assert "A new closing sentence." in client.get(section.get_absolute_url()).text


def test_a_note_reference_after_a_record_link_is_not_a_link_inside_it(client):
    agreement = factories.AgreementFactory(slug="rio-treaty", title="Rio Treaty")
    section = factories.SectionFactory(
        slug="cold-war", body="Mexico signed the [[agreement:rio-treaty|Rio Treaty]] in 1947."
    )
    section.agreements.add(agreement)
    factories.ClaimFactory(
        slug="signed-rio", section=section, passage="Mexico signed the Rio Treaty", finding="So."
    )

    body = text_of(client.get(section.get_absolute_url()).text)

    assert re.search(
        r'Rio Treaty</mark></a><sup class="claim-ref"><a href="#note-signed-rio">', body
    )
    assert not re.search(r"<a [^>]*>(?:(?!</a>).)*<a ", body, flags=re.DOTALL)


def test_a_passage_quoted_with_its_markdown_is_marked(client):
    section = factories.SectionFactory(
        slug="merida", body="The *Mérida* Initiative was announced in 2007."
    )
    factories.ClaimFactory(
        slug="merida-markdown",
        section=section,
        passage="The *Mérida* Initiative was announced",
        finding="So.",
    )

    page = client.get(section.get_absolute_url()).text

    assert 'id="claim-merida-markdown"' in page
    assert 'id="note-merida-markdown"' in page


def test_a_claim_made_with_its_sources_has_one_version(db):
    claim = factories.ClaimFactory(sources=[factories.SourceFactory()])

    assert claim.history.count() == 1
    assert claim.history.first().sources.count() == 1
