"""Settings shared by every environment. Everything that differs between machines comes from the environment."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (os.environ.get(name) or default).split(",") if item.strip()]


SECRET_KEY = env("SECRET_KEY", "dev-insecure-only-for-local-development-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_htmx",
    "ninja",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "onestop.core",
    "onestop.employers",
    "onestop.talents",
    "onestop.workflow",
    "onestop.policies",
    "onestop.greencards",
    "onestop.housing",
    "onestop.onething",
    "onestop.engagement",
    "onestop.targets",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "onestop.core.middleware.RejectNulCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "onestop.core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Messages and the request context come before the session checks: an expired session leaves a message and
    # an audit event with the client's IP.
    "django.contrib.messages.middleware.MessageMiddleware",
    "onestop.core.middleware.RequestContextMiddleware",
    "onestop.core.middleware.SessionLifetimeMiddleware",
    "onestop.core.middleware.StaffSecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "onestop.core.middleware.NoStoreForSignedInMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "onestop" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "onestop.core.context_processors.platform",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------------
SQLITE_PATH = Path(env("SQLITE_PATH", str(BASE_DIR / "var" / "onestop.sqlite3")) or "")


def database_from_env() -> dict[str, object]:
    url = env("DATABASE_URL")
    if url:
        config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
        if config["ENGINE"] == "django.db.backends.sqlite3":
            config["OPTIONS"] = sqlite_options()
        elif config["ENGINE"] == "django.db.backends.postgresql":
            # psycopg prepares a statement after this many executions on a connection — only statements run through
            # a server-side-binding cursor, which only the green-card verification path uses (ADR 0010); Django's
            # own cursors bind on the client and are never prepared. Empty disables (a transaction-pooling
            # PgBouncer older than 1.21 cannot carry prepared statements).
            threshold = env("DATABASE_PREPARE_THRESHOLD", "5")
            if threshold:
                options = config.get("OPTIONS")
                config["OPTIONS"] = {**(options if isinstance(options, dict) else {}), "prepare_threshold": int(threshold)}
        return config
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(SQLITE_PATH),
        "OPTIONS": sqlite_options(),
    }


def sqlite_options() -> dict[str, object]:
    # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN, so two writers queue
    # instead of failing half-way with "database is locked" (see docs/adr/0001).
    return {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA busy_timeout=20000; PRAGMA cache_size=-20000;"
        ),
    }


DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Identity -------------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "onestop.core.auth.PhoneOrUsernameBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "onestop.core.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "onestop.core.validators.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ("username", "real_name")}},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"

# Lockout after 5 failures per username + IP (MLPS level 3); the stored username is a keyed hash, never a phone.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "onestop.core.auth.axes_username"
AXES_LOCKOUT_CALLABLE = "onestop.core.views.auth.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_IPWARE_PROXY_COUNT = int(env("AXES_PROXY_COUNT", "0") or 0)
AXES_VERBOSE = False

# Session: idle timeout (staff 15 min, everyone else 30 min) and an absolute lifetime.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 12 * 3600
SESSION_IDLE_TIMEOUT_STAFF = 15 * 60
SESSION_IDLE_TIMEOUT_PUBLIC = 30 * 60
SESSION_ABSOLUTE_LIFETIME = 12 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

OTP_TOTP_ISSUER = "OneStop 人才一站式"

# --- Personal data encryption (see docs/security.md) -----------------------------------------------------------
# ONESTOP_FIELD_KEYS: "keyid:base64-32-bytes,keyid2:..." ; the first key encrypts, every key decrypts.
ONESTOP_FIELD_KEYS = env("ONESTOP_FIELD_KEYS", "dev1:ZGV2LWZpZWxkLWtleS0wMDAwMDAwMDAwMDAwMDAwMDA=")
ONESTOP_BLIND_INDEX_KEY = env("ONESTOP_BLIND_INDEX_KEY", "ZGV2LWJsaW5kLWluZGV4LWtleS0wMDAwMDAwMDAwMDA=")
# Retention periods in days per record kind, overriding the defaults each app registers (onestop/core/retention.py;
# `manage.py retention --dry-run` lists them). E.g. ONESTOP_RETENTION_DAYS="greencards.verification=730,core.notification=180"
ONESTOP_RETENTION_DAYS = {k.strip(): int(v) for k, _sep, v in (
    item.partition("=") for item in env_list("ONESTOP_RETENTION_DAYS")) if k.strip() and v.strip().isdigit()}

# --- Talent green card (see docs/greencard.md) -------------------------------------------------------------------
# ONESTOP_GREENCARD_KEYS seals the Ed25519 signing keys at rest: "kekid:base64-32-bytes,..." (first seals, all open).
ONESTOP_GREENCARD_KEYS = env("ONESTOP_GREENCARD_KEYS", "devgc1:ZGV2LWdyZWVuY2FyZC1rZWstMDAwMDAwMDAwMDAwMDA=")
GREENCARD_KEY_CACHE_SECONDS = int(env("GREENCARD_KEY_CACHE_SECONDS", "10") or 10)
GREENCARD_VERIFY_RATE_PER_MINUTE = int(env("GREENCARD_VERIFY_RATE_PER_MINUTE", "60") or 60)
# Per machine-to-machine key (a desk scanner or a partner system): every attempt counts, refused ones too.
GREENCARD_M2M_RATE_PER_MINUTE = int(env("GREENCARD_M2M_RATE_PER_MINUTE", "600") or 600)
GREENCARD_PHOTO_SECONDS = 600  # a checker may see the holder's photo this long after a valid scan

# --- i18n -------------------------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "onestop" / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "onestop" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")) or "")
MEDIA_URL = "/media/"

# --- Security headers -------------------------------------------------------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# --- Background tasks -------------------------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
WORKER_HEARTBEAT_SECONDS = 10
WORKER_STALE_SECONDS = 60

# --- Notifications ----------------------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "onestop@localhost")
SMS_BACKEND = env("SMS_BACKEND", "onestop.core.sms.ConsoleSmsBackend")
SMS_FILE_PATH = env("SMS_FILE_PATH", str(BASE_DIR / "var" / "sms"))

# --- Logging ----------------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "jieba": {"level": "WARNING"},
    },
}

NINJA_PAGINATION_PER_PAGE = 50
DEMO_OTP_SEED = env("DEMO_OTP_SEED", "onestop-demo")
