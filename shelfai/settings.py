"""ShelfAI settings: one module, driven by environment variables (see README "Configuration").

Defaults give the embedded setup of `make run`: SQLite, local files, a filesystem broker.
Anything that would be unsafe in production (no or a weak SECRET_KEY, DEBUG) refuses to start there, and
with DEBUG off the site is HTTPS-only (secure cookies, HSTS, redirect, CSP) unless INSECURE_HTTP=1 says
it runs on plain HTTP on purpose (a laptop or a closed network with no TLS in front).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from holidays.registry import COUNTRIES

from shelfai.env import env_bool, env_choice, env_int, env_list, env_str, parse_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SHELFAI_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# The test runner gets a throwaway key; it never serves real users.
TESTING = env_bool("SHELFAI_TESTING", False) or "pytest" in sys.modules
# Plain HTTP on purpose: no secure-only cookies, HSTS or redirect to https. Never on a public address.
INSECURE_HTTP = env_bool("INSECURE_HTTP", False)
# The test client speaks plain HTTP to "testserver"; tests of the HTTPS-only settings start a process of
# their own without the test runner (tests/api/test_deploy_settings.py).
HTTPS_ONLY = not (DEBUG or INSECURE_HTTP or TESTING)
SECRET_KEY = env_str("SECRET_KEY")
if not (DEBUG or TESTING):
    # Django's own bar (check --deploy, security.W009): a key anyone can guess signs anyone's session.
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off. Set SECRET_KEY to a long random string, "
            "or DEBUG=1 for local development."
        )
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-"):
        raise ImproperlyConfigured(
            "SECRET_KEY is too weak: use at least 50 random characters, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
        )
if not SECRET_KEY:
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "shelfai.accounts",
    "shelfai.stores",
    "shelfai.visits",
    "shelfai.detection",
    "shelfai.compliance",
    "shelfai.review",
    "shelfai.claims",
    "shelfai.pipeline",
    "shelfai.alerts",
    "shelfai.web",
    "analytics",
    "forecasting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "shelfai.accounts.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions, before common: the language is the profile's, else the browser's Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The profile's language and time zone win over the browser's (shelfai/accounts/middleware.py).
    "shelfai.accounts.middleware.UserPreferencesMiddleware",
    "shelfai.accounts.security.SignInThrottleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "shelfai.web.refusals.RefusalPageMiddleware",
]

ROOT_URLCONF = "shelfai.urls"
WSGI_APPLICATION = "shelfai.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

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

DATABASES = {
    "default": parse_database_url(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'shelfai.sqlite3'}"), base_dir=BASE_DIR
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory, so the integration tests' worker process shares the test database.
    # Per process, so two test runs on one machine never share (and clobber) a test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-shelfai-{os.getpid()}.sqlite3")}
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# English and Simplified Chinese; translations live in locale/ (compiled by `make`, not committed).
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our overrides of Django's locale formats (zh-hans: 1,234.56 rather than 1234.56): shelfai/locale_formats/.
FORMAT_MODULE_PATH = ["shelfai.locale_formats"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# ISO 4217 code every amount is shown with (shelfai.formats.money): "EUR 1,234.56".
CURRENCY = env_str("CURRENCY", "EUR")

# --- Static files and media -------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

STORAGE_BACKEND = env_choice("STORAGE_BACKEND", "local", {"local", "s3"})
if STORAGE_BACKEND == "s3":
    bucket = env_str("AWS_STORAGE_BUCKET_NAME")
    if not bucket:
        raise ImproperlyConfigured("STORAGE_BACKEND=s3 needs AWS_STORAGE_BUCKET_NAME (and credentials).")
    _media = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL"),
            "region_name": env_str("AWS_S3_REGION_NAME"),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _media = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _media,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True

# --- Uploads -----------------------------------------------------------------------------------
PHOTO_MAX_BYTES = env_int("PHOTO_MAX_BYTES", 25 * 1024 * 1024, minimum=1024)
PHOTO_MAX_PIXELS = env_int("PHOTO_MAX_PIXELS", 100_000_000, minimum=10_000)
PHOTO_MAX_FILES_PER_REQUEST = env_int("PHOTO_MAX_FILES_PER_REQUEST", 20, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Uploads above FILE_UPLOAD_MAX_MEMORY_SIZE spill to disk here, never into the project tree.
FILE_UPLOAD_TEMP_DIR = env_str("FILE_UPLOAD_TEMP_DIR")
# A photo whose stage message was sent (or whose claim was taken) longer ago than this, and which
# has not moved on, is sent again by the sweeper (shelfai.pipeline.sweeper); after
# PHOTO_MAX_ATTEMPTS claims or re-sends of one stage it is failed with a reason.
PHOTO_STALE_AFTER_SECONDS = env_int("PHOTO_STALE_AFTER_SECONDS", 120, minimum=10)
PHOTO_MAX_ATTEMPTS = env_int("PHOTO_MAX_ATTEMPTS", 5, minimum=1)
# An open visit with no photo and no check-in for this long is closed by beat at its last activity (a rep
# who never tapped "End visit"); so is one still open when its store's local day ends.
VISIT_IDLE_CLOSE_MINUTES = env_int("VISIT_IDLE_CLOSE_MINUTES", 120, minimum=5)

# --- Vision ------------------------------------------------------------------------------------
DETECTOR_WEIGHTS = env_str("DETECTOR_WEIGHTS")  # overrides the active DetectorModel when set
DETECTOR_DEVICE = env_choice("DETECTOR_DEVICE", "auto", {"auto", "cpu", "cuda"})
# Photos one analysis task takes on together (one batched detector call); 0 = the detector's CUDA batch
# on a GPU worker, 1 on CPU.
ANALYSIS_BATCH_SIZE = env_int("ANALYSIS_BATCH_SIZE", 0, minimum=0)

# --- Forecasting -------------------------------------------------------------------------------
# Public holidays in every forecast (ISO 3166 code of a calendar the holidays package has, e.g. US, DE, CN;
# empty for none). CN brings Spring Festival, whose date moves every year (forecasting.model).
FORECAST_COUNTRY = (env_str("FORECAST_COUNTRY", "US") or "").strip().upper()
if FORECAST_COUNTRY and FORECAST_COUNTRY not in {code for _, code, *_ in COUNTRIES.values()}:
    raise ImproperlyConfigured(
        f"FORECAST_COUNTRY={FORECAST_COUNTRY!r} is not a country the holidays package has: use an ISO code "
        "such as US, DE or CN, or leave it empty for no holidays."
    )
# A store seen out of stock counts as out of stock for this many days after the visit.
FORECAST_OOS_CARRY_DAYS = env_int("FORECAST_OOS_CARRY_DAYS", 3, minimum=0)

# --- Claims ------------------------------------------------------------------------------------
CLAIMS_CSV_MAX_BYTES = env_int("CLAIMS_CSV_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)
CLAIMS_CSV_MAX_LINES = env_int("CLAIMS_CSV_MAX_LINES", 5000, minimum=1)

# --- Caches and throttling ---------------------------------------------------------------------
# Throttle counters must be shared by every web process to mean anything: point CACHE_URL at Redis in
# production (redis://host:6379/2). The default, one process's memory, suits `make run`.
CACHE_URL = env_str("CACHE_URL", "locmem://")
if CACHE_URL.startswith(("redis://", "rediss://")):
    _cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
elif CACHE_URL == "locmem://":
    _cache = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
else:
    raise ImproperlyConfigured(f"CACHE_URL={CACHE_URL!r} is not supported: use locmem:// or redis://host:6379/2.")
CACHES = {
    "default": _cache,
    # The suite shares one process's memory across hundreds of tests whose users reuse ids, so counts
    # would leak between tests: there the counters are off, and the throttling tests turn them on.
    "throttle": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"} if TESTING else _cache,
}
# Sign-in (the pages, the admin and the token API): after this many failures in the window, per user
# name and per client address, even the right password is refused with 429 and Retry-After.
SIGNIN_MAX_FAILURES_PER_USER = env_int("SIGNIN_MAX_FAILURES_PER_USER", 5, minimum=1)
SIGNIN_MAX_FAILURES_PER_ADDRESS = env_int("SIGNIN_MAX_FAILURES_PER_ADDRESS", 20, minimum=1)
SIGNIN_WINDOW_SECONDS = env_int("SIGNIN_WINDOW_SECONDS", 900, minimum=1)
# Proxies in front of the web nodes that append to X-Forwarded-For (the client address is the entry
# that many from the right); 0 reads REMOTE_ADDR.
NUM_PROXIES = env_int("NUM_PROXIES", 0, minimum=0)

# --- REST framework ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token sign-in that also applies the person's profile language and zone (DRF signs a token
        # client in after the middleware ran).
        "shelfai.accounts.authentication.ProfileTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "shelfai.api_errors.exception_handler",
    # API use per token (per signed-in user) and, before sign-in, per address; 429 with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": [
        "shelfai.accounts.throttling.PerUserApiThrottle",
        "shelfai.accounts.throttling.AnonymousApiThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env_str("API_THROTTLE_RATE", "1200/minute"),
        "anon": env_str("API_ANON_THROTTLE_RATE", "60/minute"),
    },
    "NUM_PROXIES": NUM_PROXIES or None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ShelfAI API",
    "DESCRIPTION": "Shelf photo intake, compliance, claims and forecasting.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Served from the installed sidecar package: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name ("status", "source") get names of their own.
    "ENUM_NAME_OVERRIDES": {
        "ClaimSourceEnum": "shelfai.claims.models.ExpenseClaim.Source",
        "ClaimStatusEnum": "shelfai.claims.models.ExpenseClaim.Status",
        "ForecastRunStatusEnum": "forecasting.models.ForecastRun.Status",
    },
    # Every operation documents the JSON errors it may answer (shelfai.api_errors.document_errors).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "shelfai.api_errors.document_errors"],
}

# --- Celery ------------------------------------------------------------------------------------
BROKER_DIR = Path(env_str("CELERY_BROKER_FOLDER", str(VAR_DIR / "broker")))
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    # The embedded broker of `make run`: a real worker reading messages from files on this machine.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "out"),
        "data_folder_out": str(BROKER_DIR / "out"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),  # kombu's default is ./control, in the checkout
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_RESULT_BACKEND = None  # status lives on our own rows (Photo.status, ForecastRun.status)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "shelfai.pipeline.tasks.analyze_photo": {"queue": "gpu"},
    "shelfai.*": {"queue": "default"},
    "forecasting.*": {"queue": "default"},
    "analytics.*": {"queue": "default"},
}
CELERY_BEAT_SCHEDULE = {
    "sweep-stale-photos": {
        "task": "shelfai.pipeline.tasks.sweep_stale_photos",
        "schedule": env_int("SWEEP_INTERVAL_SECONDS", 60, minimum=5),
    },
    "remove-orphan-originals": {
        "task": "shelfai.pipeline.tasks.remove_orphan_originals",
        "schedule": crontab(hour=4, minute=10),
    },
    "refresh-analytics": {"task": "analytics.tasks.refresh_summaries", "schedule": 60},
    # Often enough that a visit closes within ten minutes of going idle (or of its store's midnight).
    "close-stale-visits": {"task": "shelfai.visits.tasks.close_stale_visits", "schedule": 600},
    "rebuild-analytics-nightly": {
        "task": "analytics.tasks.refresh_summaries",
        "schedule": crontab(hour=3, minute=30),
        "kwargs": {"full": True},
    },
    # Alerts (README "## Alerts"): rules every few minutes; the digest task runs hourly and sends each
    # user's digest once a day, at the first run from ALERTS_DIGEST_HOUR on (a missed run catches up).
    "evaluate-alerts": {"task": "shelfai.alerts.tasks.evaluate_alerts",
                        "schedule": env_int("ALERTS_INTERVAL_SECONDS", 300, minimum=30)},
    "send-alert-digests": {"task": "shelfai.alerts.tasks.send_digests", "schedule": crontab(minute=5)},
}

# --- E-mail and alerts -------------------------------------------------------------------------
# `make run` (DEBUG) prints e-mails to the log; otherwise SMTP from the environment.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend" if DEBUG
                        else "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL are both on: use one (STARTTLS on 587, or SSL on 465).")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "ShelfAI <alerts@localhost>")
EMAIL_SUBJECT_PREFIX = env_str("EMAIL_SUBJECT_PREFIX", "[ShelfAI] ")
ALERTS_LOOKBACK_DAYS = env_int("ALERTS_LOOKBACK_DAYS", 14, minimum=1)
ALERTS_UNVISITED_GRACE_DAYS = env_int("ALERTS_UNVISITED_GRACE_DAYS", 2, minimum=0)
ALERTS_QUEUE_MAX_DEPTH = env_int("ALERTS_QUEUE_MAX_DEPTH", 500, minimum=1)
ALERTS_QUEUE_MAX_WAIT_MINUTES = env_int("ALERTS_QUEUE_MAX_WAIT_MINUTES", 30, minimum=1)
ALERTS_DIGEST_HOUR = env_int("ALERTS_DIGEST_HOUR", 7, minimum=0, maximum=23)
ALERTS_WEBHOOK_TIMEOUT_SECONDS = env_int("ALERTS_WEBHOOK_TIMEOUT_SECONDS", 5, minimum=1)
ALERTS_WEBHOOK_BACKOFF_SECONDS = env_int("ALERTS_WEBHOOK_BACKOFF_SECONDS", 30, minimum=1)
ALERTS_WEBHOOK_MAX_ATTEMPTS = env_int("ALERTS_WEBHOOK_MAX_ATTEMPTS", 6, minimum=1, maximum=20)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"cmdstanpy": {"level": "WARNING"}, "prophet": {"level": "WARNING"}},
}

# --- Transport security (check --deploy clean when HTTPS_ONLY) ---------------------------------
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_SSL_REDIRECT = HTTPS_ONLY and env_bool("SECURE_SSL_REDIRECT", True)
# The /healthz probe of a load balancer speaks plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0) if HTTPS_ONLY else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Only a hint to browsers' preload lists; nothing is enrolled until someone submits the domain.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
# Behind the reverse proxy of README "Production", which terminates TLS and sets X-Forwarded-Proto.
# Turn it off (BEHIND_TLS_PROXY=0) when gunicorn faces clients itself: they could claim https.
if HTTPS_ONLY and env_bool("BEHIND_TLS_PROXY", True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Everything is served from this site (no CDN); styles may be inline (Redoc, a few style attributes),
# scripts may not. Photo previews on the phone are blob: URLs; Redoc runs its search in a blob: worker.
CONTENT_SECURITY_POLICY = env_str(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; manifest-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)
