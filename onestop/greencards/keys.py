"""Signing-key storage and the verification key cache.

Private keys are never stored in plaintext: each is sealed with AES-256-GCM under a key-encryption key (KEK) from the
environment, ``ONESTOP_GREENCARD_KEYS = "kekid:base64-32-bytes,..."`` (the first seals, every listed one opens), as
``v1:<kek id>:<base64(nonce || ciphertext)>`` with ``greencard-signing-key:<kid>`` bound as associated data — the same
pattern as the personal-data field keys (core/crypto.py), under a separate key so the two can be rotated apart.

Verification needs the public keys on every request, so each process keeps them for ``GREENCARD_KEY_CACHE_SECONDS``
(default 10 s). A rotation or a compromise in this process clears the cache at once; other processes follow within the
TTL.
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from . import credential
from .choices import KeyStatus

PREFIX = "v1"


@dataclass(frozen=True)
class Kek:
    active_id: str
    keys: dict[str, bytes]


@lru_cache(maxsize=4)
def _parse(spec: str) -> Kek:
    keys: dict[str, bytes] = {}
    active = ""
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        kid, sep, raw = item.partition(":")
        if not sep or not kid:
            raise ImproperlyConfigured("ONESTOP_GREENCARD_KEYS entries must look like keyid:base64key")
        try:
            key = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ImproperlyConfigured(f"green card key {kid} is not valid base64") from exc
        if len(key) != 32:
            raise ImproperlyConfigured(f"green card key {kid} must decode to 32 bytes")
        keys[kid] = key
        active = active or kid
    if not keys:
        raise ImproperlyConfigured("ONESTOP_GREENCARD_KEYS holds no key")
    return Kek(active, keys)


def kek() -> Kek:
    return _parse(settings.ONESTOP_GREENCARD_KEYS)


def _aad(kid: str) -> bytes:
    return f"greencard-signing-key:{kid}".encode()


def seal_private_key(kid: str, key: Ed25519PrivateKey) -> str:
    ring = kek()
    nonce = os.urandom(12)
    sealed = AESGCM(ring.keys[ring.active_id]).encrypt(nonce, credential.private_raw(key), _aad(kid))
    return f"{PREFIX}:{ring.active_id}:{base64.b64encode(nonce + sealed).decode('ascii')}"


def open_private_key(kid: str, sealed: str) -> Ed25519PrivateKey:
    parts = sealed.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise ImproperlyConfigured(f"signing key {kid} is not sealed")
    key = kek().keys.get(parts[1])
    if key is None:
        raise ImproperlyConfigured(f"signing key {kid} is sealed under unknown KEK {parts[1]}")
    blob = base64.b64decode(parts[2])
    try:
        raw = AESGCM(key).decrypt(blob[:12], blob[12:], _aad(kid))
    except InvalidTag as exc:
        raise ImproperlyConfigured(f"signing key {kid} cannot be opened (altered or wrong KEK)") from exc
    return Ed25519PrivateKey.from_private_bytes(raw)


def kek_id_of(sealed: str) -> str:
    return sealed.split(":", 2)[1]


# --- the verification key cache ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class KeyInfo:
    public: Ed25519PublicKey
    status: str
    verify_until: datetime | None


@dataclass(frozen=True)
class Ring:
    """The key cache's content: every key not compromised (``all``), the public keys a token may verify with
    (``usable``: active and retired) and the ids of compromised keys (``compromised``), built once per load so the
    verification hot path does no per-request work on them."""

    all: dict[str, KeyInfo]
    usable: dict[str, Ed25519PublicKey]
    compromised: frozenset[str]


_lock = threading.Lock()
_cache: tuple[float, Ring] | None = None


def invalidate() -> None:
    global _cache
    with _lock:
        _cache = None


def verifying_keys() -> Ring:
    """The keys as of at most ``GREENCARD_KEY_CACHE_SECONDS`` ago (public key objects built once per load)."""
    global _cache
    now = time.monotonic()
    cached = _cache
    if cached is not None and now - cached[0] < settings.GREENCARD_KEY_CACHE_SECONDS:
        return cached[1]
    from .models import SigningKey

    loaded = {
        kid: KeyInfo(Ed25519PublicKey.from_public_bytes(credential.b64url_decode(public)), status, until)
        for kid, public, status, until in SigningKey.objects.values_list("kid", "public_key", "status", "verify_until")
    }
    ring = Ring(all=loaded,
                usable={kid: info.public for kid, info in loaded.items() if info.status != KeyStatus.COMPROMISED},
                compromised=frozenset(kid for kid, info in loaded.items() if info.status == KeyStatus.COMPROMISED))
    with _lock:
        _cache = (now, ring)
    return ring


def verification_keys() -> dict[str, KeyInfo]:
    """Every signing key with its status (compromised ones included, marked so)."""
    return verifying_keys().all


def usable_public_keys(at: datetime | None = None) -> dict[str, Ed25519PublicKey]:
    """Keys that verify now: the active key, and retired keys until the last token they signed expires."""
    moment = at or timezone.now()
    return {kid: info.public for kid, info in verification_keys().items()
            if info.status == KeyStatus.ACTIVE
            or (info.status == KeyStatus.RETIRED and info.verify_until is not None and info.verify_until > moment)}


def compromised_kids() -> set[str]:
    return set(verifying_keys().compromised)
