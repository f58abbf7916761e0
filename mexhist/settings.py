"""Settings for the site, read from the environment.

Development needs no configuration. ``MEXHIST_ENV=production`` turns DEBUG off and refuses to
start without ``DJANGO_SECRET_KEY`` and ``DJANGO_ALLOWED_HOSTS``.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

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
    "axes",
    "django_tasks_db",
    "cooperation",
]

MIDDLEWARE = [
    # First: a request body over its limit is refused before anything reads it.
    "mexhist.security.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After authentication: refuses a locked-out login before the password is checked.
    "axes.middleware.AxesMiddleware",
    # Last: it runs each request that may write as one batch of content changes.
    "cooperation.caching.ContentChangesMiddleware",
]

if os.environ.get("MEXHIST_QUERY_COUNT") == "1":
    MIDDLEWARE.insert(0, "mexhist.monitoring.QueryCountHeaderMiddleware")

if PRODUCTION:
    # Serves the collected static files; development serves them with runserver.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )

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
                "django.template.context_processors.csp",
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
# The pages follow their content, which is in English until the Spanish edition exists: a
# browser asking for Spanish gets English pages marked as English. (The interface strings are
# wrapped for translation already.)
LANGUAGES = [("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic gathers the files WhiteNoise serves; a deployment may keep them elsewhere.
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", VAR_DIR / "static"))
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

# --- Security --------------------------------------------------------------------------------

# Production assumes HTTPS (behind a load balancer that terminates it and sets
# X-Forwarded-Proto): cookies travel over HTTPS only, plain HTTP is redirected, and browsers
# are told to use HTTPS for a year (HSTS). DJANGO_HTTPS=0 turns this off for a production-like
# run on one machine over plain HTTP; make serve says so when it starts.
HTTPS = PRODUCTION and os.environ.get("DJANGO_HTTPS", "1") != "0"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
    SECURE_SSL_REDIRECT = HTTPS
    # The load balancer checks health over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60 if HTTPS else 0
    SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
    # Consent to being listed in the browsers' preload lists (hstspreload.org): only the
    # domain's owner can submit it there. See the README before turning it on for good.
    SECURE_HSTS_PRELOAD = HTTPS and os.environ.get("DJANGO_HSTS_PRELOAD", "1") != "0"

# A strict Content-Security-Policy: nothing inline without the page's nonce, nothing from
# elsewhere. Django's own CSP (6.0+).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# No page of the site uses these browser features.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media",
        "fullscreen", "geolocation", "gyroscope", "magnetometer", "microphone", "midi",
        "payment", "picture-in-picture", "publickey-credentials-get", "screen-wake-lock",
        "sync-xhr", "usb", "xr-spatial-tracking",
    )
}  # fmt: skip

# Login throttling (django-axes): five wrong passwords lock the username, and five from one
# address lock the address, for fifteen minutes; while locked, no password is checked. A
# publisher or superuser unlocks in the admin (Axes, Access attempts) or with
# `manage.py axes_reset_username USERNAME`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "mexhist.security.client_ip"
#: How many proxies (load balancers) stand between the readers and the site: the client's
#: address is that many entries from the right of X-Forwarded-For.
PROXY_COUNT = int(os.environ.get("DJANGO_PROXY_COUNT", "0"))

# --- Bounds ----------------------------------------------------------------------------------

#: A request body larger than this is refused with 413 before it is read.
REQUEST_BODY_LIMIT = 3 * 1024 * 1024
#: ... but for the import page, which takes fixture files.
IMPORT_BODY_LIMIT = 51 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_500_000
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_500_000

# Long imports run as tasks: a worker (manage.py db_worker, started by make serve) takes them
# from a table of the database, so that any host's worker can run any host's upload.
# Development runs them at once.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend"
        if PRODUCTION
        else "django.tasks.backends.immediate.ImmediateBackend"
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line": {"()": "mexhist.security.OneLine"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        # A request with a host not served here is worth a line, not a traceback.
        "one_line": {"class": "logging.StreamHandler", "filters": ["one_line"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.security.DisallowedHost": {"handlers": ["one_line"], "propagate": False},
        # django-axes logs every sign-in at INFO; failures and lockouts are warnings.
        "axes": {"level": "WARNING"},
    },
}
