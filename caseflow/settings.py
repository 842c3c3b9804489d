"""Caseflow settings: one module, every value read once from the environment.

Each variable is declared here with a default that is safe for development and is
listed in the README's table. With ``CASEFLOW_DEBUG`` off (production) the development
keys are refused and ``manage.py check --deploy --fail-level WARNING`` passes.
"""

import datetime
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

# Development-only keys. Production refuses to start with them (see below).
DEVELOPMENT_SECRET_KEY = "caseflow-development-secret-key-not-for-production"  # noqa: S105
DEVELOPMENT_CPR_KEY = "caseflow-development-cpr-key-not-for-production"

DEBUG = env.bool("CASEFLOW_DEBUG", default=False)
SECRET_KEY = env.str("CASEFLOW_SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
CASEFLOW_CPR_KEY = env.str("CASEFLOW_CPR_KEY", default=DEVELOPMENT_CPR_KEY)

if not DEBUG:
    if SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "CASEFLOW_SECRET_KEY must be set to a random value of at least 50 characters "
            "when CASEFLOW_DEBUG is off."
        )
    if CASEFLOW_CPR_KEY == DEVELOPMENT_CPR_KEY or len(CASEFLOW_CPR_KEY) < 32:
        raise ImproperlyConfigured(
            "CASEFLOW_CPR_KEY must be set to a random value of at least 32 characters "
            "when CASEFLOW_DEBUG is off."
        )

ALLOWED_HOSTS = env.list(
    "CASEFLOW_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CASEFLOW_CSRF_TRUSTED_ORIGINS", default=[])

# --------------------------------------------------------------------------- apps

INSTALLED_APPS = [
    "caseflow.core.apps.CaseflowAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "caseflow.core.apps.CaseflowStaticFilesConfig",
    "guardian",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "viewflow",
    "viewflow.workflow",
    "caseflow.core",
    "caseflow.audit",
    "caseflow.accounts",
    "caseflow.people",
    "caseflow.referrals",
    "caseflow.cases",
    "caseflow.interventions",
    "caseflow.journal",
    "caseflow.documents",
    "caseflow.meetings",
    "caseflow.reports",
    "caseflow.access_requests",
    "caseflow.supervision",
    "caseflow.retention",
    "caseflow.notifications",
    "caseflow.dashboard",
    "caseflow.intake",
    "caseflow.demo",
    "permissions.apps.PermissionsConfig",
    "workflows",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Every dynamic response: Cache-Control no-store, private (pages carry personal data).
    "caseflow.core.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "caseflow.audit.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle and absolute session lifetime, then the second factor before any page.
    "caseflow.accounts.middleware.SessionTimeoutMiddleware",
    "caseflow.accounts.middleware.OTPRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# viewflow's ready() would append its own middleware; the workflow issue wires the
# frontend explicitly instead.
VIEWFLOW = {"AUTOREGISTER": False}

ROOT_URLCONF = "caseflow.urls"
WSGI_APPLICATION = "caseflow.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

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
                "permissions.context_processors.navigation",
            ],
        },
    },
]

# --------------------------------------------------------------------------- database

DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'caseflow.sqlite3'}"
    ),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A stuck lock raises instead of hanging a request (viewflow's select_for_update lock).
    lock_timeout_ms = env.int("CASEFLOW_DB_LOCK_TIMEOUT_MS", default=10000)
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"]["options"] = f"-c lock_timeout={lock_timeout_ms}"
    # An unreachable database server fails a request within this many seconds (the "try
    # again" page, caseflow.core.unavailable) instead of hanging until gunicorn kills the worker.
    DATABASES["default"]["OPTIONS"]["connect_timeout"] = env.int("CASEFLOW_DB_CONNECT_TIMEOUT", default=5)
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CASEFLOW_DB_CONN_MAX_AGE", default=60)
    # A persistent connection is checked before a request uses it, so the first request
    # after a database restart gets a fresh connection instead of the broken one.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --------------------------------------------------------------------------- redis, cache, celery

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "caseflow",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True

CELERY_TASK_DEFAULT_QUEUE = env.str("CASEFLOW_CELERY_QUEUE", default="caseflow")
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A message taken by a worker that dies without acknowledging it goes back to the queue
# after this many seconds (Redis transport); tasks are acks_late and idempotent.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CASEFLOW_CELERY_VISIBILITY_TIMEOUT", default=3600),
    # Redis down: publishing and the worker's connection fail fast instead of hanging.
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    # Look for messages past their visibility timeout every 10 s (kombu's default scans
    # only every tenth look, so a crashed worker's task waited up to 100 s more).
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Publishing retries briefly (a blip), then gives up: the outbox keeps the work.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2,
                                    "interval_max": 0.2}
