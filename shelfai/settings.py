"""ShelfAI settings: one module, driven by environment variables (see README "Configuration").

Defaults give the embedded setup of `make run`: SQLite, local files, a filesystem broker.
Anything that would be unsafe in production (no SECRET_KEY, DEBUG) refuses to start there.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from shelfai.env import env_bool, env_choice, env_int, env_list, env_str, parse_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SHELFAI_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# The test runner gets a throwaway key; it never serves real users.
TESTING = env_bool("SHELFAI_TESTING", False) or "pytest" in sys.modules
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off. Set SECRET_KEY to a long random string, "
            "or DEBUG=1 for local development."
        )
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
    "shelfai.claims",
    "shelfai.pipeline",
    "shelfai.web",
    "analytics",
    "forecasting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

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

# --- Vision ------------------------------------------------------------------------------------
DETECTOR_WEIGHTS = env_str("DETECTOR_WEIGHTS")  # overrides the active DetectorModel when set
DETECTOR_DEVICE = env_choice("DETECTOR_DEVICE", "auto", {"auto", "cpu", "cuda"})
# Photos one analysis task takes on together (one batched detector call); 0 = the detector's CUDA batch
# on a GPU worker, 1 on CPU.
ANALYSIS_BATCH_SIZE = env_int("ANALYSIS_BATCH_SIZE", 0, minimum=0)

# --- Forecasting -------------------------------------------------------------------------------
FORECAST_COUNTRY = env_str("FORECAST_COUNTRY", "US")
# A store seen out of stock counts as out of stock for this many days after the visit.
FORECAST_OOS_CARRY_DAYS = env_int("FORECAST_OOS_CARRY_DAYS", 3, minimum=0)

# --- Claims ------------------------------------------------------------------------------------
CLAIMS_CSV_MAX_BYTES = env_int("CLAIMS_CSV_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)
CLAIMS_CSV_MAX_LINES = env_int("CLAIMS_CSV_MAX_LINES", 5000, minimum=1)

# --- REST framework ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "shelfai.api_errors.exception_handler",
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
    "rebuild-analytics-nightly": {
        "task": "analytics.tasks.refresh_summaries",
        "schedule": crontab(hour=3, minute=30),
        "kwargs": {"full": True},
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"cmdstanpy": {"level": "WARNING"}, "prophet": {"level": "WARNING"}},
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
