"""The green card credential: a compact JWS (RFC 7515) signed with Ed25519 (``alg: EdDSA``, RFC 8037).

This module is a small library with no Django import, so the same code signs on the platform, verifies in the API and
is measured by the benchmark. Partners do not need it: ``docs/greencard_verify.py`` is a standalone copy of the
verification half that needs only ``cryptography`` (docs/greencard.md).

Token::

    BASE64URL({"alg":"EdDSA","kid":"<key id>","typ":"gc+jwt"}) . BASE64URL({"jti":..,"cls":..,"nbf":..,"exp":..}) . sig

Claims: ``jti`` the card id (random, opaque, not derived from the person), ``cls`` the card class, ``nbf``/``exp`` the
validity as Unix seconds. Nothing else: no name, ID number, phone or other personal data. Decoding is strict —
base64url must be canonical (no padding, no stray bits), the header must be exactly EdDSA with a key id and the
``gc+jwt`` type — so that one flipped character can never yield a token that still verifies.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALG = "EdDSA"
TYP = "gc+jwt"
MAX_TOKEN_LENGTH = 600


class Reason(StrEnum):
    """Why a token is refused (shared with the API and the offline script)."""

    MALFORMED = "malformed"
    UNSUPPORTED = "unsupported"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"


class TokenError(Exception):
    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Claims:
    card_id: str
    card_class: str
    not_before: int
    expires: int
    kid: str


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict: only the base64url alphabet, no padding, and the text must be the canonical encoding of its bytes."""
    if not text or "=" in text or len(text) % 4 == 1:
        raise TokenError(Reason.MALFORMED, "bad base64url segment")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise TokenError(Reason.MALFORMED, "bad base64url segment") from exc
    if b64url_encode(data) != text:
        raise TokenError(Reason.MALFORMED, "non-canonical base64url")
    return data


def _json(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def header_segment(kid: str) -> str:
    return b64url_encode(_json({"alg": ALG, "kid": kid, "typ": TYP}))


def sign(*, private_key: Ed25519PrivateKey, kid: str, card_id: str, card_class: str, not_before: int,
         expires: int) -> str:
    """Sign the four claims. Ed25519 is deterministic: the same card and key always give the same token."""
    if expires <= not_before:
        raise ValueError("expires must be after not_before")
    payload = b64url_encode(_json({"jti": card_id, "cls": card_class, "nbf": int(not_before), "exp": int(expires)}))
    signing_input = f"{header_segment(kid)}.{payload}"
    signature = private_key.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url_encode(signature)}"


def _object(segment: str) -> dict[str, Any]:
    try:
        value = json.loads(b64url_decode(segment))
    except (UnicodeDecodeError, ValueError) as exc:
        raise TokenError(Reason.MALFORMED, "segment is not JSON") from exc
    if not isinstance(value, dict):
        raise TokenError(Reason.MALFORMED, "segment is not a JSON object")
    return value


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """Split and parse a token without checking the signature: (header, payload, signing input, signature)."""
    token = token.strip()
    if len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
        raise TokenError(Reason.MALFORMED, "not a compact JWS")
    head, body, sig = token.split(".")
    header = _object(head)
    payload = _object(body)
    signature = b64url_decode(sig)
    return header, payload, f"{head}.{body}".encode("ascii"), signature


def _claims(header: Mapping[str, Any], payload: Mapping[str, Any]) -> Claims:
    if header.get("alg") != ALG or header.get("typ") != TYP or set(header) != {"alg", "kid", "typ"}:
        raise TokenError(Reason.UNSUPPORTED, "header must be exactly alg=EdDSA, kid, typ=gc+jwt")
    kid, jti, cls = header.get("kid"), payload.get("jti"), payload.get("cls")
    nbf, exp = payload.get("nbf"), payload.get("exp")
    if not isinstance(kid, str) or not kid:
        raise TokenError(Reason.MALFORMED, "kid")
    if not isinstance(jti, str) or not jti or not isinstance(cls, str) or not cls:
        raise TokenError(Reason.MALFORMED, "jti/cls")
    if type(nbf) is not int or type(exp) is not int or exp <= nbf:
        raise TokenError(Reason.MALFORMED, "nbf/exp")
    return Claims(card_id=jti, card_class=cls, not_before=nbf, expires=exp, kid=kid)


@dataclass(frozen=True, slots=True)
class Parsed:
    """A token split, decoded and shape-checked, signature not yet verified (``verify_parsed`` does that)."""

    claims: Claims
    signing_input: bytes
    signature: bytes


