"""``CACHE_URL`` → a ``CACHES["default"]`` entry (production reads it from the environment).

The rate limits of login, registration, SMS sending and verification count in the default cache; with several worker
processes (or hosts) that cache must be shared, or each process counts alone. Supported:

- ``redis://[:password@]host:6379/0`` or ``rediss://…`` (TLS) — Django's built-in Redis cache (the ``redis`` package);
- ``db://table_name`` — the database cache (``manage.py createcachetable`` once);
- ``locmem://`` — per-process memory: only for a single process (the default of dev and test).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

KEY_PREFIX = "onestop"


def cache_from_url(url: str) -> dict[str, Any]:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme in ("redis", "rediss"):
        if not parts.hostname:
            raise ValueError("CACHE_URL: a Redis URL needs a host, e.g. redis://127.0.0.1:6379/0")
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url.strip(),
                "KEY_PREFIX": KEY_PREFIX, "TIMEOUT": 300}
    if scheme == "db":
        table = (parts.netloc + parts.path).strip("/")
        if not table.isidentifier():
            raise ValueError("CACHE_URL: db://<table name>, e.g. db://onestop_cache")
        return {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": table, "KEY_PREFIX": KEY_PREFIX}
    if scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": parts.netloc or "onestop"}
    raise ValueError(f"CACHE_URL: unsupported scheme {scheme!r} (redis://, rediss://, db://, locmem://)")
