"""DeployDojo settings, read from the environment with safe development defaults.

Development (DEBUG=1, the default): SQLite under var/, a Celery broker on SQLite that needs no
server. Production (DEBUG=0): refuses to start on the development secret key; HTTPS hardening on.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

import labcontract
from practice import judge as judge_core

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DEPLOYDOJO_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEV_SECRET_KEY = "dev-insecure-deploydojo-key-change-me"


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def env_bool(name: str, default: bool) -> bool:
    """Strict, as healthchecks' envbool: an unknown value stops the start with the variable named."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean: use one of 1/0, true/false, yes/no, on/off")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is below its minimum {minimum}")
    return number


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
if not DEBUG and (SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured(
        "DEBUG=0 needs a real SECRET_KEY (at least 32 random characters); "
        "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "core",
    "tracker",
    "practice",
    "labs",
    "planner",
    "knowledge",
    "evidence",
]

MIDDLEWARE = [
    "core.middleware.HealthCheck",  # first: answers /healthz whatever the Host header (compose's probe)
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.RequestSizeLimit",  # before anything reads the body: per-page limits, named
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.ChineseByDefault",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.LoginRequiredByDefault",
    "core.middleware.VisitorsSeeTheProductsNotFound",  # under DEBUG: no URL patterns for a revoked link's visitor
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.i18n",
                "core.context_processors.site_flags",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'deploydojo.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web server and the worker write without "database is locked" errors.
    DATABASES["default"]["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Caches. "default" holds the tokens of core.versions, which every process must share (the web processes
# read them; the workers that judge submissions and finish lab jobs bump them): CACHE_URL=redis://... in
# production (compose sets it), else a file cache under VAR_DIR, which the processes of `make run` share.
# "local" holds what a token validates (evidence.dashboard's summaries): per process, so a summary never
# outlives the process that computed it, and a cached token from an older database finds nothing to validate.
CACHE_URL = os.environ.get("CACHE_URL", "").strip()
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(f"CACHE_URL={CACHE_URL!r}: use a redis://, rediss:// or unix:// address")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(VAR_DIR / "cache"),
          "OPTIONS": {"MAX_ENTRIES": 100_000}},
    "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "deploydojo-local",
              "TIMEOUT": 24 * 3600, "OPTIONS": {"MAX_ENTRIES": 1000}},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "landing"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DEPLOYDOJO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

CONTENT_DIR = Path(os.environ.get("DEPLOYDOJO_CONTENT_DIR", BASE_DIR / "content"))

# --- Security (DEBUG=0) --------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    # Behind a TLS-terminating proxy (nginx, Caddy, a cloud LB) that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    HTTPS = env_bool("DEPLOYDOJO_HTTPS", True)
    SECURE_SSL_REDIRECT = HTTPS
    SESSION_COOKIE_SECURE = HTTPS
    CSRF_COOKIE_SECURE = HTTPS
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000) if HTTPS else 0
    SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
    SECURE_HSTS_PRELOAD = HTTPS
    # The runner API is not redirected: a runner on the private network (compose gives it http://web:8000) posts
    # over plain HTTP, and a redirect would turn its POSTs into GETs on a port with no TLS. labs/api.py refuses
    # plain HTTP from a public address with a JSON message instead (a bearer token must not cross the internet
    # in the clear).
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^api/runner/"]

# Content-Security-Policy (django-csp): scripts only from this origin (htmx, KaTeX, Chart.js and the
# site's own are all served locally); inline style attributes are allowed because KaTeX and Chart.js
# position their output with them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", f"db+sqlite:///{VAR_DIR / 'celery-results.sqlite3'}")
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 120, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 150, minimum=1)
# A broker that is down must not hang a request: publishing retries briefly, then the caller is told.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_BROKER_CONNECTION_TIMEOUT = 3

