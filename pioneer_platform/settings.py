"""Settings for every environment, read from the process environment (django-environ).

Defaults are the embedded development profile (SQLite, in-memory channel layer, eager
Celery), so a fresh clone runs with no configuration. Every integration is switched on by
its variable; `.env.example` lists them all. `DJANGO_ENV=production` selects the hardened
profile, in which secrets must come from the environment.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
# Git-ignored folder for secrets generated on a developer's first run.
LOCAL_DIR = Path(os.environ.get("PIONEER_LOCAL_DIR", BASE_DIR / ".local"))

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be development or production, not {DJANGO_ENV!r}")
PRODUCTION = DJANGO_ENV == "production"


def local_secret(name: str, generate: Callable[[], str]) -> str:
    """Return a development secret, generated once into `.local/<name>`.

    Production never gets here: a missing secret there is a configuration error, because a
    generated key would differ between processes and silently break sessions or signatures.
    """
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name.upper()} must be set in production")
    path = LOCAL_DIR / name
    if not path.exists():
        LOCAL_DIR.mkdir(mode=0o700, exist_ok=True)
        path.write_text(generate())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="") or local_secret(
    "secret_key", lambda: secrets.token_urlsafe(50)
)
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS: list[str] = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "daphne",
    "accounts.admin_config.PioneerAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_countries",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.headless",
    "channels",
    "csp",
    "core",
    "accounts",
    "ledger",
    "kyc",
    "tasks",
    "reputation",
    "community",
    "support",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Refusals that need no database come before a connection is borrowed.
    "core.bodies.request_body_limit",
    "core.bodies.headless_json_guard",
    "core.middleware.DatabaseConnectionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.ratelimits.retry_after_on_rate_limits",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "pioneer_platform.urls"
WSGI_APPLICATION = "pioneer_platform.wsgi.application"
ASGI_APPLICATION = "pioneer_platform.asgi.application"

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
                "accounts.context_processors.notifications",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
# SQLite in WAL mode with IMMEDIATE transactions: writers take the lock when the
# transaction starts, so two writers queue on busy_timeout instead of one failing with
# "database is locked" when it upgrades a read lock halfway through.
SQLITE_PATH = BASE_DIR / "db.sqlite3"
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{SQLITE_PATH}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    # Under ASGI each request runs in a thread of its own, so persistent connections
    # (CONN_MAX_AGE) would pile up one per thread until PostgreSQL refuses every client of
    # the cluster. Each process borrows instead from one psycopg pool of at most
    # DB_POOL_MAX_SIZE connections, given back when the request ends; a request that
    # waits DB_POOL_TIMEOUT seconds for one is answered 503 (core.middleware).
    # DB_POOL_MAX_SIZE=0 turns the pool off (a connection per request, or CONN_MAX_AGE):
    # prefork Celery workers run one task per process and close the pool after each.
    DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=10)
    if DB_POOL_MAX_SIZE > 0:
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool refuses persistent connections
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DB_POOL_MIN_SIZE", default=min(2, DB_POOL_MAX_SIZE)),
            "max_size": DB_POOL_MAX_SIZE,
            "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    # Django turns prepared statements off (for transaction-mode poolers). Its own
    # queries bind on the client and are never prepared either way; this lets the feed's
    # server-bound hot statements (`tasks.statements`) be prepared after a few runs, so
    # the server stops parsing and planning them on every claim; pooled connections keep
    # them across requests. Set it empty behind a transaction-mode pooler (PgBouncer) that
    # cannot keep prepared statements.
    prepare_threshold = env.str("DB_PREPARE_THRESHOLD", default="5")
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "prepare_threshold", int(prepare_threshold) if prepare_threshold else None
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USING_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# --- Redis: channel layer, cache, Celery --------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Two channel layers: "default" (the feed) queues each socket's messages in Redis; "chat"
# (every chat socket and send) publishes a room's message once over Redis pub/sub, whatever
# the room's size, and closes its sockets when the subscription breaks, so they resume
# (core.channel_layer).
if REDIS_URL:
    from redis.connection import parse_url

    CHANNELS_PREFIX = env.str("CHANNELS_PREFIX", default="asgi")
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "core.channel_layer.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": CHANNELS_PREFIX},
        },
        # Pub/sub channels are server-wide, not per database: the database number goes into
        # the prefix, so deployments (or test runs) on one server stay apart as their keys do.
        "chat": {
            "BACKEND": "core.channel_layer.PubSubChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": f"{CHANNELS_PREFIX}.{parse_url(REDIS_URL).get('db', 0)}.",
            },
        },
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_PREFIX", default="pp"),
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer"},
        "chat": {"BACKEND": "channels.layers.InMemoryChannelLayer"},
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# Queued work survives a killed worker: a job is acknowledged only once it ran, and a
# message a dead worker held goes back to the queue after the visibility timeout (kombu's
# default is an hour). The timeout must outlast any task's run and any countdown (retries
# back off to 16 s); tasks are idempotent, so one delivered twice does no harm. Work whose
# message is lost for good (the broker was down when it was sent) is found by the periodic
# sweeps below, which re-enqueue what waited JOBS_DEADLINE_SECONDS.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300)
}
JOBS_DEADLINE_SECONDS = env.int("JOBS_DEADLINE_SECONDS", default=60)
JOBS_SWEEP_SECONDS = env.float("JOBS_SWEEP_SECONDS", default=30.0)
# A KYC case whose checks were sent this many times without finishing is handed to a
# moderator instead: the job fails on this case every time, and resending forever would
# leave the person waiting with nothing shown.
JOBS_MAX_RESENDS = env.int("JOBS_MAX_RESENDS", default=5)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Every periodic job, in one place.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Expired reservations return to the pool even on a project nobody claims from (claims
    # also reclaim lazily), and holders hear a minute before they lose an item.
    "tasks: sweep reservations": {"task": "tasks.tasks.sweep_reservations", "schedule": 15.0},
    "reputation: sweep review reservations": {
        "task": "reputation.tasks.sweep_review_reservations",
        "schedule": 60.0,
    },
    # Pairs are checked after each review; triangles need the whole picture.
    "reputation: detect review rings": {
        "task": "reputation.tasks.detect_rings",
        "schedule": 3600.0,
    },
    # Publishing is a no-op when the tree did not grow.
    "ledger: publish tree head": {"task": "ledger.tasks.publish_tree_head", "schedule": 60.0},
    # Work stuck past JOBS_DEADLINE_SECONDS is sent again; delivering it twice is harmless.
    "kyc: resend checks of stuck cases": {
        "task": "kyc.tasks.requeue_stuck_checks",
        "schedule": JOBS_SWEEP_SECONDS,
    },
    "tasks: resend unannounced publications": {
        "task": "tasks.tasks.announce_stuck_projects",
        "schedule": JOBS_SWEEP_SECONDS,
    },
    "kyc: purge documents past retention": {
        "task": "kyc.tasks.purge_documents",
        "schedule": 3600.0,
    },
    # A lapsed waitlist offer passes to the next person within a minute of its deadline.
    "community: expire waitlist offers": {
        "task": "community.tasks.expire_offers",
        "schedule": 60.0,
    },
    # Reminders are claimed row by row before they are sent, so each goes out once.
    "community: workshop reminders": {"task": "community.tasks.send_reminders", "schedule": 300.0},
    # Ended workshops are closed and their marked attendance counted in reputation.
    "community: finish ended workshops": {
        "task": "community.tasks.finish_workshops",
        "schedule": 300.0,
    },
    # Read notifications go after NOTIFICATIONS_READ_RETENTION_DAYS; unread ones stay.
    "accounts: purge read notifications": {
        "task": "accounts.tasks.purge_read_notifications",
        "schedule": 86400.0,
    },
    # Scores decay daily: everyone is re-evaluated from the events soon after midnight UTC
    # (and anyone whose stored sums disagree with the events is corrected and logged).
    "reputation: daily recompute": {
        "task": "reputation.tasks.recompute_scores",
        "schedule": crontab(minute=5, hour=0),
    },
    # New reputation events go into the transparency log as one Merkle root per batch.
    "reputation: commit event batches": {
        "task": "reputation.tasks.commit_event_batches",
        "schedule": 180.0,
    },
}
# How long a read notification is kept before the daily purge deletes it.
NOTIFICATIONS_READ_RETENTION_DAYS = env.int("NOTIFICATIONS_READ_RETENTION_DAYS", default=90)

# --- Reputation ----------------------------------------------------------------------------
# An event's weight halves every this many days; gains count up to the cap per UTC day;
# a level is lost only after this many whole days below it.
REPUTATION_HALF_LIFE_DAYS = env.float("REPUTATION_HALF_LIFE_DAYS", default=180.0)
REPUTATION_DAILY_GAIN_CAP = env.float("REPUTATION_DAILY_GAIN_CAP", default=20.0)
REPUTATION_GRACE_DAYS = env.int("REPUTATION_GRACE_DAYS", default=14)

# --- Community: workshops ----------------------------------------------------------------
# How long a waitlisted person has to accept a freed seat; close to the start the offer
# ends that many minutes before it, but never gives less than the minimum window.
WORKSHOP_OFFER_HOURS = env.float("WORKSHOP_OFFER_HOURS", default=24.0)
WORKSHOP_OFFER_CLOSES_BEFORE_START_MINUTES = env.int(
    "WORKSHOP_OFFER_CLOSES_BEFORE_START_MINUTES", default=60
)
WORKSHOP_OFFER_MIN_MINUTES = env.int("WORKSHOP_OFFER_MIN_MINUTES", default=15)
# Hosts may check people in from this long before the start, and correct attendance
# until this many days after the end.
WORKSHOP_CHECKIN_OPENS_MINUTES = env.int("WORKSHOP_CHECKIN_OPENS_MINUTES", default=60)
WORKSHOP_ATTENDANCE_CLOSES_DAYS = env.int("WORKSHOP_ATTENDANCE_CLOSES_DAYS", default=7)
# Reputation weight of an attendance (positive) and of a no-show after a confirmed seat.
WORKSHOP_ATTENDANCE_WEIGHT = env.float("WORKSHOP_ATTENDANCE_WEIGHT", default=1.0)
WORKSHOP_NO_SHOW_WEIGHT = env.float("WORKSHOP_NO_SHOW_WEIGHT", default=0.5)

# --- Auth and accounts -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Permission checks only; sign-in stays with the two below (accounts.backends).
    "accounts.backends.PermissionReadingBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard:home"
ACCOUNT_LOGOUT_REDIRECT_URL = "accounts:home"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
# Confirming the e-mail link in the browser that signed up signs the person in (allauth keeps
# the pending sign-in in that session; a link opened elsewhere still asks for the password).
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_USER_DISPLAY = "accounts.adapters.user_display"
# allauth's limits are counted in the cache, so with Redis they hold across processes.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env.str("RATE_LIMIT_LOGIN_FAILED", default="10/m/ip,5/5m/key"),
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Pioneer Platform"
HEADLESS_ONLY = False
HEADLESS_CLIENTS = ("browser", "app")
HEADLESS_SERVE_SPECIFICATION = False

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if env.str("EMAIL_HOST", default="")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Pioneer Platform <no-reply@example.com>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- REST API ----------------------------------------------------------------------------
API_MAX_JSON_BYTES = env.int("API_MAX_JSON_BYTES", default=1_048_576)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.api.SessionTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.api.IsAuthenticatedWithVerifiedEmail"],
    "DEFAULT_PARSER_CLASSES": ["core.api.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "core.api.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.AnonWindowRateThrottle",
        "core.throttling.UserWindowRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="120/min"),
        "user": env.str("THROTTLE_USER", default="600/min"),
    },
    "EXCEPTION_HANDLER": "core.handlers.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pioneer Platform API",
    "DESCRIPTION": "Identity-verified human workforce for AI data work.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Two fields are called "kind" and two "state"; these keep the names clients were
    # generated with stable.
    "ENUM_NAME_OVERRIDES": {
        "KindEnum": "kyc.models.DocumentKind",
        "ProjectKindEnum": "tasks.kinds.KINDS",
        "RingStateEnum": "reputation.models.ReviewRing.State",
        "StateEnum": "kyc.models.State",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.check_links",
    ],
    # Served from our own static files: no CDN, so the docs work offline and under a strict CSP.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Internationalisation, static, media --------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Development serves straight from the finders so `make run` needs no collectstatic.
WHITENOISE_USE_FINDERS = not PRODUCTION
AVATAR_MAX_BYTES = 2 * 1024 * 1024
# Uploaded images decoded at once: per process, and per person across processes
# (core.images); past them an upload waits IMAGE_SLOT_WAIT_SECONDS, then gets 503 or 429.
IMAGE_PROCESSING_SLOTS = env.int("IMAGE_PROCESSING_SLOTS", default=2)
IMAGE_PROCESSING_PER_PERSON = env.int("IMAGE_PROCESSING_PER_PERSON", default=1)
IMAGE_SLOT_WAIT_SECONDS = env.float("IMAGE_SLOT_WAIT_SECONDS", default=1.0)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Whole request bodies (core.bodies), checked before the body is read. A multipart form
# holds one document photo (KYC_MAX_UPLOAD_BYTES, 10 MB) and its fields; other bodies may be
# as large as an item upload (TASKS_UPLOAD_MAX_BYTES, 256 MB), whose view caps it again.
REQUEST_MAX_MULTIPART_BYTES = env.int("REQUEST_MAX_MULTIPART_BYTES", default=12 * 1024 * 1024)
REQUEST_MAX_BYTES = env.int("REQUEST_MAX_BYTES", default=256 * 1024 * 1024)

# --- Security ----------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_AGE = int(timedelta(days=14).total_seconds())


def _socket_origins(origins: list[str]) -> list[str]:
    # CSP Level 3 lets 'self' cover ws(s) on the page's own host; older browsers need the
    # socket origins spelled out.
    sockets = []
    for origin in origins:
        scheme, _, rest = origin.partition("://")
        if scheme in {"http", "https"} and rest and "*" not in rest:
            sockets.append(f"{'wss' if scheme == 'https' else 'ws'}://{rest.rstrip('/')}")
    return list(dict.fromkeys(sockets))


# Content-Security-Policy on every response (django-csp). No inline script or style and
# nothing from another origin: a script that got into a page could neither run nor send
# what it read elsewhere, and requesters' instructions cannot embed remote images that
# reveal who opened them. Images also from data: (the authenticator QR code) and blob:
# (the KYC form's preview of a chosen photo, which never leaves the browser). The API docs
# load Swagger UI's script and styles from our static files like every other page.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF, *_socket_origins([SITE_URL, *CSRF_TRUSTED_ORIGINS])],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Logs carry ids and event names, never e-mail addresses or other personal data.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
CSRF_FAILURE_VIEW = "core.views.csrf_failure"
