"""Settings for the site, read from the environment.

Development needs no configuration. ``MEXHIST_ENV=production`` turns DEBUG off and refuses to
start without ``DJANGO_SECRET_KEY`` and ``DJANGO_ALLOWED_HOSTS``.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

ENVIRONMENT = os.environ.get("MEXHIST_ENV", "development")
if ENVIRONMENT not in ("development", "production"):
    raise ImproperlyConfigured(
        f"MEXHIST_ENV must be 'development' or 'production', not {ENVIRONMENT!r}."
    )
PRODUCTION = ENVIRONMENT == "production"


def required_in_production(name, development_default):
    value = os.environ.get(name, "")
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set when MEXHIST_ENV=production.")
    return development_default


def env_list(value):
    return [item.strip() for item in value.split(",") if item.strip()]


SECRET_KEY = required_in_production(
    "DJANGO_SECRET_KEY", "django-insecure-development-only-never-used-in-production"
)
DEBUG = not PRODUCTION and os.environ.get("DJANGO_DEBUG", "1") != "0"
ALLOWED_HOSTS = env_list(
    required_in_production("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
)
CSRF_TRUSTED_ORIGINS = env_list(os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", ""))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_filters",
    "simple_history",
    "cooperation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: it runs each request that may write as one batch of content changes.
    "cooperation.caching.ContentChangesMiddleware",
]

if os.environ.get("MEXHIST_QUERY_COUNT") == "1":
    MIDDLEWARE.insert(0, "mexhist.monitoring.QueryCountHeaderMiddleware")

if PRODUCTION:
    # Serves the collected static files; development serves them with runserver.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "mexhist.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "mexhist.wsgi.application"

if "DATABASE_URL" not in os.environ:
    VAR_DIR.mkdir(exist_ok=True)  # the embedded SQLite database lives here, outside git

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # Writers take turns from the start of their transaction, so that two saves at
            # the same moment queue instead of one failing half-way with "database is
            # locked"; with the write-ahead log readers never wait for a writer.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # The test database is a file, as in production: an in-memory one shared between
    # threads locks whole tables, and the tests of concurrent saves need real SQLite.
    VAR_DIR.mkdir(exist_ok=True)
    DATABASES["default"].setdefault("TEST", {}).setdefault("NAME", str(VAR_DIR / "test-db.sqlite3"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# In production WhiteNoise serves the collected files compressed, under hashed names, with
# far-future cache headers; development serves them from static/ as they are.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Public pages are validated (ETag, Last-Modified) and cached by the content version, which any
# change moves on (cooperation.caching). MEXHIST_PAGE_CACHE=0 turns both off.
PAGE_CACHE = os.environ.get("MEXHIST_PAGE_CACHE", "1") != "0"
PAGE_CACHE_SECONDS = 24 * 60 * 60

# Local memory by default: each worker has its own cache, which is correct because pages are
# keyed by the content version in the database. REDIS_URL shares one cache between workers and
# hosts, so a page is rendered once for all of them.
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 1000},
        }
    }

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# The admin's history pages list versions; reverting goes through our own view, which
# restores a version's relations as well as its fields.
SIMPLE_HISTORY_REVERT_DISABLED = True

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_CONTENT_TYPE_NOSNIFF = True
    # Cookies go over HTTPS only, unless DJANGO_HTTPS=0 (a production-like run on localhost).
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = os.environ.get("DJANGO_HTTPS", "1") != "0"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
