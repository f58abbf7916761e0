"""A reader's path through the site in a real headless Chromium: the article, a section, a
record it mentions, and a filtered list."""

import os
import re
import shutil
import struct
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections

from cooperation.models import Agreement

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-results"

if CHROMIUM is None and os.environ.get("CI"):
    raise RuntimeError("Chromium is required in CI: .ci/run installs Debian's chromium package.")

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Chromium is not installed, so the browser test cannot run "
        "(apt-get install chromium, or set CHROMIUM_PATH)",
    ),
    pytest.mark.django_db(transaction=True),
]


class Browser:
    """Chromium, whose pages report every Content-Security-Policy violation: the site's
    policy allows nothing inline without its nonce, and no page may need more."""

    def __init__(self, chromium):
        self.chromium = chromium
        self.csp_violations = []

    def new_page(self, **options):
        page = self.chromium.new_page(**options)
        page.on("console", self.note)
        return page

    def note(self, message):
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own database
    # reads happen between its calls, never inside them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        browser = Browser(chromium)
        yield browser
        chromium.close()
        # The test's queries between Playwright's calls ran in Playwright's context, with a
        # connection of their own: close it, or the test database cannot be dropped.
        connections.close_all()
        assert browser.csp_violations == []


@pytest.fixture
def page(browser):
    return browser.new_page(viewport={"width": 1280, "height": 900})


def screenshot(page, name):
    SCREENSHOTS.mkdir(exist_ok=True)
    return page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def signed_in_page(browser, live_server, username, width=1280):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("a long test password")
    page.get_by_role("button", name="Log in").click()
    assert page.url.endswith("/admin/"), page.url
    return page


def test_an_editors_change_waits_for_a_publisher_and_then_readers_see_it(
    article, live_server, browser, django_user_model
):
    for name, role in (("ana", "editor"), ("pablo", "publisher")):
        django_user_model.objects.create_user(name, password="a long test password")
        call_command("grant_role", name, role, stdout=StringIO())
    merida = Agreement.objects.get(slug="merida-initiative")
    reader = browser.new_page(viewport={"width": 1280, "height": 900})
    reader.goto(live_server.url + merida.get_absolute_url())
    assert reader.locator("h1").inner_text() == "Mérida Initiative"
    screenshot(reader, "review-1-public-before")

    editor = signed_in_page(browser, live_server, "ana")
    editor.goto(live_server.url + f"/admin/cooperation/agreement/{merida.pk}/change/")
    assert "This record is live" in editor.locator(".review-banner").inner_text()
    editor.get_by_label("Title:").fill("Mérida Initiative (2007–2021)")
    editor.get_by_label("Comment on this change:").fill("Give the years")
    editor.get_by_role("button", name="Save and submit for review").click()
    assert "pending changes" in editor.locator(".messagelist").inner_text()
    editor.goto(live_server.url + f"/admin/cooperation/agreement/{merida.pk}/change/")
    assert "awaiting review" in editor.locator(".review-banner").inner_text()
    screenshot(editor, "review-2-editor-banner")

    reader.reload()
    assert reader.locator("h1").inner_text() == "Mérida Initiative"

    publisher = signed_in_page(browser, live_server, "pablo")
    waiting = publisher.locator("#awaiting-review")
    assert "Give the years" in waiting.inner_text()
    screenshot(publisher, "review-3-awaiting-review")
    waiting.get_by_role("link", name="Review").click()
    assert "(2007–2021)" in publisher.locator(".diff").inner_text()
    screenshot(publisher, "review-4-diff")
    publisher.get_by_role("button", name="Publish these changes").click()
    assert "readers now see the changes" in publisher.locator(".messagelist").inner_text()

    reader.reload()
    assert reader.locator("h1").inner_text() == "Mérida Initiative (2007–2021)"
    screenshot(reader, "review-5-public-after")
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.goto(live_server.url + merida.get_absolute_url())
    screenshot(phone, "review-6-public-after-phone")


def test_reader_goes_from_the_article_to_a_record_and_filters_a_list(article, live_server, page):
    in_cold_war = Agreement.objects.filter(era__slug="cold-war").count()

    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "US-Mexico Military Alliances and Defense Cooperation"

    page.get_by_role("link", name="Early Collaborations and Agreements").first.click()
    assert page.locator("h1").inner_text() == "Early Collaborations and Agreements"

    page.locator(".article-text").get_by_role("link", name="Bracero Program").click()
    assert page.url.endswith("/agreements/bracero-program/")
    assert "Editorial note" in page.locator(".editorial-note").inner_text()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Agreements").click()
    page.get_by_role("checkbox", name=re.compile(r"^Cold War \(\d+\)")).check()
    page.get_by_role("button", name="Apply filters").first.click()

    assert "era=cold-war" in page.url
    rows = page.locator(".results .row")
    assert rows.count() == in_cold_war
    for index in range(rows.count()):
        assert "Cold War" in rows.nth(index).locator(".meta").inner_text()
    assert f"{in_cold_war} results" in page.locator(".results-summary").inner_text()

    SCREENSHOTS.mkdir(exist_ok=True)
    shot = page.screenshot(path=SCREENSHOTS / "filtered-agreements.png", full_page=True)
    # A PNG of the whole page: as wide as the window, and taller than it (the page scrolls).
    width, height = struct.unpack(">II", shot[16:24])
    assert shot.startswith(b"\x89PNG")
    assert width == 1280
    assert height > 900 >= page.evaluate("window.innerHeight")


