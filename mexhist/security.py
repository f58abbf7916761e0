"""What the site does against hostile requests that Django's settings do not cover."""

import logging

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse


class RequestBodyLimitMiddleware:
    """Refuses, with 413, a request whose body is larger than its address takes, before
    anything reads it: Django would otherwise read the body (and write an upload to a
    temporary file) for the CSRF check that then refuses it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponse(
                "Unreadable Content-Length.\n", status=400, content_type="text/plain"
            )
        limit = self.limit_for(request.path)
        if length > limit:
            return HttpResponse(
                f"The request body is {length:,} bytes; this address takes at most {limit:,}.\n",
                status=413,
                content_type="text/plain",
            )
        return self.get_response(request)

    @staticmethod
    def limit_for(path):
        if path.startswith(reverse("cooperation-import")):
            return settings.IMPORT_BODY_LIMIT
        return settings.REQUEST_BODY_LIMIT


def client_ip(request):
    """The reader's address: REMOTE_ADDR, or behind ``settings.PROXY_COUNT`` proxies the
    address the nearest of them was given, which a reader cannot forge."""
    if settings.PROXY_COUNT:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= settings.PROXY_COUNT:
            return forwarded[-settings.PROXY_COUNT]
    return request.META.get("REMOTE_ADDR", "")


class OneLine(logging.Filter):
    """Logs a record without its traceback."""

    def filter(self, record):
        record.exc_info = None
        record.exc_text = None
        return True
