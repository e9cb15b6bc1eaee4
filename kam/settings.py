"""KAM settings. Everything a deployment changes comes from KAM_* environment variables (docs/configuration.md)."""

import os
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("KAM_VAR_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("KAM_DEBUG", False)
# HTTPS decides the cookie and HSTS settings; a plain-HTTP demo on 127.0.0.1 sets KAM_HTTPS=0.
HTTPS = env_bool("KAM_HTTPS", not DEBUG)

SECRET_KEY = os.environ.get("KAM_SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or os.environ.get("KAM_TESTING"):
        SECRET_KEY = "insecure-development-key-only-for-debug-and-tests-0123456789abcdefghijklmnop"
    else:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("KAM_SECRET_KEY must be set (see docs/configuration.md).")

ALLOWED_HOSTS = env_list("KAM_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("KAM_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_tables2",
    "django_htmx",
    "ninja",
    "django_tasks_db",
    "axes",
    "kam.core",
    "kam.users",
    "kam.audit",
    "kam.accounts",
    "kam.selection",
    "kam.teams",
    "kam.charters",
    "kam.servicelevels",
    "kam.notifications",
    "kam.plans",
    "kam.stakeholders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kam.core.middleware.RequestIdMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kam.users.middleware.ApiTokenMiddleware",
    "kam.core.middleware.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kam.core.middleware.AuditContextMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kam.urls"
WSGI_APPLICATION = "kam.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kam.core.context_processors.navigation",
            ],
            "builtins": ["kam.core.templatetags.kam"],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("KAM_DATABASE_URL", f"sqlite:///{VAR_DIR / 'kam.sqlite3'}"),
        conn_max_age=int(os.environ.get("KAM_DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] != ":memory:":
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the web process read while the worker writes; IMMEDIATE avoids lock upgrades mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: after 5 failures for a user name from one address, that pair is locked for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("KAM_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("KAM_LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env_bool("KAM_LOGIN_THROTTLING", True)

# Sessions: idle timeout via cookie age + save on every request; absolute timeout enforced by middleware.
SESSION_COOKIE_AGE = int(os.environ.get("KAM_SESSION_IDLE_SECONDS", str(60 * 60 * 2)))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_ABSOLUTE_SECONDS = int(os.environ.get("KAM_SESSION_ABSOLUTE_SECONDS", str(60 * 60 * 12)))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("KAM_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("KAM_BEHIND_PROXY", False) else None
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("KAM_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("KAM_STATIC_ROOT", VAR_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": VAR_DIR / "media"}},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or os.environ.get("KAM_TESTING")
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or bool(os.environ.get("KAM_TESTING"))

# Mail: SMTP in production (KAM_EMAIL_*); the console in debug, tests and the demo (password-reset links
# are printed where the operator can see them).
_CONSOLE_MAIL = "django.core.mail.backends.console.EmailBackend"
_mail_backend = os.environ.get(
    "KAM_EMAIL_BACKEND",
    _CONSOLE_MAIL if DEBUG or os.environ.get("KAM_TESTING") else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {
    "default": {
        "BACKEND": _mail_backend,
        "OPTIONS": {}
        if _mail_backend == _CONSOLE_MAIL
        else {
            "host": os.environ.get("KAM_EMAIL_HOST", "localhost"),
            "port": int(os.environ.get("KAM_EMAIL_PORT", "25")),
            "username": os.environ.get("KAM_EMAIL_USER", ""),
            "password": os.environ.get("KAM_EMAIL_PASSWORD", ""),
            "use_tls": env_bool("KAM_EMAIL_USE_TLS", False),
        },
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("KAM_DEFAULT_FROM_EMAIL", "kam@localhost")

TASKS = {
    "default": {
        "BACKEND": os.environ.get("KAM_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "imports"],
    }
}

# Selection runs started from a page are computed in the request below this many top-level accounts (well under a
# second); above it the worker computes them and the page shows progress.
KAM_SELECTION_INLINE_ACCOUNTS = int(os.environ.get("KAM_SELECTION_INLINE_ACCOUNTS", "5000"))

# Uploads: imports above this size are refused with a clear message instead of filling memory or disk.
KAM_IMPORT_MAX_BYTES = int(os.environ.get("KAM_IMPORT_MAX_BYTES", str(50 * 1024 * 1024)))
# Imports with more rows than this run as a background job with a progress bar.
KAM_IMPORT_BACKGROUND_ROWS = int(os.environ.get("KAM_IMPORT_BACKGROUND_ROWS", "5000"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
KAM_REPORTING_CURRENCY = "EUR"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "kam.core.middleware.RequestIdLogFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("KAM_LOG_LEVEL", "WARNING")},
    "loggers": {"django.tasks": {"level": "INFO"}, "kam": {"level": "INFO"}},
}
