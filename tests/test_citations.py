"""Citations: a record cites each source for something, with where in it to look. Driven
through the admin's forms; after each step the test reads the database and the page an
anonymous reader gets."""

import pytest
from django.test import Client

from cooperation.models import Agreement, Revision, Source
from tests import factories
from tests.admin_forms import admin_url, change_form, save

pytestmark = pytest.mark.django_db

LINE = "frus-1945-v09-d910 | paragraph 2 | two lend-lease agreements with Mexico"
CITATION = {
    "source": "frus-1945-v09-d910",
    "locator": "paragraph 2",
    "supports": "two lend-lease agreements with Mexico",
}
SHOWN = "paragraph 2</span>, cited for: two lend-lease agreements with Mexico"


@pytest.fixture
def frus():
    return factories.SourceFactory(
        slug="frus-1945-v09-d910",
        title="FRUS 1945, vol. IX, doc. 910",
        url="https://history.state.gov/historicaldocuments/frus1945v09/d910",
    )


@pytest.fixture
def live(frus):
    return factories.AgreementFactory(title="Lend-Lease agreement with Mexico", sources=[frus])


def public_page(record):
    response = Client().get(record.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_a_publisher_cites_a_source_for_something_and_readers_see_where_and_what(publisher, live):
    response = save(publisher, live, citations=LINE)

    assert response.status_code == 302
    live.refresh_from_db()
    assert live.citations == [CITATION]
    assert SHOWN in public_page(live)
    # The form shows the citation as it was written.
    _page, values = change_form(publisher, live)
    assert values["citations"] == LINE


def test_a_citation_may_leave_out_where_in_the_source(publisher, live):
    save(publisher, live, citations="frus-1945-v09-d910 |  | the supplementary agreement")

    live.refresh_from_db()
    assert live.citations == [
        {"source": "frus-1945-v09-d910", "locator": "", "supports": "the supplementary agreement"}
    ]
    assert "Cited for: the supplementary agreement" in public_page(live)


def test_a_citation_of_a_source_the_record_does_not_cite_is_refused_and_nothing_saved(
    publisher, live
):
    factories.SourceFactory(slug="oas-2001")

    response = save(publisher, live, citations="oas-2001 | para. 1 | Fox's announcement")

    assert response.status_code == 200
    assert "oas-2001, which is not among the record&#x27;s sources" in response.content.decode()
    live.refresh_from_db()
    assert live.citations == []
    assert "Fox&#x27;s announcement" not in public_page(live)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (f"{LINE}\nfrus-1945-v09-d910 | paragraph 3", "Line 2: write the source"),
        ("frus-1945-v09-d910 | paragraph 3 |   ", "Citation 1: say what the source supports"),
        (f"frus-1945-v09-d910 | {'p' * 201} | the text", "a locator holds at most 200"),
        ("\n".join([LINE] * 101), "At most 100 citations"),
    ],
    ids=["missing-part", "nothing-supported", "locator-too-long", "too-many"],
)
def test_a_malformed_citation_is_refused_with_where_it_is(publisher, live, text, says):
    response = save(publisher, live, citations=text)

    assert response.status_code == 200
    assert says in response.content.decode()
    live.refresh_from_db()
    assert live.citations == []


def test_an_editors_citation_waits_for_a_publisher(editor, publisher, live):
    save(editor, live, citations=LINE, _submit_for_review="1")

    live.refresh_from_db()
    assert live.citations == []
    assert Revision.objects.of(live).get().fields["citations"] == [CITATION]
    assert SHOWN not in public_page(live)

    publisher.post(admin_url(Agreement, "review", live.pk), {"action": "publish"})

    live.refresh_from_db()
    assert live.citations == [CITATION]
    assert SHOWN in public_page(live)


def test_a_sources_slug_cannot_change_while_citations_name_it(publisher, live, frus):
    save(publisher, live, citations=LINE)

    response = save(publisher, frus, slug="frus-1945-09-910")

    assert response.status_code == 200
    assert "The citations of “Lend-Lease agreement with Mexico” name this source" in (
        response.content.decode()
    )
    assert Source.objects.filter(slug="frus-1945-v09-d910").exists()
    # Without citations naming it, the slug changes.
    save(publisher, live, citations="")
    assert save(publisher, frus, slug="frus-1945-09-910").status_code == 302
    assert Source.objects.filter(slug="frus-1945-09-910").exists()


def test_a_change_of_citations_is_compared_line_by_line_and_named_in_the_history(
    editor, publisher, live
):
    save(publisher, live, citations=LINE)
    assert live.history.first().history_change_reason == "Changed citations"

    save(editor, live, citations=f"{LINE}\nfrus-1945-v09-d910 | paragraph 3 | the second one")

    review = editor.get(admin_url(Agreement, "review", live.pk)).content.decode()
    assert "<ins>frus-1945-v09-d910 | paragraph 3 | the second one</ins>" in review.replace(
        "<ins>\n", "<ins>"
    )
    assert "&#x27;source&#x27;" not in review  # the lines, not the stored list


def test_a_source_page_says_what_each_record_cites_it_for(publisher, live, frus):
    save(publisher, live, citations=LINE)
    other = factories.AgreementFactory(title="Another agreement", sources=[frus])

    response = Client().get(frus.get_absolute_url())

    page = response.text
    assert live.get_absolute_url() in page
    assert other.get_absolute_url() in page
    assert page.count("cited for:") == 1  # only the record that says what for
    assert SHOWN in page