def parse(token: str) -> Parsed:
    """Decode and check the shape (strict header, typed claims) without the signature: the verification hot path
    reads the card id from here to fetch the card in the same database round trip as the API key, and trusts nothing
    in it until ``verify_parsed`` has checked the signature."""
    header, payload, signing_input, signature = decode_unverified(token)
    return Parsed(_claims(header, payload), signing_input, signature)


def verify(token: str, *, keys: Mapping[str, Ed25519PublicKey], now: int, leeway: int = 0) -> Claims:
    """Check the signature with the key named by ``kid`` and the validity at ``now`` (Unix seconds).

    Raises :class:`TokenError` with a :class:`Reason`. Revocation is a separate check (the card's status online, the
    revocation list offline)."""
    return verify_parsed(parse(token), keys=keys, now=now, leeway=leeway)


def verify_parsed(parsed: Parsed, *, keys: Mapping[str, Ed25519PublicKey], now: int, leeway: int = 0) -> Claims:
    """``verify`` for a token already ``parse``d."""
    claims, signing_input, signature = parsed.claims, parsed.signing_input, parsed.signature
    key = keys.get(claims.kid)
    if key is None:
        raise TokenError(Reason.UNKNOWN_KEY, claims.kid)
    if len(signature) != 64:
        raise TokenError(Reason.BAD_SIGNATURE, "length")
    try:
        key.verify(signature, signing_input)
    except InvalidSignature as exc:
        raise TokenError(Reason.BAD_SIGNATURE) from exc
    if now + leeway < claims.not_before:
        raise TokenError(Reason.NOT_YET_VALID)
    if now - leeway >= claims.expires:
        raise TokenError(Reason.EXPIRED)
    return claims


# --- keys -------------------------------------------------------------------------------------------------------

def public_raw(key: Ed25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def private_raw(key: Ed25519PrivateKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def public_jwk(kid: str, key: Ed25519PublicKey | bytes, **extra: Any) -> dict[str, Any]:
    """An OKP JWK (RFC 8037): ``{"kty":"OKP","crv":"Ed25519","x":..,"kid":..,"alg":"EdDSA","use":"sig"}``."""
    raw = key if isinstance(key, bytes) else public_raw(key)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw), "kid": kid, "alg": ALG, "use": "sig", **extra}


def keys_from_jwks(jwks: Mapping[str, Any]) -> dict[str, Ed25519PublicKey]:
    """The Ed25519 signing keys of a JWK set, by key id; other key types are ignored."""
    out: dict[str, Ed25519PublicKey] = {}
    for jwk in jwks.get("keys", []):
        if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and jwk.get("alg", ALG) == ALG and jwk.get("kid"):
            out[str(jwk["kid"])] = Ed25519PublicKey.from_public_bytes(b64url_decode(str(jwk["x"])))
    return out


def sign_document(*, private_key: Ed25519PrivateKey, kid: str, document: Mapping[str, Any],
                  typ: str = "gc-crl+jwt") -> str:
    """A compact JWS of any JSON document (the revocation list travels signed, so a copy on a USB stick is trusted)."""
    head = b64url_encode(_json({"alg": ALG, "kid": kid, "typ": typ}))
    body = b64url_encode(json.dumps(document, separators=(",", ":"), ensure_ascii=True, sort_keys=True).encode())
    signature = private_key.sign(f"{head}.{body}".encode("ascii"))
    return f"{head}.{body}.{b64url_encode(signature)}"


def verify_document(jws: str, *, keys: Mapping[str, Ed25519PublicKey], typ: str = "gc-crl+jwt") -> dict[str, Any]:
    parts = jws.strip().split(".")
    if len(parts) != 3:
        raise TokenError(Reason.MALFORMED, "not a compact JWS")
    header = _object(parts[0])
    if header.get("alg") != ALG or header.get("typ") != typ:
        raise TokenError(Reason.UNSUPPORTED, "header")
    key = keys.get(str(header.get("kid")))
    if key is None:
        raise TokenError(Reason.UNKNOWN_KEY, str(header.get("kid")))
    try:
        key.verify(b64url_decode(parts[2]), f"{parts[0]}.{parts[1]}".encode("ascii"))
    except InvalidSignature as exc:
        raise TokenError(Reason.BAD_SIGNATURE) from exc
    return _object(parts[1])
