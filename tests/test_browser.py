"""A reader's path through the site in a real headless Chromium: the article, a section, a
record it mentions, and a filtered list."""

import os
import re
import shutil
import struct
from pathlib import Path

import pytest
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


@pytest.fixture
def page(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own database
    # reads happen between its calls, never inside them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
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
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        yield page
        browser.close()
        # The test's queries between Playwright's calls ran in Playwright's context, with a
        # connection of their own: close it, or the test database cannot be dropped.
        connections.close_all()


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
