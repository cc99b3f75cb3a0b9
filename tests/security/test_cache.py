"""The shared cache the rate limits count in (issue 11 §4): production reads it from CACHE_URL, and with Redis two
worker processes — two cache clients — see one counter, so a limit cannot be multiplied by the number of workers."""

from __future__ import annotations

import importlib
import socket
import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.cache_url import cache_from_url

PRODUCTION_ENV = {"SECRET_KEY": "x" * 64, "ALLOWED_HOSTS": "onestop.example.org", "DATABASE_URL": "sqlite:///x",
                  "ONESTOP_FIELD_KEYS": "k:" + "A" * 44, "ONESTOP_BLIND_INDEX_KEY": "A" * 44,
                  "ONESTOP_GREENCARD_KEYS": "g:" + "A" * 44}
REDIS = ("127.0.0.1", 6379)


def _production(monkeypatch: pytest.MonkeyPatch, **extra: str) -> object:
    for name, value in {**PRODUCTION_ENV, **extra}.items():
        monkeypatch.setenv(name, value)
    return importlib.reload(importlib.import_module("config.settings.production"))


def test_production_settings_take_the_cache_from_cache_url(monkeypatch: pytest.MonkeyPatch) -> None:
    production = _production(monkeypatch, CACHE_URL="redis://:s3cret@cache.internal:6379/2")
    default = production.CACHES["default"]  # type: ignore[attr-defined]
    assert default["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert default["LOCATION"] == "redis://:s3cret@cache.internal:6379/2"


def test_production_refuses_to_start_without_a_cache_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CACHE_URL", raising=False)
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL"):
        _production(monkeypatch)


def test_cache_urls() -> None:
    assert cache_from_url("rediss://cache:6380/0")["BACKEND"].endswith("RedisCache")
    assert cache_from_url("db://onestop_cache") == {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "onestop_cache", "KEY_PREFIX": "onestop"}
    assert cache_from_url("locmem://")["BACKEND"].endswith("LocMemCache")
    for bad in ("memcached://x:11211", "redis:///0", "db://drop table"):
        with pytest.raises(ValueError, match="CACHE_URL"):
            cache_from_url(bad)


def _redis_up() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_the_rate_limiter_counts_across_two_cache_clients(monkeypatch: pytest.MonkeyPatch, settings: object) -> None:
    """Two RedisCache clients stand for two gunicorn workers: the SMS limit (per number per 10 minutes) holds for
    the pair, where two per-process caches would each allow the whole limit."""
    from django.core.cache.backends.locmem import LocMemCache
    from django.core.cache.backends.redis import RedisCache

    from onestop.core import ratelimit

    settings.ONESTOP_RATE_LIMITS = {"sms": (5, 600)}  # type: ignore[attr-defined]  # the production default
    prefix = f"onestop-sectest-{uuid.uuid4().hex}"  # never collides with anybody else's keys on the server
    worker_a, worker_b = (RedisCache(f"redis://{REDIS[0]}:{REDIS[1]}/0", {"KEY_PREFIX": prefix}) for _ in range(2))
    phone, rate = "13800001234", ratelimit.limit_for("sms").rate
    answers = []
    for n in range(rate + 3):
        monkeypatch.setattr(ratelimit, "cache", worker_a if n % 2 == 0 else worker_b)
        answers.append(ratelimit.consume("sms", phone, now=1_000_000.0))
    assert answers == [True] * rate + [False] * 3
    worker_a.delete(ratelimit._key(ratelimit.limit_for("sms"), phone, 1_000_000.0))

    # The contrast: per-process memory counts each worker alone, so the pair lets twice the limit through.
    local_a, local_b = LocMemCache(f"{prefix}-a", {}), LocMemCache(f"{prefix}-b", {})
    allowed = 0
    for n in range(2 * rate + 2):
        monkeypatch.setattr(ratelimit, "cache", local_a if n % 2 == 0 else local_b)
        allowed += ratelimit.consume("sms", phone, now=1_000_000.0)
    assert allowed == 2 * rate
