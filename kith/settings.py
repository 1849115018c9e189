"""Django settings, derived entirely from the KITH_* environment (see kith/config.py)."""

from __future__ import annotations

import os
from typing import Any

import dj_database_url

from kith import config

POD = config.load()

SECRET_KEY = POD.secret_key
DEBUG = POD.debug
KITH_URL = POD.url
KITH_DOMAIN = POD.domain
KITH_DATA_DIR = POD.data_dir
KITH_REDIS_URL = POD.redis_url
KITH_REGISTRATIONS_OPEN = POD.registrations_open
KITH_ALLOW_PRIVATE_FEDERATION = POD.allow_private_federation
# The streaming API's own ASGI server (kith/api/streaming, docs/operations.md).
KITH_STREAMING_PORT = POD.streaming_port
KITH_STREAMING_URL = POD.streaming_url

# Audiences above this size are fanned out by the worker instead of inside the request.
KITH_INLINE_FANOUT_LIMIT = int(os.environ.get("KITH_INLINE_FANOUT_LIMIT", "50"))
KITH_FANOUT_BATCH_SIZE = int(os.environ.get("KITH_FANOUT_BATCH_SIZE", "500"))
KITH_WORKER_THREADS = int(os.environ.get("KITH_WORKER_THREADS", "2"))

ALLOWED_HOSTS = [POD.domain.split(":")[0], "localhost", "127.0.0.1", "[::1]"]
if extra_hosts := os.environ.get("KITH_ALLOWED_HOSTS"):
    ALLOWED_HOSTS += [host.strip() for host in extra_hosts.split(",") if host.strip()]
CSRF_TRUSTED_ORIGINS = [POD.url]
USE_X_FORWARDED_HOST = False
if POD.scheme == "https":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "kith.core",
    "kith.people",
    "kith.graph",
    "kith.social",
    "kith.timelines",
    "kith.messaging",
    "kith.moderation",
    "kith.federation",
    "kith.federation.activitypub",
    "kith.web",
    "oauth2_provider",
    "kith.api",
    "kith.api.streaming",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "kith.web.middleware.RequestSizeMiddleware",
    "kith.web.middleware.NulInAddressMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kith.web.middleware.SecurityHeadersMiddleware",
    "kith.api.middleware.ApiRequestMiddleware",
]
# kith.api.middleware parses PATCH/PUT/DELETE form and multipart bodies (files too) itself.
NINJA_FIX_REQUEST_FILES_METHODS: set[str] = set()

ROOT_URLCONF = "kith.urls"
WSGI_APPLICATION = "kith.wsgi.application"
AUTH_USER_MODEL = "people.Account"
AUTHENTICATION_BACKENDS = ["kith.people.auth.AccountBackend"]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:stream"
LOGOUT_REDIRECT_URL = "web:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kith.web.context.pod",
            ],
        },
    },
]


# How long a request (or job) waits for the database: SQLite's write lock, a PostgreSQL
# connection.  Then it fails, and the request is answered 503 (kith/web/errors.py).
DATABASE_TIMEOUT_SECONDS = int(os.environ.get("KITH_DATABASE_TIMEOUT_SECONDS") or 20)


def _database(url: str | None) -> dict[str, Any]:
    if url:
        database = dj_database_url.parse(url, conn_max_age=600, conn_health_checks=True)
        # Without it, connecting to a server that drops packets waits for the kernel (minutes).
        database.setdefault("OPTIONS", {}).setdefault("connect_timeout", DATABASE_TIMEOUT_SECONDS)
        return dict(database)
    POD.data_dir.mkdir(parents=True, exist_ok=True)
    return {
        # Django's SQLite backend with the process's writers queued on a lock (kith/core/sqlite/base.py).
        "ENGINE": "kith.core.sqlite",
        "NAME": str(POD.data_dir / "kith.sqlite3"),
        "OPTIONS": {
            # WAL lets the web and the worker read while one writes; IMMEDIATE takes the
            # write lock at BEGIN so concurrent writers queue instead of failing mid-transaction.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
            "timeout": DATABASE_TIMEOUT_SECONDS,
        },
        # Keep each thread's connection: opening one (PRAGMAs, reading the schema, registering
        # functions) cost ~15 % of a home-timeline request (docs/performance.md).
        "CONN_MAX_AGE": 600,
    }


