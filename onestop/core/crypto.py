"""Field encryption for personal data (ID and phone numbers) and the keyed blind index used to look them up.

Ciphertext is AES-256-GCM with a random 96-bit nonce, stored as ``v1:<key id>:<base64(nonce || ciphertext)>``.
The key id travels with every value so keys can be rotated: the first key in ``ONESTOP_FIELD_KEYS`` encrypts, all
listed keys decrypt, and ``manage.py rotate_field_keys`` re-encrypts old rows. The blind index is an HMAC-SHA256 of
the normalised value under a separate key, so equality lookups work without ever storing the plaintext.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "v1"


class DecryptionError(Exception):
    """A stored value could not be decrypted (unknown key id, tampered ciphertext)."""


@dataclass(frozen=True)
class KeyRing:
    active_id: str
    keys: dict[str, bytes]
    blind_key: bytes


def _decode_key(raw: str, what: str) -> bytes:
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured(f"{what} is not valid base64") from exc
    if len(key) != 32:
        raise ImproperlyConfigured(f"{what} must decode to 32 bytes, got {len(key)}")
    return key


@lru_cache(maxsize=4)
def _parse(field_keys: str, blind_key: str) -> KeyRing:
    keys: dict[str, bytes] = {}
    active = ""
    for item in field_keys.split(","):
        item = item.strip()
        if not item:
            continue
        key_id, sep, raw = item.partition(":")
        if not sep or not key_id:
            raise ImproperlyConfigured("ONESTOP_FIELD_KEYS entries must look like keyid:base64key")
        keys[key_id] = _decode_key(raw, f"field key {key_id}")
        active = active or key_id
    if not keys:
        raise ImproperlyConfigured("ONESTOP_FIELD_KEYS holds no key")
    return KeyRing(active_id=active, keys=keys, blind_key=_decode_key(blind_key, "ONESTOP_BLIND_INDEX_KEY"))


def keyring() -> KeyRing:
    return _parse(settings.ONESTOP_FIELD_KEYS, settings.ONESTOP_BLIND_INDEX_KEY)


def encrypt(plaintext: str, *, key_id: str | None = None) -> str:
    ring = keyring()
    kid = key_id or ring.active_id
    nonce = os.urandom(12)
    sealed = AESGCM(ring.keys[kid]).encrypt(nonce, plaintext.encode("utf-8"), kid.encode("ascii"))
    return f"{PREFIX}:{kid}:{base64.b64encode(nonce + sealed).decode('ascii')}"


def key_id_of(token: str) -> str:
    parts = token.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise DecryptionError("not an encrypted value")
    return parts[1]


def decrypt(token: str) -> str:
    ring = keyring()
    kid = key_id_of(token)
    key = ring.keys.get(kid)
    if key is None:
        raise DecryptionError(f"unknown key id {kid}")
    blob = base64.b64decode(token.split(":", 2)[2])
    try:
        return AESGCM(key).decrypt(blob[:12], blob[12:], kid.encode("ascii")).decode("utf-8")
    except InvalidTag as exc:
        raise DecryptionError("ciphertext was altered or the key is wrong") from exc


def blind_index(value: str, *, purpose: str) -> str:
    """HMAC of the normalised value; ``purpose`` separates index spaces (phone numbers never match ID numbers)."""
    mac = hmac.new(keyring().blind_key, f"{purpose}\x00{value}".encode(), hashlib.sha256)
    return mac.hexdigest()[:40]
