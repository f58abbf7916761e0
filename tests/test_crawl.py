"""Follow every internal link from the home page: nothing is broken and every record is
reachable by a reader."""

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest

from cooperation.models import RECORD_MODELS

pytestmark = pytest.mark.django_db

LINK = re.compile(r'href="([^"]+)"')
NOT_CRAWLED = ("/admin/", "/static/")
MOST_PAGES = 3000


def internal_links(page_url, html):
    for href in LINK.findall(html.replace("&amp;", "&")):
        url = urlsplit(urljoin("http://testserver" + page_url, href))
        if (
            url.scheme == "http"
            and url.netloc == "testserver"
            and not url.path.startswith(NOT_CRAWLED)
        ):
            yield url.path + (f"?{url.query}" if url.query else "")


def test_crawl_from_home_reaches_every_record_without_errors(article, client):
    seen, queue, failures = {"/"}, deque(["/"]), []
    while queue:
        url = queue.popleft()
        response = client.get(url)
        if response.status_code != 200:
            failures.append((url, response.status_code))
            continue
        if "text/html" not in response["Content-Type"]:
            continue
        for link in internal_links(url, response.text):
            if link not in seen:
                seen.add(link)
                queue.append(link)
        assert len(seen) < MOST_PAGES, "the crawl does not converge"
    assert failures == []
    for model in RECORD_MODELS:
        for record in model.objects.all():
            assert record.get_absolute_url() in seen, f"{model.__name__} {record.slug}"