CELERY_TIMEZONE = "Europe/Copenhagen"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "fire-workflow-timers": {
        "task": "workflows.tasks.workflow_timers_fire_task",
        "schedule": 60.0,
    },
    "sweep-stuck-workflow-jobs": {
        "task": "workflows.tasks.workflow_jobs_sweep_task",
        "schedule": 300.0,
    },
}

# --------------------------------------------------------------------------- auth

AUTHENTICATION_BACKENDS = [
    # django-axes: refuses a sign-in while its user name + address is locked out.
    "axes.backends.AxesStandaloneBackend",
    # Answers every object check (and vetoes global grants of object permissions) from the
    # permission policy; listed first so its PermissionDenied stops the other backends.
    "permissions.backends.PolicyBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# guardian's backend stays out on purpose: the permission policy (permissions/) reads the
# grant tables itself and is the only backend that answers object checks.
SILENCED_SYSTEM_CHECKS = ["guardian.W001"]
ANONYMOUS_USER_NAME = None
GUARDIAN_MONKEY_PATCH_USER = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "login"

# --------------------------------------------------------------------------- i18n

LANGUAGE_CODE = "da"
LANGUAGES = [("da", _("Danish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Copenhagen"
USE_I18N = True
USE_TZ = True

# --------------------------------------------------------------------------- static files

STATIC_URL = "/static/"
STATIC_ROOT = env.path("CASEFLOW_STATIC_ROOT", default=VAR_DIR / "static")
STATICFILES_DIRS = [BASE_DIR / "caseflow" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("CASEFLOW_STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Uploaded documents live outside the static root; they are only ever served by a
# permission-checked view.
MEDIA_ROOT = env.path("CASEFLOW_MEDIA_ROOT", default=VAR_DIR / "media")
# The largest document a caseworker may upload (bytes).
CASEFLOW_DOCUMENT_MAX_BYTES = env.int("CASEFLOW_DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)

# --------------------------------------------------------------------------- security

# Database sessions; a database outage while saving one gets the 503 page, not a 400.
SESSION_ENGINE = "caseflow.core.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("CASEFLOW_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("CASEFLOW_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env.bool("CASEFLOW_BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    if not SECURE_SSL_REDIRECT:
        # The TLS-terminating proxy in front redirects; Django's own check cannot see it.
        SILENCED_SYSTEM_CHECKS.append("security.W008")

# --------------------------------------------------------------------------- e-mail

EMAIL_BACKEND = env.str(
    "CASEFLOW_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env.str("CASEFLOW_FROM_EMAIL", default="caseflow@localhost")
# Links in e-mails point here (no trailing slash).
CASEFLOW_BASE_URL = env.str("CASEFLOW_BASE_URL", default="http://127.0.0.1:8000")

# --------------------------------------------------------------------------- logging

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("CASEFLOW_LOG_LEVEL", default="INFO")},
}

# --------------------------------------------------------------------------- caseflow

CASEFLOW_DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="demo")
# Break-the-glass (nødadgang): how long an emergency grant lasts.
CASEFLOW_BREAK_GLASS_MINUTES = env.int("CASEFLOW_BREAK_GLASS_MINUTES", default=120)

# How far back duplicate detection looks at closed referrals and cases.
CASEFLOW_DUPLICATE_WINDOW_DAYS = env.int("CASEFLOW_DUPLICATE_WINDOW_DAYS", default=365)

# ReferralFlow: waiting for information is shelved automatically after this many Danish
# working days (workflows.services.info_wait_deadline; fired by the workflow timers).
CASEFLOW_INFO_WAIT_WORKING_DAYS = env.int("CASEFLOW_INFO_WAIT_WORKING_DAYS", default=10)

# Deadlines of the human tasks in Danish working days (domain.md §2.4): when one passes,
# the task stays open and the team's supervisors get a deadline breach on their dashboard
# (workflows.deadlines). Override one with CASEFLOW_DEADLINE_<NAME>=<days>.
_DEADLINE_DEFAULTS = {
    "acute_triage": 0,  # the same working day
    "initial_assessment": 2,
    "screening": 10,
    "co_signature": 5,
    "approval": 5,
    "clarification": 20,
    "plan": 10,
    "review": 10,
    "follow_up": 10,
    "provider_answer": 5,
    "matching": 10,
}
CASEFLOW_DEADLINE_WORKING_DAYS = {
    name: env.int(f"CASEFLOW_DEADLINE_{name.upper()}", default=days) for name, days in _DEADLINE_DEFAULTS.items()
}
# BBU assesses a report (underretning) within 24 hours (barnets lov; domain.md §2.4).
CASEFLOW_BBU_REPORT_HOURS = env.int("CASEFLOW_BBU_REPORT_HOURS", default=24)
# Periodic progress reviews of a case (months) by level, follow-ups after closure, the
# turning-18 task, and the alert for an intervention without a provider (domain.md §2.2–2.6).
CASEFLOW_REVIEW_MONTHS = {2: env.int("CASEFLOW_REVIEW_MONTHS_LEVEL_2", default=3),
                          3: env.int("CASEFLOW_REVIEW_MONTHS_LEVEL_3", default=1)}
CASEFLOW_FOLLOW_UP_MONTHS = (6, 12)
CASEFLOW_ADULT_TRANSITION_MONTHS = env.int("CASEFLOW_ADULT_TRANSITION_MONTHS", default=3)
CASEFLOW_UNSTAFFED_ALERT_DAYS = env.int("CASEFLOW_UNSTAFFED_ALERT_DAYS", default=14)
# Workflow jobs (our Celery job node) still SCHEDULED after this many minutes are enqueued again.
CASEFLOW_JOB_STUCK_MINUTES = env.int("CASEFLOW_JOB_STUCK_MINUTES", default=10)

# --------------------------------------------------------------------------- partner intake API (caseflow/intake)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["caseflow.intake.authentication.PartnerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["caseflow.intake.throttling.PartnerTokenThrottle"],
    "DEFAULT_THROTTLE_RATES": {"partner": env.str("CASEFLOW_API_RATE", default="60/min")},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
}
# Failed token authentications allowed per client address, and per token prefix, within
# the window (seconds); past them, requests without a valid token get 429 until the window
# ends (a valid token is always served: partners behind one NAT never lock each other out).
CASEFLOW_API_AUTH_FAILURE_LIMIT = env.int("CASEFLOW_API_AUTH_FAILURE_LIMIT", default=20)
CASEFLOW_API_AUTH_FAILURE_WINDOW = env.int("CASEFLOW_API_AUTH_FAILURE_WINDOW", default=600)
SPECTACULAR_SETTINGS = {
    "TITLE": "Caseflow partner intake API",
    "DESCRIPTION": "Partners (schools, police) submit concern referrals; the answer is a receipt.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# --------------------------------------------------------------------------- audit (caseflow/audit)

# Read events (*.viewed, *.listed, *.searched) older than this are deleted by
# `manage.py audit_prune` (and audit_prune_reads_task); writes are kept with their case.
CASEFLOW_AUDIT_READ_RETENTION_DAYS = env.int("CASEFLOW_AUDIT_READ_RETENTION_DAYS", default=183)
# Signed anchors: the chain head (sequence, hash, time) signed with Ed25519 and appended as a
# JSON line here, outside the database, at least every CASEFLOW_AUDIT_HEAD_EXPORT_INTERVAL
# seconds while events are written (and by `manage.py audit_head_export`); `manage.py
# audit_verify` checks the chain against every line. Point it at storage the database's
# administrators cannot write (see the README, "Audit anchors").
CASEFLOW_AUDIT_HEAD_EXPORT_PATH = env.path(
    "CASEFLOW_AUDIT_HEAD_EXPORT_PATH", default=VAR_DIR / "audit-anchors.jsonl"
)
CELERY_BEAT_SCHEDULE["audit-head-export"] = {
    "task": "audit.tasks.audit_head_export_task",
    "schedule": env.float("CASEFLOW_AUDIT_HEAD_EXPORT_INTERVAL", default=300.0),
}
# The anchors' Ed25519 private key: base64 of its 32-byte seed, or a PKCS#8 PEM. Unset, it is
# derived from CASEFLOW_SECRET_KEY (HKDF, its own label). Never stored in the database.
# Generate one with `python -c "import base64,os; print(base64.b64encode(os.urandom(32)).decode())"`.
DEVELOPMENT_AUDIT_SIGNING_KEY = "17k74rtAp6RBEbZbROK8vKU1taPtbJSc5ffLy8TLd20="  # derived from the development secret
CASEFLOW_AUDIT_SIGNING_KEY = env.str("CASEFLOW_AUDIT_SIGNING_KEY", default="")
if not DEBUG and CASEFLOW_AUDIT_SIGNING_KEY.strip() == DEVELOPMENT_AUDIT_SIGNING_KEY:
    raise ImproperlyConfigured("CASEFLOW_AUDIT_SIGNING_KEY must not be the development key when CASEFLOW_DEBUG is off.")
# Public keys of earlier signing keys (comma-separated, base64 of the raw 32 bytes) whose
# anchors `audit_verify` still accepts after a key change.
CASEFLOW_AUDIT_OLD_PUBLIC_KEYS = env.list("CASEFLOW_AUDIT_OLD_PUBLIC_KEYS", default=[])
# Where `audit_verify --incremental` keeps the last anchor it verified.
CASEFLOW_AUDIT_VERIFY_STATE_PATH = env.path(
    "CASEFLOW_AUDIT_VERIFY_STATE_PATH", default=VAR_DIR / "audit-verify-state.json"
)
# Read events past their retention are pruned by the nightly retention run (retention section).

# --------------------------------------------------------------------------- security (caseflow/accounts: 2FA, lockout, sessions, headers)

# Two-factor sign-in (django-otp TOTP + recovery codes) for every web user. Only with
# CASEFLOW_DEBUG on (make run) may it be switched off; production refuses to start without it.
CASEFLOW_OTP_REQUIRED = env.bool("CASEFLOW_OTP_REQUIRED", default=not DEBUG)
if not DEBUG and not CASEFLOW_OTP_REQUIRED:
    raise ImproperlyConfigured("CASEFLOW_OTP_REQUIRED cannot be turned off when CASEFLOW_DEBUG is off.")
# The issuer shown in authenticator apps.
OTP_TOTP_ISSUER = env.str("CASEFLOW_OTP_ISSUER", default="Caseflow")
# How many single-use recovery codes a user gets at enrolment.
CASEFLOW_OTP_RECOVERY_CODES = 10

# Sign-in lockout (django-axes): this many failures per user name + address lock them out.
AXES_FAILURE_LIMIT = env.int("CASEFLOW_LOGIN_FAILURE_LIMIT", default=5)
# ... for this many minutes (counted from the last failure).
CASEFLOW_LOGIN_COOLOFF_MINUTES = env.int("CASEFLOW_LOGIN_COOLOFF_MINUTES", default=30)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=CASEFLOW_LOGIN_COOLOFF_MINUTES)
# Counted per user name and address together; a successful sign-in clears the count.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The user name axes stores, with a CPR number typed into the field redacted.
AXES_USERNAME_CALLABLE = "caseflow.accounts.lockout.axes_username"
# The client address as the audit trail sees it (X-Forwarded-For only behind our TLS proxy).
AXES_CLIENT_IP_CALLABLE = "caseflow.audit.middleware.client_ip"
# The translated lockout page (429).
AXES_LOCKOUT_CALLABLE = "caseflow.accounts.views.locked_out"
# Sign-ins are in our audit trail already; axes keeps only its attempt counters.
AXES_DISABLE_ACCESS_LOG = True
# Lockouts are lifted only by the audited action on the user admin, not axes' own admin pages.
AXES_ENABLE_ADMIN = False
# No start-up banner; axes' own log lines mask the user name and address.
AXES_VERBOSE = False

# Sessions: signed out after this many minutes without a request ...
CASEFLOW_SESSION_IDLE_MINUTES = env.int("CASEFLOW_SESSION_IDLE_MINUTES", default=15)
# ... and this many hours after signing in, whatever the activity.
CASEFLOW_SESSION_MAX_HOURS = env.int("CASEFLOW_SESSION_MAX_HOURS", default=10)
# The stored session lives as long as the absolute limit; the middleware ends it earlier.
SESSION_COOKIE_AGE = CASEFLOW_SESSION_MAX_HOURS * 60 * 60
# Cookies: not sent on cross-site POSTs; the CSRF cookie is not readable by scripts.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"

# Content-Security-Policy (django-csp 4): our own origin only, no inline scripts. Inline
# *styles* stay allowed: viewflow's Material components and Turbo set style attributes and
# add <style> elements at run time (tests/security/test_headers_browser.py).
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
    },
}

# Earlier values of CASEFLOW_CPR_KEY (comma-separated): still read, never written;
# `manage.py rotate_cpr_key` moves every stored CPR number to the current key.
CASEFLOW_CPR_OLD_KEYS = env.list("CASEFLOW_CPR_OLD_KEYS", default=[])
if not DEBUG and any(len(key) < 32 or key == DEVELOPMENT_CPR_KEY for key in CASEFLOW_CPR_OLD_KEYS):
    raise ImproperlyConfigured("Every key in CASEFLOW_CPR_OLD_KEYS must be a former production key (32+ characters).")

# --------------------------------------------------------------------------- meetings (caseflow/meetings)

# How often (seconds) referrals whose screening deadline falls before the team's next planned meeting
# are put on its agenda (meetings.tasks.meeting_agenda_autofill_task; idempotent).
CASEFLOW_MEETING_AUTOFILL_INTERVAL = env.float("CASEFLOW_MEETING_AUTOFILL_INTERVAL", default=60 * 60.0)
CELERY_BEAT_SCHEDULE["meetings-agenda-autofill"] = {
    "task": "meetings.tasks.meeting_agenda_autofill_task",
    "schedule": CASEFLOW_MEETING_AUTOFILL_INTERVAL,
}

# --------------------------------------------------------------------------- statistics (caseflow/reports)

# Key of the statistics store's pseudonyms (HMAC-SHA256 of each source id). Unset: derived from
# CASEFLOW_CPR_KEY (HKDF, its own label), so production needs no extra secret. Keep it stable:
# a new key gives every source a new pseudonym, and the store never deletes rows.
CASEFLOW_STATISTICS_KEY = env.str("CASEFLOW_STATISTICS_KEY", default="")
if not DEBUG and CASEFLOW_STATISTICS_KEY and len(CASEFLOW_STATISTICS_KEY) < 32:
    raise ImproperlyConfigured(
        "CASEFLOW_STATISTICS_KEY must be a random value of at least 32 characters (or unset to derive "
        "it from CASEFLOW_CPR_KEY) when CASEFLOW_DEBUG is off."
    )
# The smallest count shown: a cell from 1 to one below it is shown as "<5" (plus secondary suppression).
CASEFLOW_STATISTICS_MIN_CELL = env.int("CASEFLOW_STATISTICS_MIN_CELL", default=5)
# How often beat refreshes the statistics store from live data (seconds).
CELERY_BEAT_SCHEDULE["statistics-refresh"] = {
    "task": "reports.tasks.statistics_refresh_task",
    "schedule": env.float("CASEFLOW_STATISTICS_REFRESH_INTERVAL", default=60 * 60.0),
}

# --------------------------------------------------------------------------- access requests (caseflow/access_requests)
# GDPR art. 15 requests are answered within this many months of receipt (art. 12(3)).
CASEFLOW_ACCESS_REQUEST_GDPR_MONTHS = env.int("CASEFLOW_ACCESS_REQUEST_GDPR_MONTHS", default=1)
# Aktindsigt is answered within this many Danish working days, unless a delay letter is sent.
CASEFLOW_ACCESS_REQUEST_WORKING_DAYS = env.int("CASEFLOW_ACCESS_REQUEST_WORKING_DAYS", default=7)
# An open request is shown as "due soon" this many days (or fewer) before its deadline.
CASEFLOW_ACCESS_REQUEST_DUE_SOON_DAYS = env.int("CASEFLOW_ACCESS_REQUEST_DUE_SOON_DAYS", default=2)

# --------------------------------------------------------------------------- supervision (caseflow/supervision)

# Most rows the supervisor's workspace shows per section (approvals, emergency-access
# reviews, breached deadlines); the section then says how many there are in all.
CASEFLOW_SUPERVISION_ROWS = env.int("CASEFLOW_SUPERVISION_ROWS", default=100)

# --------------------------------------------------------------------------- retention (caseflow/retention)

# Retention classes (design.md §4, domain.md §4.7), applied by `manage.py retention_run` and the
# nightly beat task. An unfounded or shelved concern is anonymised this many months after closing.
CASEFLOW_RETENTION_UNFOUNDED_MONTHS = env.int("CASEFLOW_RETENTION_UNFOUNDED_MONTHS", default=12)
# A closed adult case is deleted (whole, no soft delete) this many years after its closure.
CASEFLOW_RETENTION_CLOSED_CASE_YEARS = env.int("CASEFLOW_RETENTION_CLOSED_CASE_YEARS", default=5)
# A minor's case goes to the supervisors' archive-review queue this many years after closure.
CASEFLOW_RETENTION_MINOR_REVIEW_YEARS = env.int("CASEFLOW_RETENTION_MINOR_REVIEW_YEARS", default=5)
# The nightly run (local time, CELERY_TIMEZONE); it also prunes old audit read events.
from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE["retention-run"] = {
    "task": "retention.tasks.retention_run_task",
    "schedule": crontab(hour=env.int("CASEFLOW_RETENTION_RUN_HOUR", default=2), minute=30),
}

# --------------------------------------------------------------------------- notifications and outbox (caseflow/notifications)

# Outbox relay: seconds between passes of the relay thread in Celery beat (0: off; the
# `manage.py outbox_relay` loop and the beat task below still relay).
CASEFLOW_OUTBOX_RELAY_INTERVAL = env.float("CASEFLOW_OUTBOX_RELAY_INTERVAL", default=5.0)
# After a failed publish, a web process leaves publishing to the relay for this many seconds.
CASEFLOW_OUTBOX_BACKOFF_SECONDS = env.float("CASEFLOW_OUTBOX_BACKOFF_SECONDS", default=10.0)
# Publishing from the outbox: one quick retry, then the row waits for the relay.
CASEFLOW_OUTBOX_PUBLISH_RETRY_POLICY = CELERY_TASK_PUBLISH_RETRY_POLICY
# Seconds between scans for new notifications (assigned tasks, deadlines, approvals, emergency access).
CASEFLOW_NOTIFICATION_SCAN_SECONDS = env.float("CASEFLOW_NOTIFICATION_SCAN_SECONDS", default=120.0)
# Hour of the day (Europe/Copenhagen) when the daily digests go out.
CASEFLOW_NOTIFICATION_DIGEST_HOUR = env.int("CASEFLOW_NOTIFICATION_DIGEST_HOUR", default=7)
# Only tasks assigned and deadlines breached within this many days are notified (no flood on first start).
CASEFLOW_NOTIFICATION_LOOKBACK_DAYS = env.int("CASEFLOW_NOTIFICATION_LOOKBACK_DAYS", default=7)
from celery.schedules import crontab  # noqa: E402 - only the digest's schedule needs it

CELERY_BEAT_SCHEDULE["outbox-relay"] = {
    "task": "notifications.tasks.outbox_relay_task",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["notification-scan"] = {
    "task": "notifications.tasks.notification_scan_task",
    "schedule": CASEFLOW_NOTIFICATION_SCAN_SECONDS,
}
CELERY_BEAT_SCHEDULE["notification-digest"] = {
    "task": "notifications.tasks.notification_digest_task",
    "schedule": crontab(minute=0, hour=CASEFLOW_NOTIFICATION_DIGEST_HOUR),
}
