"""Signalbox settings. Every value comes from the environment (or a `.env` file
beside manage.py); README.md lists each variable."""

from __future__ import annotations

from pathlib import Path

import environ
import plotly
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# ENV_FILE names another file, or "none" to read only the real environment.
_env_file = environ.Env().str("ENV_FILE", default=str(BASE_DIR / ".env"))
if _env_file.lower() != "none":
    environ.Env.read_env(_env_file, overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# Development may run on throwaway keys; anything else must set them explicitly.
_DEV_SECRET = "insecure-dev-only-secret-key-change-me"  # noqa: S105 (DEBUG only)
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Set it in the environment or in .env "
        "(`make demo` writes one), or set DEBUG=true for development."
    )

# Fernet key that encrypts cluster secrets (SASL passwords) at rest.
FIELD_ENCRYPTION_KEY = env.str("FIELD_ENCRYPTION_KEY", default="")
if not FIELD_ENCRYPTION_KEY and not DEBUG:
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEY is not set. Generate one with "
        "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "access",
    "clusters",
    "topics",
    "consumer_groups",
    "monitoring",
    "boards",
    "acls",
    "scram",
    "connectors",
    "schemas",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Above the session and CSRF middleware, so it sees (and secures) the cookies they set.
    "controlplane.security.SecureCookiesOverHttpsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "controlplane.request_id.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "controlplane.kafka_errors.KafkaErrorPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "controlplane.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "controlplane.asgi.application"

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

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat write concurrently; wait for the lock instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    if env.str("SQLITE_TEST_NAME", default=""):
        # A file, not memory, so a separate worker process can share the test database.
        DATABASES["default"]["TEST"] = {"NAME": env.str("SQLITE_TEST_NAME")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "clusters:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / ".cache" / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # plotly.js is served from the installed Python package, never from a CDN.
    ("plotly", Path(str(plotly.__file__)).parent / "package_data"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# HTTPS deployments: cookies only over TLS when the site is served over TLS.
SECURE_COOKIES = env.bool("SECURE_COOKIES", default=False)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
# Lax: cookies ride along on top-level navigation from other sites, never on their POSTs.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Whatever SECURE_COOKIES says, controlplane.security marks cookies Secure on HTTPS requests.
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Shared by every web process, so a guesser cannot spread attempts over them.
    "login_throttle": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "signalbox-login",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    },
}
# Login throttling (access.throttle): failed sign-ins within the window, per username and
# per client address, before sign-ins are refused for the lockout. The address limit is
# higher because an office behind one NAT address shares it.
LOGIN_THROTTLE_CACHE = "login_throttle"
LOGIN_THROTTLE_USER_FAILURES = env.int("LOGIN_THROTTLE_USER_FAILURES", default=5)
LOGIN_THROTTLE_ADDRESS_FAILURES = env.int("LOGIN_THROTTLE_ADDRESS_FAILURES", default=20)
LOGIN_THROTTLE_WINDOW_S = env.int("LOGIN_THROTTLE_WINDOW_S", default=15 * 60)
LOGIN_THROTTLE_LOCKOUT_S = env.int("LOGIN_THROTTLE_LOCKOUT_S", default=15 * 60)

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # No read timeout: channels-redis waits on a 5 s blocking read, and redis-py 8's
            # default 5 s socket timeout would kill every websocket idle that long.
            # A pool larger than redis-py's 100: a thousand sockets closing at once (a proxy
            # restart) each discard their groups, and a refused discard leaves a dead member.
            "hosts": [
                {
                    "address": REDIS_URL,
                    "socket_timeout": None,
                    "max_connections": env.int("CHANNELS_REDIS_MAX_CONNECTIONS", default=1000),
                }
            ],
            "prefix": env.str("CHANNELS_PREFIX", default="signalbox"),
            # Messages queued for one Daphne process (all its sockets share one list) before
            # the layer drops; the default of 100 is too tight for a process with many sockets.
            "capacity": env.int("CHANNELS_CAPACITY", default=1000),
            "expiry": 30,
        },
    }
}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ACKS_LATE = False
# Long polls must not be re-delivered to a second worker while the first still runs.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "access.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "controlplane.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Signalbox API",
    "DESCRIPTION": "Control plane for Apache Kafka: clusters, topics, consumer groups, lag.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # key_format and value_format of a produced message share one set of choices.
    "ENUM_NAME_OVERRIDES": {
        "PayloadFormatEnum": "topics.messages.PRODUCE_FORMATS",
        "TokenScopeEnum": "access.models.ApiToken.Scope",
    },
}

# Kafka client behaviour (clusters.gateway).
KAFKA_REQUEST_TIMEOUT_MS = env.int("KAFKA_REQUEST_TIMEOUT_MS", default=5000)
KAFKA_BOOTSTRAP_TIMEOUT_MS = env.int("KAFKA_BOOTSTRAP_TIMEOUT_MS", default=5000)
DEFAULT_POLL_INTERVAL_S = env.int("DEFAULT_POLL_INTERVAL_S", default=5)

# Consumer lag evaluation (consumer_groups.lag): the status window in polls, the lag
# that still counts as OK, and the end-offset history kept for lag in seconds.
LAG_WINDOW_POLLS = env.int("LAG_WINDOW_POLLS", default=10)
LAG_ALLOWED = env.int("LAG_ALLOWED", default=0)
LAG_HISTORY_POINTS = env.int("LAG_HISTORY_POINTS", default=720)
LAG_HISTORY_TTL_S = env.int("LAG_HISTORY_TTL_S", default=7 * 24 * 3600)

# Metric history (monitoring.series): raw points kept this long, then 1-minute points.
METRICS_RAW_RETENTION_S = env.int("METRICS_RAW_RETENTION_S", default=24 * 3600)
METRICS_ROLLUP_RETENTION_S = env.int("METRICS_ROLLUP_RETENTION_S", default=7 * 24 * 3600)
# HTTP to schema registries (schemas.registry) and Kafka Connect workers (connectors.connect).
SCHEMA_REGISTRY_CONNECT_TIMEOUT_S = env.float("SCHEMA_REGISTRY_CONNECT_TIMEOUT_S", default=3.0)
SCHEMA_REGISTRY_READ_TIMEOUT_S = env.float("SCHEMA_REGISTRY_READ_TIMEOUT_S", default=10.0)
SCHEMA_REGISTRY_MAX_RESPONSE_BYTES = env.int("SCHEMA_REGISTRY_MAX_RESPONSE_BYTES", default=8 * 1024 * 1024)
CONNECT_CONNECT_TIMEOUT_S = env.float("CONNECT_CONNECT_TIMEOUT_S", default=3.0)
CONNECT_READ_TIMEOUT_S = env.float("CONNECT_READ_TIMEOUT_S", default=10.0)
CONNECT_MAX_RESPONSE_BYTES = env.int("CONNECT_MAX_RESPONSE_BYTES", default=5_000_000)
# Audit trail retention: access.tasks.prune_audit deletes older events (0 keeps them forever).
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
if env.str("KAFKA_CLIENT_LOG_LEVEL", default="CRITICAL").upper() in ("DEBUG", "NOTSET"):
    raise ImproperlyConfigured("KAFKA_CLIENT_LOG_LEVEL=DEBUG would log SASL passwords; use INFO or above.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "controlplane.request_id.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # kafka-python logs its full configuration, SASL password included, at DEBUG:
        # never let it below WARNING.
        # Its connection retries are summarized by clusters.gateway in one line each.
        "kafka": {"level": env.str("KAFKA_CLIENT_LOG_LEVEL", default="CRITICAL")},
        "daphne": {"level": "WARNING"},
    },
}
