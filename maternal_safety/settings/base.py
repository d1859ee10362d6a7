"""Settings shared by every environment.

Everything that differs between machines comes from the environment (see ``.env.example``).
Environment-specific modules (``local``, ``test``, ``production``) import this one and override.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A .env file is optional; real deployments set variables in the process environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
# Absolute address of the site, for links in e-mails (consult invitations); empty = relative links.
SITE_URL = env("SITE_URL", default="")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    # third party
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "axes",
    "django_celery_beat",
    "django_htmx",
    # ours (dependency order: core <- facilities <- accounts <- audit <- cases ...)
    "core",
    "facilities",
    "accounts",
    "audit",
    "cases",
    "risk",
    "referrals",
    "consults",
    "notifications",
    "reminders",
    "dashboards",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.SessionRefreshMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "accounts.middleware.AuthenticationMiddleware",  # Django's; request.user unwrapped once read
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.RequestContextMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    "core.middleware.WriteConflictMiddleware",
    # axes must be last: it inspects the response of the login views.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "maternal_safety.urls"
WSGI_APPLICATION = "maternal_safety.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.shell",
            ],
            # ``{% load i18n %}``: Django's library, literal ``{% translate %}`` tags rendered once per
            # language (core/templatetags/i18n_constant.py).
            "libraries": {"i18n": "core.templatetags.i18n_constant"},
            # ``|date`` for the pages' fixed numeric formats written directly (core/templatetags/dates.py).
            "builtins": ["core.templatetags.dates"],
        },
    },
]

# --- Database: PostgreSQL only -------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/maternal_safety"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# The few fixed statements of every request (signed-in user, a pregnancy by id, the dashboard's counter
# generation) are prepared once per connection (core/prepared.py). Off for a pooler that cannot follow
# prepared statements (PgBouncer before 1.21 in transaction mode).
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
# A server-closed connection is found before a request's first statement; the backend looks at the
# socket first and sends Django's ``SELECT 1`` only when there is something to read (core/db/postgresql).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ENGINE"] = "core.db.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Audit ---------------------------------------------------------------------------------------
# The audit row of a routine read (a record or a list shown, written as its own transaction) is
# committed without waiting for the WAL flush: visible at once, lost only if the database server crashes
# within a fraction of a second after (audit.services.audit_record). True: those rows wait too.
AUDIT_READ_SYNCHRONOUS_COMMIT = env.bool("AUDIT_READ_SYNCHRONOUS_COMMIT", default=False)

# --- Cache and sessions ----------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/7")
# A cache that cannot reach Redis serves misses and skips writes instead of failing the request
# (core/cache.py). Redis answers in well under a millisecond when it is up; the short timeouts bound
# what an unreachable host costs, and the backend then leaves it alone for a few seconds.
CACHES = {
    "default": {
        "BACKEND": "core.cache.ResilientRedisCache",
        "LOCATION": env("CACHE_URL", default=REDIS_URL),
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="ms"),
        "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.5},
    }
}
# Sessions live in the database (cached): losing Redis must not log every clinician out. A cache miss
# reads the database; a save writes the database first, then the cache.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Idle timeout: a shared ward computer must not stay logged in for long.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
# The expiry slides with activity (accounts.middleware.SessionRefreshMiddleware): it is written at most
# once per SESSION_REFRESH_SECONDS, not on every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = env.int("SESSION_REFRESH_SECONDS", default=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Authentication -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.UserBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout after repeated failures (django-axes): per user name, so a shared hospital NAT address
# does not lock out a whole ward.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_VERBOSE = False
SILENCED_SYSTEM_CHECKS = [
    # Locking by address would lock out a whole hospital behind one NAT address after five typos.
    # Lockout is per user name; password spraying across names is bounded by the password policy.
    "axes.W006",
    # ``{% load i18n %}`` maps to core.templatetags.i18n_constant on purpose (TEMPLATES above), which this
    # check reports as a second module named i18n; tests/core/test_i18n_constant.py runs the check and
    # fails on any other library name used twice.
    "templates.W003",
]

# API tokens expire (hours); a partner system asks for a new one.
API_TOKEN_TTL_HOURS = env.int("API_TOKEN_TTL_HOURS", default=12)

# django-guardian: no anonymous user object; we never grant anything to anonymous.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# --- Internationalisation ----------------------------------------------------------------------
LANGUAGE_CODE = env("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "core.storage.ManifestStaticStorage"},
}

# --- Security headers common to every environment ---------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy is set by core.middleware.SecurityHeadersMiddleware: no inline scripts.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)

# --- Django REST framework --------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Maternal Safety API",
    "DESCRIPTION": (
        "High-risk maternal case management across a regional hospital network. "
        'Errors share one shape: {"message": "...", "errors": {"field": ["..."]}}. '
        "A write the database refused because of a concurrent change to the same records (a deadlock or "
        "a serialization failure) answers 503 with Retry-After: nothing of it was saved; send it again."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "VisitKindEnum": "cases.choices.VisitKind",
        "CareTaskKindEnum": "cases.choices.CareTaskKind",
        "FacilityKindEnum": "facilities.choices.FacilityKind",
        "PregnancyStatusEnum": "cases.choices.PregnancyStatus",
        "CareTaskStatusEnum": "cases.choices.CareTaskStatus",
        "PatientStatusEnum": "cases.choices.PatientStatus",
        "InfectionStatusEnum": "cases.choices.InfectionStatus",
        "NearMissCriterionEnum": "cases.choices.NearMissCriterion",
        "AuditActionEnum": "audit.choices.AuditAction",
        "RiskColorEnum": "cases.choices.RiskColor",
        "StageEnum": "risk.choices.Stage",
        "ReferralPurposeEnum": "referrals.choices.Purpose",
        "ReferralUrgencyEnum": "referrals.choices.Urgency",
        "ReferralStatusEnum": "referrals.choices.ReferralStatus",
        "ConsultUrgencyEnum": "consults.choices.ConsultUrgency",
        "ConsultStatusEnum": "consults.choices.ConsultStatus",
        "InvitationStatusEnum": "consults.choices.InvitationStatus",
        "SpecialtyEnum": "facilities.choices.Specialty",
        "ConsentPurposeEnum": "cases.choices.ConsentPurpose",
        "ConsciousnessEnum": "cases.choices.Consciousness",
    },
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.document_list_errors",
    ],
}

# --- Celery ----------------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/7")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_RESULT_EXPIRES = 3600
# A message taken by a worker that is then killed (kill -9, OOM, lost host) stays in Redis's "unacked"
# hash until the visibility timeout (600 s here, instead of Kombu's hour) has passed, and then only a
# running worker's restore round puts it back: every unacked_restore_interval (5 s) times Kombu's
# default unacked_restore_throttle (10), so roughly 10 to 11 minutes after the kill, not seconds.
# What covers a dead worker is the database: beat's alerts sweep (every minute) takes over any alert
# or e-mail / SMS attempt whose lease (ALERT_DELIVERY_LEASE_SECONDS) has run out. A visibility
# timeout shorter than a task's run time would run it twice; tasks are idempotent anyway.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=600),
    "unacked_restore_interval": 5,
}
# A broker that does not answer must not hold a clinician's request for long (alerts wait in the
# database and the sweep delivers them).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "core-heartbeat": {
        "task": "core.tasks.heartbeat_task",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    "referral-clocks": {
        "task": "referrals.tasks.referral_clocks_sweep_task",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    "alerts-sweep": {
        "task": "notifications.tasks.alerts_sweep_task",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    "consult-sweep": {
        "task": "consults.tasks.consult_sweep_task",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    # Follow-up windows change state by calendar day (Asia/Shanghai), so hourly is enough: a step is
    # taken at most an hour after midnight (or after a missed run), and a run with nothing to do is one
    # empty index range scan per state. Women's text messages wait for FOLLOWUP_SMS_HOUR.
    "followup-sweep": {
        "task": "reminders.tasks.followups_sweep_task",
        "schedule": crontab(minute="7"),
        "options": {"expires": 50 * 60},
    },
    "reminder-messages": {
        "task": "reminders.tasks.reminder_messages_send_task",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 4 * 60},
    },
    # The weekly trend of census figures (women by colour): the week's snapshot, replaced daily.
    "dashboard-census-snapshot": {
        "task": "dashboards.tasks.census_snapshot_take_task",
        "schedule": crontab(minute="50", hour="23"),
        "options": {"expires": 60 * 60},
    },
    "alerts-rearm": {
        "task": "notifications.tasks.alerts_rearm_task",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 4 * 60},
    },
}

# --- Logging ----------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- Domain settings ---------------------------------------------------------------------------------
# Break-the-glass access lasts this long before a new reason must be given.
BREAK_GLASS_MINUTES = env.int("BREAK_GLASS_MINUTES", default=60)

# MEOWS thresholds (DOMAIN.md §5; verify against the chart the hospital adopts). For each parameter:
# red when below red_low or above red_high; yellow when within a yellow band (inclusive bounds).
MEOWS_THRESHOLDS = {
    "temperature_c": {"red_low": 35.0, "red_high": 38.0, "yellow": [[35.0, 36.0]]},
    "sbp_mmhg": {"red_low": 90, "red_high": 160, "yellow": [[150, 160], [90, 100]]},
    "dbp_mmhg": {"red_high": 100, "yellow": [[90, 100]]},
    "pulse_bpm": {"red_low": 40, "red_high": 120, "yellow": [[100, 120], [40, 50]]},
    "respiratory_rate": {"red_low": 10, "red_high": 30, "yellow": [[21, 30]]},
    "spo2_pct": {"red_low": 95},
    "pain_score": {"yellow": [[2, 3]]},
    "consciousness": {"yellow_values": ["voice"], "red_values": ["pain", "unresponsive"]},
}
# Referral clocks (minutes): acceptance and arrival targets by urgency — local policy, configure them.
REFERRAL_ACCEPT_MINUTES = {"emergency": 15, "urgent": 120, "routine": 24 * 60}
REFERRAL_ARRIVAL_MINUTES = {"emergency": 60, "urgent": 4 * 60, "routine": 3 * 24 * 60}

# MDT consultations: targets by urgency (minutes from request to scheduled / completed), senior
# signatures a decision kind needs, and how long invited participants keep read access afterwards.
CONSULT_SCHEDULE_MINUTES = {"emergency": 10, "routine": 24 * 60}
CONSULT_SENIOR_SIGNATURES = {"terminate": 3}
CONSULT_GRANT_DAYS_AFTER = env.int("CONSULT_GRANT_DAYS_AFTER", default=14)

# Minutes an unacknowledged alert waits before it climbs to the next rung (on-call lead / department
# head → medical director → regional supervisor), by severity; information alerts never climb.
ALERT_ESCALATION_MINUTES = {"critical": 5, "urgent": 15, "warning": 4 * 60}
SMS_GATEWAY = env("SMS_GATEWAY", default="notifications.channels.LoggingSmsGateway")
# Outgoing e-mail (urgent alerts, MDT invitations with their calendar files): an address such as
# smtp+tls://user:password@smtp.example.org:587, or consolemail:// (the default: written to the log).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
# A hung mail server must not hold a delivery past its lease (ALERT_DELIVERY_LEASE_SECONDS).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Maternal Safety <noreply@localhost>")
# A worker delivering an alert holds it for this long (a lease); if the worker dies, another one takes
# the alert over once the lease has run out. Longer than any delivery takes, short enough to matter.
ALERT_DELIVERY_LEASE_SECONDS = env.int("ALERT_DELIVERY_LEASE_SECONDS", default=120)

# Response minutes after a trigger (local policy): one red → now; two yellows → within 30 minutes.
MEOWS_RESPONSE_MINUTES = {"red": 0, "yellow": 30}

# Follow-up windows (reminders/schedule.py; DOMAIN.md §4). Days; tables by colour with a default, the
# tightest entry that applies to the woman counts (her colour, and purple when flagged). Visit
# intervals by colour come from the regional risk policy; "purple" here adds one for purple women.
FOLLOWUP_RULES = {
    "remind_days_before": 3,
    "grace_days": {"default": 7, "orange": 3, "red": 2, "purple": 3},
    "trace_after_days": {"default": 14, "orange": 7, "red": 3, "purple": 7},
    "lost_after_days": {"default": 42, "orange": 28, "red": 21, "purple": 28},
    "interval_days": {"purple": 14},
    "default_interval_days": 28,
    "postpartum_visit_days": (3, 7),
    "check_42d_days": (42, 49),
}
# Women's reminder texts are sent from this local hour on (not at the sweep's 00:07).
FOLLOWUP_SMS_HOUR = env.int("FOLLOWUP_SMS_HOUR", default=9)
FOLLOWUP_SWEEP_BATCH = env.int("FOLLOWUP_SWEEP_BATCH", default=5000)
# A maternal death is reported to the county supervisors at once, to be received within these hours.
MATERNAL_DEATH_REPORT_HOURS = env.int("MATERNAL_DEATH_REPORT_HOURS", default=24)
# An acknowledged alert whose cause is still open (not resolved) comes back after these minutes, by
# kind. Kinds not listed never re-arm (their cause is a one-off event, e.g. an invitation).
ALERT_REARM_MINUTES = {
    "report_due": 24 * 60,
    "needs_referral": 12 * 60,
    "grading_due": 24 * 60,
    "cosign_needed": 12 * 60,
    "assign_case_manager": 24 * 60,
    "referral_accept_missed": 30,
    "referral_arrival_missed": 60,
    "consult_not_scheduled": 30,
    "consult_action_overdue": 24 * 60,
    "follow_up_tracing": 3 * 24 * 60,
    "lost_to_follow_up_proposed": 7 * 24 * 60,
}
