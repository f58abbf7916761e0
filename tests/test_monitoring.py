"""The health check answers without the database; the query-count header, when on, reports
what each response cost."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def test_the_health_check_answers_without_a_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/health/")

    assert response.status_code == 200
    assert response.content == b"ok"


def test_the_query_count_header_reports_the_queries_of_the_response(client, settings):
    settings.MIDDLEWARE = ["mexhist.monitoring.QueryCountHeaderMiddleware", *settings.MIDDLEWARE]

    assert client.get("/health/").headers["X-Query-Count"] == "0"
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/eras/")
    assert len(queries) > 0
    assert response.headers["X-Query-Count"] == str(len(queries))


def test_the_query_count_header_is_off_by_default(client):
    assert "X-Query-Count" not in client.get("/health/").headers
