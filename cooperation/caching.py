"""The content version, and the public pages validated and cached by it.

Every change to public content moves ``ContentVersion`` on, in the same transaction as the
change (``content_changed``, called by the receivers of ``cooperation.signals``). A batch of
changes, a request that saves a record with its relations or an import of thousands, moves it
once, at the end of its transaction (``content_changes``). A page's validators (ETag and
Last-Modified) and its place in the cache are derived from the version, so the moment a change
is committed every worker on every host validates and caches against the new version: nothing
has to be purged, and a page cached under an older version is never served again.

Signed-in users bypass both: they see drafts in previews and must see their own edits at once.
"""

import datetime
import functools
import hashlib
import threading
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.http import condition

from .models import ContentVersion

# --- The content version ---------------------------------------------------------------------


class _RequestMemo(threading.local):
    """The content version read during the request under way in this thread: a page reads it
    once, for its validators, its place in the cache and its remembered counts alike."""

    active = False
    version = None


_memo = _RequestMemo()


def _start_memo(**kwargs):
    _memo.active, _memo.version = True, None


def _end_memo(**kwargs):
    _memo.active, _memo.version = False, None


request_started.connect(_start_memo, dispatch_uid="content-version-memo-start")
request_finished.connect(_end_memo, dispatch_uid="content-version-memo-end")


def current_version():
    """The content version as ``(number, changed_at)``, or None before the first one."""
    if _memo.active and _memo.version is not None:
        return _memo.version
    version = read_version()
    if _memo.active:
        _memo.version = version
    return version


@functools.cache
def version_query(vendor):
    """The SQL that reads the version, as the ORM writes it for this database: compiled once,
    because building the QuerySet costs more than running it, and a revisit answered 304 is
    little else."""
    query = ContentVersion.objects.filter(pk=1).values_list("number", "changed_at").query
    return query.get_compiler(connection=connection).as_sql()


def read_version():
    sql, params = version_query(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    number, changed_at = row
    if isinstance(changed_at, str):  # SQLite returns the text it stores
        changed_at = datetime.datetime.fromisoformat(changed_at)
    if timezone.is_naive(changed_at):
        changed_at = timezone.make_aware(changed_at, datetime.UTC)
    return number, changed_at


def move_version():
    """Move the content version on, inside the caller's transaction: the new version becomes
    visible exactly when the change does, and vanishes with it on rollback."""
    _memo.version = None
    now = timezone.now()
    moved = ContentVersion.objects.filter(pk=1).update(number=F("number") + 1, changed_at=now)
    if not moved:  # the row is made by a migration; only a flushed test database lacks it
        ContentVersion.objects.create(pk=1, changed_at=now)


class _Batch:
    changed = False


#: The batch of changes under way in this thread or task, if any.
_batch = ContextVar("content_changes", default=None)


def content_changed():
    """Public content changed: move the version now, or once at the end of the batch."""
    batch = _batch.get()
    if batch is None:
        move_version()
    else:
        batch.changed = True


@contextmanager
def content_changes():
    """Make the changes inside one transaction that moves the content version once, at its
    end, however many records they save. Nested, the outermost batch moves it."""
    if _batch.get() is not None:
        with transaction.atomic():  # a savepoint: a rollback inside stays inside
            yield
        return
    batch = _Batch()
    token = _batch.set(batch)
    try:
        with transaction.atomic():
            yield
            if batch.changed and not transaction.get_rollback():
                move_version()
    finally:
        _batch.reset(token)


#: The requests that may write.
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class ContentChangesMiddleware:
    """Each request that may write is one batch of changes: an editor's save of a record, its
    relations and its inline sections moves the content version once. Last in MIDDLEWARE, as
    it calls the view itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view, args, kwargs):
        if request.method not in UNSAFE_METHODS:
            return None
        with content_changes():
            return view(request, *args, **kwargs)


# --- Public pages ----------------------------------------------------------------------------


def page_version(request):
    """The content version a reader's page is validated and cached by, or None for a page
    that is neither (signed-in users, the page cache turned off)."""
    if not hasattr(request, "_page_version"):
        cacheable = settings.PAGE_CACHE and not request.user.is_authenticated
        request._page_version = current_version() if cacheable else None
    return request._page_version


def page_fingerprint(request):
    """What tells one page from another: its address with scheme and host (a page names its
    own address in its canonical link), its language, and the content version."""
    if not hasattr(request, "_page_fingerprint"):
        number, changed_at = page_version(request)
        text = f"{number}|{changed_at.isoformat()}|{request.LANGUAGE_CODE}|"
        address = request.build_absolute_uri()
        request._page_fingerprint = hashlib.sha256((text + address).encode()).hexdigest()[:32]
    return request._page_fingerprint


def page_etag(request, *args, **kwargs):
    if page_version(request) is None:
        return None
    return f'"{page_version(request)[0]}-{page_fingerprint(request)[:16]}"'


def page_last_modified(request, *args, **kwargs):
    """When the content last changed, once that second is over: an HTTP date counts whole
    seconds, so a date given during the second of a change would still be current after a
    second change in that same second, and a client that sends only If-Modified-Since would
    be told that nothing changed."""
    if page_version(request) is None:
        return None
    changed_at = page_version(request)[1]
    if int(timezone.now().timestamp()) <= int(changed_at.timestamp()):
        return None
    return changed_at


def cached_page(view):
    """Serve ``view``'s page from the cache while the content version is the one it was
    rendered for."""

    @wraps(view)
    def page(request, *args, **kwargs):
        version = page_version(request)
        if version is None or request.method != "GET":
            return view(request, *args, **kwargs)
        key, number = f"page:{page_fingerprint(request)}", version[0]
        cached = cache.get(key, version=number)
        if cached is not None:
            return cached
        response = view(request, *args, **kwargs)

        def store(response):
            if can_store(response):
                cache.set(key, response, settings.PAGE_CACHE_SECONDS, version=number)

        if getattr(response, "is_rendered", True):
            store(response)
        else:
            response.add_post_render_callback(store)
        return response

    return page


def can_store(response):
    """A complete page for everyone: not an error, no cookie, not marked private."""
    cache_control = response.get("Cache-Control", "")
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "private" not in cache_control
        and "no-store" not in cache_control
    )


def public_page(view):
    """A page for readers: validated and cached by the content version (a revisit answered
    304, a page already rendered served from the cache). Browsers may keep it but ask each
    time whether it is still current. Signed-in users get it fresh and never stored."""
    validated = condition(etag_func=page_etag, last_modified_func=page_last_modified)(
        cached_page(view)
    )

    @wraps(view)
    def page(request, *args, **kwargs):
        response = validated(request, *args, **kwargs)
        if request.user.is_authenticated:
            add_never_cache_headers(response)
        elif page_version(request) is not None:
            patch_cache_control(response, no_cache=True)
        return response

    return page