# --- Practice judge -------------------------------------------------------------------------
# Development override: run submissions without bubblewrap. Every page says so while it is on.
# One source for each limit: the judge core (Django-free) owns the source cap and the override's name.
JUDGE_UNSAFE_NO_SANDBOX = env_bool(judge_core.UNSAFE_ENV, False)
JUDGE_MAX_SOURCE_BYTES = judge_core.MAX_SOURCE_BYTES
JUDGE_MAX_UNFINISHED = 3
JUDGE_PYTHON = os.environ.get("DEPLOYDOJO_JUDGE_PYTHON", "/usr/bin/python3")
# Nothing stays unfinished: the judging worker marks a heartbeat every JUDGE_HEARTBEAT_S; a running
# submission silent for JUDGE_STALE_AFTER_S lost its worker (re-queued once, then IE). A queued one not
# picked up within JUDGE_REQUEUE_AFTER_S lost its message (re-sent, JUDGE_MAX_DELIVERIES in all, then IE).
JUDGE_HEARTBEAT_S = 5
JUDGE_STALE_AFTER_S = env_int("JUDGE_STALE_AFTER_S", 20, minimum=10)
JUDGE_REQUEUE_AFTER_S = env_int("JUDGE_REQUEUE_AFTER_S", 60, minimum=5)
JUDGE_MAX_DELIVERIES = 3
JUDGE_MAX_ATTEMPTS = 2
REAPER_INTERVAL_S = env_int("REAPER_INTERVAL_S", 10, minimum=1)  # how often beat runs the reapers
# Redis re-delivers an unacknowledged task after this long: it must stay above the hard time limit, or a long
# task would be handed to a second worker while the first still runs it.
BROKER_VISIBILITY_TIMEOUT_S = env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1)
if BROKER_VISIBILITY_TIMEOUT_S <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"CELERY_VISIBILITY_TIMEOUT={BROKER_VISIBILITY_TIMEOUT_S} must be above CELERY_TASK_TIME_LIMIT="
        f"{CELERY_TASK_TIME_LIMIT}: Redis would hand a running task to a second worker")
# The queues the site declares: its own (celery, judge) and every lab capability queue from the contract.
SITE_QUEUES = ("celery", "judge", *labcontract.QUEUES)

# --- GPU runners ----------------------------------------------------------------------------
RUNNER_HEARTBEAT_TIMEOUT_S = env_int("RUNNER_HEARTBEAT_TIMEOUT_S", labcontract.HEARTBEAT_TIMEOUT_S, minimum=10)
# A queued job an idle, able runner has not started this long after dispatch lost its message: re-sent,
# LAB_MAX_DISPATCHES in all, then failed. A running job without progress for LAB_STALL_TIMEOUT_S is stuck
# even if its runner still heartbeats. A job no runner took within LAB_QUEUED_MAX_AGE_S is failed.
LAB_REDISPATCH_AFTER_S = env_int("LAB_REDISPATCH_AFTER_S", 120, minimum=5)
LAB_MAX_DISPATCHES = 4
LAB_STALL_TIMEOUT_S = env_int("LAB_STALL_TIMEOUT_S", 3600, minimum=60)
LAB_QUEUED_MAX_AGE_S = env_int("LAB_QUEUED_MAX_AGE_S", 7 * 24 * 3600, minimum=60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Request-size limits (core.middleware.RequestSizeLimit) --------------------------------
# Each page's body limit, set on purpose and named in the refusal; the first matching path pattern wins.
REQUEST_SIZE_DEFAULT = 256 * 1024
REQUEST_SIZE_LIMITS = [
    (r"^/api/runner/", None),  # the runner API answers the contract's JSON 413 itself
    (r"^/practice/[^/]+/submit/$", 256 * 1024),  # sources are capped at JUDGE_MAX_SOURCE_BYTES (64 KiB)
    (r"^/tasks/[^/]+/notes/$", 256 * 1024),  # notes are capped at 50,000 characters
    (r"^/labs/new/[^/]+/$", 4 * 1024 * 1024),  # a C++ archive or source of up to 1 MiB, form-encoded
    (r"^/record/import/$", 50 * 1024 * 1024),  # an exported record (evidence.transfer.MAX_UPLOAD_BYTES)
]
# Django's own ceiling on a form's non-file data, raised to the largest page limit above so that the table
# is what decides; what it still refuses is answered by RequestSizeLimit with the limit named.
DATA_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024 * 1024

# --- Prometheus /metrics (core.metrics) ------------------------------------------------------
# Readable with "Authorization: Bearer $METRICS_TOKEN" (unset: no token works), or from an address in
# METRICS_ALLOW (comma-separated addresses or networks; loopback only by default). Requests that came through
# a proxy are admitted by token only.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "").strip()
METRICS_ALLOW = env_list("METRICS_ALLOW", "127.0.0.1/32,::1/128")


def _check_metrics_allow(entries: list[str]) -> None:
    import ipaddress

    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ImproperlyConfigured(f"METRICS_ALLOW: {entry!r} is not an IP address or network") from None


_check_metrics_allow(METRICS_ALLOW)
if not DEBUG:
    SECURE_REDIRECT_EXEMPT = [*SECURE_REDIRECT_EXEMPT, r"^metrics$"]  # Prometheus scrapes plain HTTP in compose
