"""What operators and the benchmark need from the running site: a health check and, when
asked for, the number of SQL queries each response cost."""

from contextlib import ExitStack

from django.db import connections
from django.http import HttpResponse


def health(request):
    """Answers without touching the database: a load balancer's check, and the benchmark's
    floor (the cost of a request through the middleware alone)."""
    return HttpResponse("ok", content_type="text/plain")


class QueryCountHeaderMiddleware:
    """Adds ``X-Query-Count`` to every response. On only when ``MEXHIST_QUERY_COUNT=1``: the
    benchmark reads it over HTTP."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def count_query(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with ExitStack() as stack:
            for connection in connections.all():
                stack.enter_context(connection.execute_wrapper(count_query))
            response = self.get_response(request)
        response.headers["X-Query-Count"] = str(count)
        return response
