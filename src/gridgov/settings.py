"""Settings for gridgov, read from the environment (DESIGN §2).

With nothing set, gridgov runs on a SQLite file under ./var and Celery runs
tasks in-process, so `gridgov demo` needs no server.
"""

import json
import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent


def env(name, default=None):
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_bool(name, default):
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(env("GRIDGOV_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key():
    configured = env("GRIDGOV_SECRET_KEY")
    if configured:
        return configured
    # Generated once and kept in the data dir, so sessions survive restarts.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("GRIDGOV_DEBUG", True)
# The demo answers on any host name; production lists its own.
_default_hosts = "*" if DEBUG else "localhost,127.0.0.1"
ALLOWED_HOSTS = [
    h.strip() for h in env("GRIDGOV_ALLOWED_HOSTS", _default_hosts).split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in env("GRIDGOV_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "rules.apps.AutodiscoverRulesConfig",
    "gridgov.core",
    "gridgov.web",
    "gridgov.places",
    "gridgov.people",
    "gridgov.tickets",
    "gridgov.open311",
    "gridgov.insights",
    "gridgov.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gridgov.web.middleware.ChineseByDefaultMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "gridgov.api.middleware.ApiTrailingSlashMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "gridgov.web.middleware.InitialPasswordMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "gridgov.api.middleware.JsonApiErrorsMiddleware",
]

ROOT_URLCONF = "gridgov.urls"
WSGI_APPLICATION = "gridgov.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("GRIDGOV_DATABASE_URL", f"sqlite:///{DATA_DIR / 'gridgov.sqlite3'}"),
        conn_max_age=int(env("GRIDGOV_DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the demo server read while a write is in progress.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests use a file too: an in-memory database cannot show real write locking.
    # One file per test run, so two runs in one checkout do not share it.
    _test_db = DATA_DIR / f"test_gridgov_{os.getpid()}.sqlite3"
    DATABASES["default"]["TEST"] = {"NAME": str(_test_db)}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side binding with prepared statements: psycopg sends the parameters apart
    # from the SQL (no quoting in Python) and prepares a statement on its 5th run on a
    # connection, so the server parses and plans an intake's repeated queries once per
    # connection, not once per request: 0.7 ms less PostgreSQL CPU per intake
    # (bench/intake.py). Prepared statements live on a connection, hence on by default
    # only when connections are kept; binding alone (Django's default, nothing
    # prepared) cost 0.2 ms more.
    _kept = DATABASES["default"]["CONN_MAX_AGE"] != 0
    if env_bool("GRIDGOV_DB_SERVER_SIDE_BINDING", _kept):
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=5
        )
# PostgreSQL's JIT stays off in the app's sessions (gridgov.core.db says why); on keeps
# the server's own setting.
GRIDGOV_DB_JIT = env_bool("GRIDGOV_DB_JIT", False)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "gridgov.people.passwords.Backend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# WhiteNoise warns "No directory at …/static/" on every start without it (with DEBUG off),
# though the files are served from the apps (WHITENOISE_USE_FINDERS) without collectstatic.
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "media/"
# Serve static files straight from the apps, so the demo needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Uploads (place imports, photos) are bounded; bigger bodies get a 413/400.
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024  # form fields: file data does not count
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
GRIDGOV_MAX_IMPORT_BYTES = int(env("GRIDGOV_MAX_IMPORT_BYTES", str(20 * 1024 * 1024)))
# A whole multipart body, refused from its Content-Length before it is read (core.uploads):
# 9 photos of 10 MB and the form; never below an import file and a megabyte.
GRIDGOV_MAX_UPLOAD_BYTES = int(env("GRIDGOV_MAX_UPLOAD_BYTES", str(100 * 1024 * 1024)))
FILE_UPLOAD_HANDLERS = [
    "gridgov.core.uploads.BoundedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Points within this distance of a grid count as that grid's (metres).
GRIDGOV_NEAREST_GRID_M = float(env("GRIDGOV_NEAREST_GRID_M", "150"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "gridgov.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["gridgov.api.params.KnownParamsFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "gridgov.api.pagination.Pagination",
    "DEFAULT_SCHEMA_CLASS": "gridgov.api.schema.ErrorsAutoSchema",
    "EXCEPTION_HANDLER": "gridgov.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "gridgov API",
    "DESCRIPTION": (
        "党建引领城市治理精细化平台 API — places, people, Party organisations, tickets "
        "(接诉即办), KPIs, patrols and visits. Sign in with POST /api/v1/auth/token/ "
        "(username, password) and send `Authorization: Token <token>`. Errors: "
        '`{"error": {"code", "message", "message_en", "detail"}}`. Open311 GeoReport v2 is '
        "at /open311/v2/ (discovery.xml), outside this schema."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets shared by several fields, or whose field names other apps use too.
    "ENUM_NAME_OVERRIDES": {
        "TicketChannelEnum": "gridgov.tickets.models.Channel",
        "TicketStatusEnum": "gridgov.tickets.models.Status",
        "UrgencyEnum": "gridgov.tickets.models.Urgency",
        "TimeLimitUnitEnum": "gridgov.tickets.models.TimeLimit.Unit",
        "OverdueStageEnum": "gridgov.tickets.serializers.OVERDUE_STAGES",
        "RoleEnum": "gridgov.people.models.Role",
        "VisitCapacityEnum": "gridgov.tickets.patrols.VISIT_CAPACITIES",
    },
}

# Celery: without a broker, tasks run eagerly in the calling process.
CELERY_BROKER_URL = env("GRIDGOV_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env("GRIDGOV_RESULT_BACKEND", CELERY_BROKER_URL)
CELERY_TIMEZONE = TIME_ZONE
# Without a broker, an upload of the 12345 import page runs in a thread of the web process
# and the page follows its progress (tickets/imports.py, run_in_background), as it follows
# a worker's; off, it runs inside the request, and the page answers when it is done.
GRIDGOV_IMPORT_IN_BACKGROUND = env_bool("GRIDGOV_IMPORT_IN_BACKGROUND", True)
# The deadline sweep (tickets/sweep.py): supervision, escalation, reminders, callbacks due.
GRIDGOV_SWEEP_MINUTES = float(env("GRIDGOV_SWEEP_MINUTES", "10"))
CELERY_BEAT_SCHEDULE = {
    "tickets-sweep": {"task": "gridgov.tickets.sweep", "schedule": GRIDGOV_SWEEP_MINUTES * 60},
    # Insights (docs/insights.md): hot issues hourly, classifier retrained nightly.
    "insights-hot-issues": {"task": "gridgov.insights.refresh_hot_issues", "schedule": 3600},
    "insights-retrain": {
        "task": "gridgov.insights.retrain",
        "schedule": 24 * 3600,
        "kwargs": {"force": False},
    },
}

# Tickets: escalation grace, reminders, notifications, KPI weights, visits (docs/kpis.md).
GRIDGOV_ESCALATION_GRACE_HOURS = float(env("GRIDGOV_ESCALATION_GRACE_HOURS", "24"))
GRIDGOV_REMINDER_HOURS = float(env("GRIDGOV_REMINDER_HOURS", "2"))
GRIDGOV_WEBHOOK_URL = env("GRIDGOV_WEBHOOK_URL", "")
GRIDGOV_WEBHOOK_SECRET = env("GRIDGOV_WEBHOOK_SECRET", "")
# The webhook posts to public addresses only; these networks too (comma-separated CIDR:
# an intranet receiver, or the HTTP(S)_PROXY it goes through), e.g. "10.20.0.0/16".
GRIDGOV_WEBHOOK_ALLOWED_NETWORKS = env("GRIDGOV_WEBHOOK_ALLOWED_NETWORKS", "")
# The address people open the platform at, for links in e-mails (https://…); empty: paths.
GRIDGOV_SITE_URL = env("GRIDGOV_SITE_URL", "")
# Office hours of a working day, local time: a whistle on a non-emergency ticket counts its
# report-by hours in these only (docs/tickets-api.md, 吹哨报到).
GRIDGOV_OFFICE_HOURS = env("GRIDGOV_OFFICE_HOURS", "08:30-12:00,13:30-17:30")
GRIDGOV_KPI_WEIGHTS = json.loads(env("GRIDGOV_KPI_WEIGHTS", "{}") or "{}")
GRIDGOV_VISIT_PERIOD_DAYS = int(env("GRIDGOV_VISIT_PERIOD_DAYS", "90"))
# Insights: the trained classifier (keyword fallback), place/duplicate advice at intake.
GRIDGOV_CLASSIFIER = "gridgov.insights.predictor.suggest"
# A retrained model goes in use only if its macro-F1 is at most this much below the one in
# use (else it is kept, not used); intake suggests no label scoring below the floor.
GRIDGOV_CLASSIFIER_TOLERANCE = float(env("GRIDGOV_CLASSIFIER_TOLERANCE", "0.01"))
GRIDGOV_SUGGESTION_MIN_SCORE = float(env("GRIDGOV_SUGGESTION_MIN_SCORE", "0.05"))
# A demand filed without a category whose best label the model scores below this waits at
# the dispatch desk, which confirms the category, instead of being dispatched by the guess
# (chosen on held-out messages: docs/insights.md; 0 dispatches every guess).
GRIDGOV_AUTO_DISPATCH_MIN_SCORE = float(env("GRIDGOV_AUTO_DISPATCH_MIN_SCORE", "0.95"))
GRIDGOV_INTAKE_ADVISOR = "gridgov.insights.intake.advise"
# Panels the apps add to the home dashboard, in this order: each takes the request and
# answers None (nothing to show this user) or a dict with the template to include.
GRIDGOV_DASHBOARD_PANELS = [
    "gridgov.tickets.dashboard.panel",
    "gridgov.tickets.dashboard.fieldwork_panel",
    "gridgov.insights.dashboard.panel",
]
GRIDGOV_DUPLICATE_WINDOW_DAYS = float(env("GRIDGOV_DUPLICATE_WINDOW_DAYS", "30"))
GRIDGOV_HOT_ISSUE_WINDOW_DAYS = float(env("GRIDGOV_HOT_ISSUE_WINDOW_DAYS", "30"))
_default_email = "console" if DEBUG else "smtp"
EMAIL_BACKEND = env(
    "GRIDGOV_EMAIL_BACKEND", f"django.core.mail.backends.{_default_email}.EmailBackend"
)
EMAIL_HOST = env("GRIDGOV_EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("GRIDGOV_EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("GRIDGOV_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env("GRIDGOV_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("GRIDGOV_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = env("GRIDGOV_FROM_EMAIL", "gridgov@localhost")

# Everything goes to the root's console handler, once. Django's default "django" logger has
# a console handler of its own (on with DEBUG, as in the demo) and passes its records on to
# the root: every refused request ("Forbidden", "Not Found") was written twice. Otherwise as
# Django has it: mail to ADMINS on errors when DEBUG is off, and runserver's request lines
# (django.server, which configuring "django" would reset) in their own format.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "mail_admins": {
            "level": "ERROR",
            "filters": ["require_debug_false"],
            "class": "django.utils.log.AdminEmailHandler",
        },
        "django.server": {
            "level": "INFO",
            "class": "logging.StreamHandler",
            "formatter": "django.server",
        },
    },
    "loggers": {
        "django": {"handlers": ["mail_admins"], "level": "INFO"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["console"], "level": env("GRIDGOV_LOG_LEVEL", "WARNING")},
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("GRIDGOV_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = env_bool("GRIDGOV_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(env("GRIDGOV_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
