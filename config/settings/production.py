"""Production: everything secret or machine-specific comes from the environment; nothing has a default."""

import os

from django.core.exceptions import ImproperlyConfigured

from config.cache_url import cache_from_url

from .base import *  # noqa: F403
from .base import env_bool, env_list


def required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ImproperlyConfigured(f"environment variable {name} is required in production")
    return value


DEBUG = False
SECRET_KEY = required("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("environment variable ALLOWED_HOSTS is required in production")
required("DATABASE_URL")
ONESTOP_FIELD_KEYS = required("ONESTOP_FIELD_KEYS")
ONESTOP_BLIND_INDEX_KEY = required("ONESTOP_BLIND_INDEX_KEY")
ONESTOP_GREENCARD_KEYS = required("ONESTOP_GREENCARD_KEYS")
# The rate limits (login, registration, SMS, verification) count in the default cache, which must be shared by every
# worker process: CACHE_URL=redis://host:6379/0 (or db://table; locmem:// only for a single process). See
# docs/operations.md.
CACHES = {"default": cache_from_url(required("CACHE_URL"))}

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