def phone(browser):
    return browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_reader_searches_the_site_from_the_header(article, live_server, browser, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(live_server.url + "/agreements/")

    page.get_by_role("searchbox", name="Search the site").fill("MÉRIDA")
    page.get_by_role("search").get_by_role("button", name="Search").click()

    assert "/search/?q=M%C3%89RIDA" in page.url
    first = page.locator(".results .row").first
    assert first.locator("h3 a").inner_text() == "Mérida Initiative"
    assert first.locator("mark").first.inner_text() == "Mérida"
    screenshot(page, f"search-{width}")

    # The type facet narrows the results, and the query stays.
    page.get_by_role("checkbox", name=re.compile(r"^Initiatives \(\d+\)")).check()
    page.get_by_role("button", name="Apply").click()
    assert "type=initiative" in page.url
    assert "q=M%C3%89RIDA" in page.url
    links = page.locator(".results .row h3 a").all()
    assert links
    for link in links:
        assert "/initiatives/" in link.get_attribute("href")


@pytest.mark.parametrize("width", [1280, 390])
def test_reader_follows_the_timeline_to_a_record_and_narrows_it(
    article, live_server, browser, width
):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(live_server.url + "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Timeline").click()

    chart = page.locator("svg.timeline-chart")
    assert chart.is_visible()
    scroller = page.locator(".timeline-scroll")
    sideways = page.evaluate("e => e.scrollWidth > e.clientWidth", scroller.element_handle())
    assert sideways == (width < 960)  # a phone scrolls the drawing; its text is not shrunk
    screenshot(page, f"timeline-{width}")

    rows = page.locator(".records-table tbody tr")
    assert rows.count() == chart.locator("a.bar").count() > 10

    page.locator("summary", has_text="Filters").click()
    page.get_by_role("checkbox", name="Cold War", exact=True).check()
    page.get_by_role("button", name="Apply filters").click()
    assert "era=cold-war" in page.url
    assert "Filters (1 in use)" in page.locator("summary").first.inner_text()

    page.locator("a.bar", has_text="Rio Treaty").click()
    assert page.url.endswith("/agreements/rio-treaty/")


def test_on_a_phone_the_list_shows_results_before_its_folded_filters(article, live_server, browser):
    page = phone(browser)
    page.goto(live_server.url + "/agreements/?era=cold-war")

    first_row = page.locator(".results .row").first.bounding_box()
    disclosure = page.locator(".filters-disclosure")
    assert first_row["y"] < 844  # the first result is on the first screen
    assert first_row["y"] < disclosure.bounding_box()["y"]
    assert disclosure.locator("summary").inner_text() == "Filters (1 active)"
    assert not page.locator(".filters").is_visible()  # folded while a filter is set
    assert page.locator(".results .sort").is_visible()  # sorting sits by the results
    screenshot(page, "agreements-390")

    disclosure.locator("summary").click()
    assert page.get_by_role("checkbox", name=re.compile(r"^Cold War \(\d+\)")).is_checked()


@pytest.mark.parametrize("width", [1280, 390])
def test_a_claims_note_sits_in_the_margin_or_after_its_paragraph(
    article, live_server, browser, width
):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(live_server.url + "/article/early-collaborations-and-agreements/")

    passage = page.locator("mark.claim").first
    paragraph = page.locator(".claimed").first.locator("p").first
    note = page.locator(".claim-note").first
    mark_box, paragraph_box, note_box = (
        passage.bounding_box(),
        paragraph.bounding_box(),
        note.bounding_box(),
    )
    if width >= 1024:  # beside the paragraph, level with it
        assert note_box["x"] > paragraph_box["x"] + paragraph_box["width"]
        assert paragraph_box["y"] <= note_box["y"] < paragraph_box["y"] + paragraph_box["height"]
    else:  # right after the paragraph
        assert note_box["y"] >= paragraph_box["y"] + paragraph_box["height"]
        assert note_box["x"] == pytest.approx(paragraph_box["x"], abs=4)
    assert mark_box["y"] <= paragraph_box["y"] + paragraph_box["height"]

    # The note opens on the finding; its number links back to the passage.
    note.locator("summary").click()
    assert note.locator(".claim-finding").is_visible()
    note.get_by_role("link", name="The passage").click()
    assert page.url.endswith("#" + passage.get_attribute("id"))
    screenshot(page, f"section-claims-{width}")

    page.goto(live_server.url + "/claims/?verdict=inaccurate")
    rows = page.locator(".results .row")
    assert rows.count() > 0
    for index in range(rows.count()):
        assert "Inaccurate" in rows.nth(index).locator(".meta").inner_text()
    screenshot(page, f"claims-{width}")


def test_no_page_is_wider_than_a_phone(article, live_server, browser):
    """A long word, address or sort label must wrap: a page wider than the screen scrolls
    sideways as a whole. The timeline's drawing scrolls inside its own box."""
    page = phone(browser)
    wide = {}
    for path in (
        "/",
        "/article/early-collaborations-and-agreements/",
        "/agreements/",
        "/agreements/rio-treaty/",
        "/initiatives/",
        "/threats/",
        "/parties/",
        "/sources/",
        "/claims/",
        "/claims/?verdict=inaccurate",
        "/search/?q=merida",
        "/timeline/",
    ):
        page.goto(live_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            wide[path] = width
    assert wide == {}
