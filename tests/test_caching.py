"""Public pages are validated and cached by the content version: a revisit with a current
validator costs a 304, a page already rendered comes from the cache, and either changes the
moment an editor publishes or edits. Signed-in users get nothing cached.

Every test runs on the local-memory cache and on Redis (the several-hosts setup)."""

import datetime
import os
import shutil
import socket
import subprocess
import time

import pytest
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.http import http_date

from cooperation.caching import current_version
from cooperation.models import ContentVersion, State
from tests import factories

pytestmark = pytest.mark.django_db

LIST = "/agreements/"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A throwaway Redis server for the session, as several hosts would share one."""
    server = shutil.which("redis-server")
    if server is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is not installed: .ci/run installs it.")
        pytest.skip("redis-server is not installed (apt-get install redis-server).")
    port = free_port()
    process = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--maxmemory",
            "64mb",
            "--maxmemory-policy",
            "allkeys-lru",
        ],
        cwd=tmp_path_factory.mktemp("redis"),
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                pytest.fail("redis-server did not start within 10 seconds.")
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(params=["locmem", "redis"])
def page_cache(request, settings):
    """The page cache on, with each of the two cache backends."""
    if request.param == "redis":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": request.getfixturevalue("redis_url"),
            }
        }
    else:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.PAGE_CACHE = True
    cache.clear()
    yield request.param
    cache.clear()


@pytest.fixture
def agreement():
    """A published agreement, saved two seconds ago: the second of the change is over."""
    agreement = factories.AgreementFactory(title="Treaty of the First Visit")
    ContentVersion.objects.update(changed_at=F("changed_at") - datetime.timedelta(seconds=2))
    return agreement


@pytest.fixture
def clock(monkeypatch):
    """The time, set by the test: ``clock.at(seconds)`` after a fixed instant."""

    class Clock:
        start = datetime.datetime(2026, 12, 1, 10, 0, 0, tzinfo=datetime.UTC)
        now = start

        def at(self, seconds):
            self.now = self.start + datetime.timedelta(seconds=seconds)

    fixed = Clock()
    monkeypatch.setattr(timezone, "now", lambda: fixed.now)
    return fixed


def test_a_public_page_carries_validators(client, page_cache, agreement):
    response = client.get(LIST)

    assert response.status_code == 200
    assert response.headers["ETag"].startswith('"')
    assert response.headers["Last-Modified"].endswith("GMT")
    assert response.headers["Cache-Control"] == "no-cache"


def test_a_revisit_with_a_current_etag_is_answered_304_with_one_query(
    client, page_cache, agreement, django_assert_num_queries
):
    etag = client.get(LIST).headers["ETag"]

    with django_assert_num_queries(1):  # reading the content version, nothing else
        response = client.get(LIST, headers={"if-none-match": etag})

    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["ETag"] == etag


def test_a_revisit_with_a_current_date_is_answered_304(client, page_cache, agreement):
    last_modified = client.get(LIST).headers["Last-Modified"]

    response = client.get(LIST, headers={"if-modified-since": last_modified})

    assert response.status_code == 304


def test_a_page_has_no_date_during_the_second_of_a_change_so_a_date_is_never_stale(
    client, page_cache, clock
):
    """HTTP dates count whole seconds. A date given at 10:00:00.8 for a change at
    10:00:00.2 would still match after a second change at 10:00:00.9: a client revalidating
    by date alone would be told that nothing changed."""
    clock.at(0.2)
    record = factories.AgreementFactory(title="First title")
    clock.at(0.8)
    first = client.get(LIST)
    assert "Last-Modified" not in first.headers
    clock.at(0.9)
    record.title = "Second title"
    record.save()

    revisit = client.get(LIST, headers={"if-modified-since": http_date(clock.start.timestamp())})

    assert revisit.status_code == 200
    assert "Second title" in revisit.text
    clock.at(1.5)  # the second of the change is over: the page has its date, and keeps it
    dated = client.get(LIST)
    assert dated.headers["Last-Modified"] == http_date(clock.start.timestamp())
    assert (
        client.get(
            LIST, headers={"if-modified-since": http_date(clock.start.timestamp())}
        ).status_code
        == 304
    )


def test_each_page_has_its_own_validator_whatever_language_is_asked_for(
    client, page_cache, agreement
):
    """The pages are in English until the Spanish edition exists: a browser that asks for
    Spanish gets the English page, marked as English, under the same validator."""
    pages = {
        (url, language): client.get(url, headers={"accept-language": language})
        for url in (LIST, f"{LIST}?kind=treaty", agreement.get_absolute_url())
        for language in ("en", "es")
    }

    assert len({response.headers["ETag"] for response in pages.values()}) == 3
    assert all('<html lang="en">' in response.text for response in pages.values())


def test_publishing_a_draft_answers_the_old_etag_with_the_new_page(client, page_cache):
    draft = factories.AgreementFactory(title="Accord Kept in Draft", state=State.DRAFT)
    before = client.get(LIST)
    assert "Accord Kept in Draft" not in before.content.decode()

    draft.state = State.PUBLISHED
    draft.save()
    response = client.get(LIST, headers={"if-none-match": before.headers["ETag"]})

    assert response.status_code == 200
    assert "Accord Kept in Draft" in response.content.decode()
    assert response.headers["ETag"] != before.headers["ETag"]


def test_a_cached_page_is_served_without_rendering(
    client, page_cache, agreement, django_assert_num_queries
):
    first = client.get(LIST)

    with django_assert_num_queries(1):
        again = client.get(LIST)

    assert again.status_code == 200
    assert again.content == first.content
    assert again.headers["ETag"] == first.headers["ETag"]


def test_a_cached_page_changes_the_moment_its_record_is_edited(client, page_cache, agreement):
    url = agreement.get_absolute_url()
    assert "Treaty of the First Visit" in client.get(url).content.decode()

    agreement.title = "Treaty of the Second Visit"
    agreement.save()
    page = client.get(url).content.decode()

    assert "Treaty of the Second Visit" in page
    assert "Treaty of the First Visit" not in page


def test_a_cached_page_changes_when_a_relation_changes(client, page_cache, agreement):
    party = factories.PartyFactory(title="Newly Linked Ministry")
    url = agreement.get_absolute_url()
    assert "Newly Linked Ministry" not in client.get(url).content.decode()

    agreement.parties.add(party)

    assert "Newly Linked Ministry" in client.get(url).content.decode()


def test_a_cached_page_changes_when_a_record_is_withdrawn_or_deleted(client, page_cache, agreement):
    other = factories.AgreementFactory(title="Pact Soon Deleted")
    assert "Treaty of the First Visit" in client.get(LIST).content.decode()

    agreement.state = State.WITHDRAWN
    agreement.save()
    assert "Treaty of the First Visit" not in client.get(LIST).content.decode()

    other.delete()
    assert "Pact Soon Deleted" not in client.get(LIST).content.decode()


def test_publishing_in_the_admin_invalidates_the_page(client, admin_client, page_cache):
    draft = factories.AgreementFactory(title="Accord Published in Bulk", state=State.DRAFT)
    etag = client.get(LIST).headers["ETag"]

    admin_client.post(
        "/admin/cooperation/agreement/",
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    response = client.get(LIST, headers={"if-none-match": etag})

    assert response.status_code == 200
    assert "Accord Published in Bulk" in response.content.decode()


def test_a_change_rolled_back_leaves_the_version_as_it_was(page_cache, agreement):
    before = current_version()
    with transaction.atomic():
        agreement.title = "Never Committed"
        agreement.save()
        assert current_version() != before
        transaction.set_rollback(True)

    assert current_version() == before


def test_signed_in_editors_get_nothing_cached(admin_client, client, page_cache, agreement):
    client.get(LIST)  # an anonymous visit fills the cache

    response = admin_client.get(LIST)

    assert response.status_code == 200
    assert "ETag" not in response.headers
    assert "no-store" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]


def test_a_signed_in_editor_never_gets_a_304(admin_client, client, page_cache, agreement):
    etag = client.get(LIST).headers["ETag"]

    response = admin_client.get(LIST, headers={"if-none-match": etag})

    assert response.status_code == 200


def test_pages_that_are_not_found_are_not_cached(client, page_cache):
    response = client.get("/agreements/no-such-agreement/")

    assert response.status_code == 404
    assert "ETag" not in response.headers


def test_the_admin_and_the_health_check_are_not_cached(admin_client, client, page_cache):
    assert "ETag" not in client.get("/health/").headers
    assert "ETag" not in admin_client.get("/admin/").headers


def test_a_malformed_validator_gets_the_full_page(client, page_cache, agreement):
    for header, value in [
        ("if-none-match", "not-an-etag"),
        ("if-none-match", '"'),
        ("if-modified-since", "yesterday"),
        ("if-modified-since", "Mon, 99 Foo 2026 99:99:99 GMT"),
    ]:
        response = client.get(LIST, headers={header: value})
        assert response.status_code == 200, (header, value)


def test_turning_the_page_cache_off_drops_the_validators(client, settings, agreement):
    settings.PAGE_CACHE = False

    response = client.get(LIST)

    assert response.status_code == 200
    assert "ETag" not in response.headers
