"""The test suite: fast hashing, in-memory mail, a throwaway SQLite file unless DATABASE_URL is set."""

import os

from .base import *  # noqa: F403
from .base import BASE_DIR, DATABASES

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production-0123456789abcdef"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "onestop.core.sms.MemorySmsBackend"
ALLOWED_HOSTS = ["*"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["NAME"] = str(BASE_DIR / "var" / "test.sqlite3")
    # One file per test process, so two suites running at once on one machine never share a database.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-db-{os.getpid()}.sqlite3")}
ONESTOP_FIELD_KEYS = "t2:dGVzdC1maWVsZC1rZXktMi0wMDAwMDAwMDAwMDAwMDA=,t1:dGVzdC1maWVsZC1rZXktMS0wMDAwMDAwMDAwMDAwMDA="
ONESTOP_BLIND_INDEX_KEY = "dGVzdC1ibGluZC1pbmRleC1rZXktMDAwMDAwMDAwMDA="
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The suite registers and texts far more than a person would; tests/security/test_web.py sets real limits.
ONESTOP_RATE_LIMITS = {"register": (100_000, 3600), "sms": (100_000, 600)}
