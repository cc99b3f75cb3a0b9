"""A small fixed-window rate limiter on Django's cache, for the abuse-prone public actions: registration (per client
IP) and SMS sending (per number). Login has django-axes; green-card verification its own per-checker limit.

The counter lives in the ``default`` cache; ``cache.add`` + ``cache.incr`` are atomic in every shared backend
(database, Redis, Memcached). With several worker processes production must configure a shared cache
(docs/operations.md), or each process counts alone. Identifiers are hashed before they become cache keys, so no
phone number or IP address is stored in clear."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from .exceptions import ApplicationError, ErrorCode


@dataclass(frozen=True)
class Limit:
    scope: str
    rate: int
    seconds: int


# scope -> (requests, window in seconds); ONESTOP_RATE_LIMITS overrides any of them.
DEFAULTS: dict[str, tuple[int, int]] = {
    "register": (10, 3600),  # new accounts per client IP per hour
    "sms": (5, 600),  # text messages per phone number per 10 minutes
}


class RateLimited(ApplicationError):
    code = ErrorCode.RATE_LIMITED
    status = 429


def limit_for(scope: str) -> Limit:
    overrides: dict[str, tuple[int, int]] = getattr(settings, "ONESTOP_RATE_LIMITS", {}) or {}
    rate, seconds = overrides.get(scope, DEFAULTS[scope])
    return Limit(scope, int(rate), int(seconds))


def _key(limit: Limit, identity: str, now: float) -> str:
    digest = hashlib.sha256(f"{limit.scope}\x00{identity}".encode()).hexdigest()[:32]
    return f"rl:{limit.scope}:{digest}:{int(now // limit.seconds)}"


def consume(scope: str, identity: str, *, now: float | None = None) -> bool:
    """Count one attempt; True while the identity is within its limit for the current window."""
    limit = limit_for(scope)
    key = _key(limit, identity, time.time() if now is None else now)
    cache.add(key, 0, timeout=limit.seconds + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=limit.seconds + 1)
        count = 1
    return count <= limit.rate


def enforce(scope: str, identity: str) -> None:
    """Raise ``RateLimited`` (HTTP 429, a Chinese message) once the identity is over its limit."""
    if not consume(scope, identity):
        raise RateLimited(_("操作过于频繁，请稍后再试。"), extra={"retry_after": limit_for(scope).seconds})
