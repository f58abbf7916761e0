"""Caching of the public pages: conditional GET and a page cache, both keyed by the content
version.

Every save, delete or change of relations of a public record moves ``ContentVersion`` on, in
the same transaction as the change. A page's validators (ETag and Last-Modified) and its cache
key are derived from that version, so the moment an editor's change is committed every worker
on every host validates and caches against the new version: nothing has to be purged, and a
page cached under an older version is never served again.

Signed-in users bypass both: they see drafts in previews and must see their own edits at once.
"""

import datetime
import hashlib

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone
from django.utils.cache import (
    add_never_cache_headers,
    get_conditional_response,
    patch_cache_control,
)
from django.utils.http import http_date, quote_etag

from .filters import store_facet_counts
from .models import RECORD_MODELS, ContentVersion, Source

#: The models whose changes public pages show.
PUBLIC_MODELS = (*RECORD_MODELS, Source)

#: Only the site's public pages are cached: not the admin, not the health check.
PUBLIC_NAMESPACE = "cooperation"


def record_content_change():
    """Move the content version on. Runs inside the caller's transaction, so that the new
    version becomes visible exactly when the change does, and vanishes with it on rollback."""
    now = timezone.now()
    with transaction.atomic():
        moved = ContentVersion.objects.filter(pk=1).update(number=F("number") + 1, changed_at=now)
        if not moved:
            ContentVersion.objects.create(pk=1, changed_at=now)
    schedule_once_after_commit(store_facet_counts)


def schedule_once_after_commit(function):
    """Run ``function`` after the current transaction commits, once however many changes it
    makes (an import saves thousands of records); at once outside a transaction."""
    connection = transaction.get_connection()
    if any(pending is function for _savepoints, pending, _robust in connection.run_on_commit):
        return
    # robust: a failure is logged and leaves the stored counts unused, never the change undone.
    transaction.on_commit(function, robust=True)


def current_version():
    """The content version as ``(number, changed_at)``, or None before the first one exists.

    Read on every public request, so in plain SQL: building the equivalent QuerySet costs more
    than the query itself, and a revisit answered 304 is little else."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT number, changed_at FROM cooperation_contentversion WHERE id = 1")
        row = cursor.fetchone()
    if row is None:
        return None
    number, changed_at = row
    if isinstance(changed_at, str):  # SQLite returns the text it stores
        changed_at = datetime.datetime.fromisoformat(changed_at)
    if timezone.is_naive(changed_at):
        changed_at = timezone.make_aware(changed_at, datetime.UTC)
    return number, changed_at


def _on_save_or_delete(sender, **kwargs):
    if sender in PUBLIC_MODELS:
        record_content_change()


def _on_relations_changed(sender, instance, action, **kwargs):
    if action.startswith("post_") and type(instance) in PUBLIC_MODELS:
        record_content_change()


def connect_signals():
    post_save.connect(_on_save_or_delete, dispatch_uid="content-version-save")
    post_delete.connect(_on_save_or_delete, dispatch_uid="content-version-delete")
    m2m_changed.connect(_on_relations_changed, dispatch_uid="content-version-relations")


class PublicPageCacheMiddleware:
    """Answers a revisit whose validator still matches with 304, and a visit to a page already
    rendered for this content version from the cache. ``settings.PAGE_CACHE`` turns both off."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "page_not_cached", False):
            add_never_cache_headers(response)
        page = getattr(request, "cacheable_page", None)
        if page is not None and self.can_store(response):
            key, etag, last_modified = page
            self.add_validators(response, etag, last_modified)
            if request.method == "GET":
                cache.set(key, response, settings.PAGE_CACHE_SECONDS)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.PAGE_CACHE or request.method not in ("GET", "HEAD"):
            return None
        if request.resolver_match.namespace != PUBLIC_NAMESPACE:
            return None
        if request.user.is_authenticated:
            request.page_not_cached = True
            return None
        version = current_version()
        if version is None:
            return None
        number, changed_at = version
        fingerprint = hashlib.sha256(
            f"{number}|{changed_at.isoformat()}|{request.LANGUAGE_CODE}|"
            f"{request.get_full_path()}".encode()
        ).hexdigest()[:32]
        etag = quote_etag(f"{number}-{fingerprint[:16]}")
        last_modified = int(changed_at.timestamp())
        not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
        if not_modified is not None:
            self.add_validators(not_modified, etag, last_modified)
            return not_modified
        key = f"page:{fingerprint}"
        if request.method == "GET" and (cached := cache.get(key)) is not None:
            return cached
        request.cacheable_page = (key, etag, last_modified)
        return None

    @staticmethod
    def can_store(response):
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not response.has_header("Cache-Control")
        )

    @staticmethod
    def add_validators(response, etag, last_modified):
        response.headers["ETag"] = etag
        response.headers["Last-Modified"] = http_date(last_modified)
        # Browsers keep the page but ask each time whether it is still current: a 304 is cheap.
        patch_cache_control(response, no_cache=True)