DATABASES = {"default": _database(POD.database_url)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": POD.redis_url}
        if POD.redis_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [os.path.join(os.path.dirname(__file__), "locale")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = str(POD.data_dir / "static")
# Whitenoise serves app static files through the finders; the (collectstatic) root may stay empty.
(POD.data_dir / "static").mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = str(POD.media_dir)
# Uploads above this many bytes are refused before they reach Pillow.
KITH_MAX_UPLOAD_BYTES = int(os.environ.get("KITH_MAX_UPLOAD_BYTES", str(16 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

if smtp_host := os.environ.get("KITH_SMTP_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = smtp_host
    EMAIL_PORT = int(os.environ.get("KITH_SMTP_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("KITH_SMTP_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("KITH_SMTP_PASSWORD", "")
    EMAIL_USE_TLS = config.env_flag("KITH_SMTP_TLS", default=True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("KITH_EMAIL_FROM", f"kith@{POD.domain.split(':')[0]}")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KITH_LOG_LEVEL", "INFO")},
    # httpx logs every request at INFO: one line per delivery would drown the log.
    "loggers": {"huey": {"level": "WARNING"}, "httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}

# ---- OAuth 2 for Mastodon clients (kith/api/oauth.py) --------------------------------------
from kith.api import scopes as _api_scopes  # noqa: E402

OAUTH2_PROVIDER = {
    "SCOPES": {scope: _api_scopes.SCOPE_DESCRIPTIONS.get(scope, scope) for scope in _api_scopes.ALL_SCOPES},
    "DEFAULT_SCOPES": [_api_scopes.DEFAULT_SCOPES],
    # Only the SHA-256 of each token is stored: a leaked database holds no usable token.
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    # Mastodon's tokens do not expire; apps keep them until revoked.
    "ACCESS_TOKEN_EXPIRE_SECONDS": 10 * 365 * 24 * 3600,
    "REFRESH_TOKEN_EXPIRE_SECONDS": None,
    "ROTATE_REFRESH_TOKEN": True,
    # Most Mastodon apps send no PKCE challenge; one sent is enforced (kith/api/oauth.py).
    "PKCE_REQUIRED": False,
    # A challenge must be S256: "plain" protects nothing against someone who reads the request.
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    # Mastodon's grant rules (several grants per app, registered scopes) and JSON bodies.
    "OAUTH2_VALIDATOR_CLASS": "kith.api.oauth.MastodonValidator",
    "OAUTH2_BACKEND_CLASS": "kith.api.oauth.MastodonOAuthLibCore",
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http", "urn", "com", "org", "app", "net", "io"],
}
# Brute-force protection of log-in, password reset and sign-up mail (kith/people/throttle.py).
KITH_LOGIN_MAX_FAILURES = int(os.environ.get("KITH_LOGIN_MAX_FAILURES", "5"))
KITH_LOGIN_MAX_FAILURES_PER_ADDRESS = int(os.environ.get("KITH_LOGIN_MAX_FAILURES_PER_ADDRESS", "20"))
KITH_LOGIN_LOCKOUT = int(os.environ.get("KITH_LOGIN_LOCKOUT", "60"))
KITH_LOGIN_LOCKOUT_MAX = int(os.environ.get("KITH_LOGIN_LOCKOUT_MAX", "3600"))
KITH_EMAIL_REQUESTS_MAX = int(os.environ.get("KITH_EMAIL_REQUESTS_MAX", "3"))
# Sign-up confirms the e-mail address first, so that it never tells whether an address is taken.
# On by default only where e-mail can reach people: on a pod without a mail server (`make run`)
# a confirmation link would only be in the log, and nobody could sign up.
KITH_SIGNUP_CONFIRM_EMAIL = config.env_flag("KITH_SIGNUP_CONFIRM_EMAIL", default=bool(os.environ.get("KITH_SMTP_HOST")))
# Mastodon's default: 300 requests per 5 minutes per token (or per address, anonymously).
KITH_API_RATE_LIMIT = int(os.environ.get("KITH_API_RATE_LIMIT", "300"))
KITH_API_RATE_PERIOD = 300
# Render each API response both directly and through its schema, failing on a difference
# (kith/api/routing.py).  On in the test suite; production renders directly.
KITH_API_CHECK_RESPONSES = config.env_flag("KITH_API_CHECK_RESPONSES", default=False)
KITH_API_ALLOW_PASSWORD_GRANT = config.env_flag("KITH_API_ALLOW_PASSWORD_GRANT", default=False)
# Pod rules shown by /api/v1/instance/rules and the instance entities, one per line.
KITH_POD_RULES = [line.strip() for line in os.environ.get("KITH_POD_RULES", "").splitlines() if line.strip()]
