"""The credential library on its own: format, strict decoding, signature, validity, no personal data."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from onestop.greencards import credential
from onestop.greencards.credential import Reason, TokenError

NOW = 1_800_000_000


@pytest.fixture(scope="module")
def key():
    return Ed25519PrivateKey.generate()


def _token(key, **over):
    claims = {"kid": "k1", "card_id": "ABCDEFGH2345", "card_class": "B", "not_before": NOW - 10, "expires": NOW + 10}
    claims.update(over)
    return credential.sign(private_key=key, **claims)


def _keys(key, kid="k1"):
    return {kid: key.public_key()}


def test_a_signed_token_verifies_and_carries_only_the_four_claims(key):
    token = _token(key)
    claims = credential.verify(token, keys=_keys(key), now=NOW)
    assert claims == credential.Claims("ABCDEFGH2345", "B", NOW - 10, NOW + 10, "k1")
    header, payload, _si, sig = credential.decode_unverified(token)
    assert header == {"alg": "EdDSA", "kid": "k1", "typ": "gc+jwt"}
    assert set(payload) == {"jti", "cls", "nbf", "exp"}
    assert len(sig) == 64
    assert len(token) < 260  # fits a small QR code


@pytest.mark.parametrize("position", range(0, 240, 1))
def test_one_flipped_character_anywhere_is_refused(key, position):
    token = _token(key)
    if position >= len(token) or token[position] == ".":
        pytest.skip("separator or past the end")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    flipped = alphabet[(alphabet.index(token[position]) + 1) % 64]
    tampered = token[:position] + flipped + token[position + 1:]
    with pytest.raises(TokenError) as exc:
        credential.verify(tampered, keys=_keys(key), now=NOW)
    assert exc.value.reason in {Reason.BAD_SIGNATURE, Reason.MALFORMED, Reason.UNSUPPORTED, Reason.UNKNOWN_KEY}


def test_one_flipped_bit_in_the_signature_bytes_is_refused(key):
    head, body, sig = _token(key).split(".")
    raw = bytearray(credential.b64url_decode(sig))
    raw[17] ^= 0x01
    with pytest.raises(TokenError) as exc:
        credential.verify(f"{head}.{body}.{credential.b64url_encode(bytes(raw))}", keys=_keys(key), now=NOW)
    assert exc.value.reason == Reason.BAD_SIGNATURE


def test_non_canonical_base64_of_the_same_signature_is_refused(key):
    """The last character of an 86-character segment has 4 unused bits: a variant decoding to the same bytes must
    not pass (a 'different' token that still verifies would defeat the flipped-byte guarantee)."""
    head, body, sig = _token(key).split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    variant = sig[:-1] + alphabet[alphabet.index(sig[-1]) | 1]
    assert variant != sig
    assert base64.urlsafe_b64decode(variant + "==") == base64.urlsafe_b64decode(sig + "==")
    with pytest.raises(TokenError) as exc:
        credential.verify(f"{head}.{body}.{variant}", keys=_keys(key), now=NOW)
    assert exc.value.reason == Reason.MALFORMED


def test_a_wrong_key_is_refused(key):
    other = Ed25519PrivateKey.generate()
    with pytest.raises(TokenError) as exc:
        credential.verify(_token(key), keys=_keys(other), now=NOW)
    assert exc.value.reason == Reason.BAD_SIGNATURE
    with pytest.raises(TokenError) as exc:
        credential.verify(_token(key), keys=_keys(key, kid="k2"), now=NOW)
    assert exc.value.reason == Reason.UNKNOWN_KEY


def test_expiry_and_not_yet_valid(key):
    token = _token(key)
    with pytest.raises(TokenError) as exc:
        credential.verify(token, keys=_keys(key), now=NOW + 10)
    assert exc.value.reason == Reason.EXPIRED
    with pytest.raises(TokenError) as exc:
        credential.verify(token, keys=_keys(key), now=NOW - 11)
    assert exc.value.reason == Reason.NOT_YET_VALID
    assert credential.verify(token, keys=_keys(key), now=NOW + 9).card_id == "ABCDEFGH2345"


def _forge(key, header, payload):
    head = credential.b64url_encode(json.dumps(header).encode())
    body = credential.b64url_encode(json.dumps(payload).encode())
    sig = credential.b64url_encode(key.sign(f"{head}.{body}".encode()))
    return f"{head}.{body}.{sig}"


@pytest.mark.parametrize("header", [
    {"alg": "none", "kid": "k1", "typ": "gc+jwt"},
    {"alg": "HS256", "kid": "k1", "typ": "gc+jwt"},
    {"alg": "EdDSA", "kid": "k1", "typ": "JWT"},
    {"alg": "EdDSA", "kid": "k1", "typ": "gc+jwt", "jwk": {"kty": "OKP"}},
])
def test_other_algorithms_types_and_embedded_keys_are_refused(key, header):
    token = _forge(key, header, {"jti": "X", "cls": "B", "nbf": NOW - 1, "exp": NOW + 1})
    with pytest.raises(TokenError) as exc:
        credential.verify(token, keys=_keys(key), now=NOW)
    assert exc.value.reason == Reason.UNSUPPORTED


@pytest.mark.parametrize("text", ["", "abc", "a.b", "a.b.c.d", "x" * 700, "eyJ.eyJ.AAAA", "...", "é.é.é"])
def test_garbage_is_malformed(key, text):
    with pytest.raises(TokenError) as exc:
        credential.verify(text, keys=_keys(key), now=NOW)
    assert exc.value.reason == Reason.MALFORMED


def test_jwks_round_trip(key):
    jwks = {"keys": [credential.public_jwk("k1", key.public_key()), {"kty": "RSA", "kid": "r"}]}
    keys = credential.keys_from_jwks(json.loads(json.dumps(jwks)))
    assert list(keys) == ["k1"]
    assert credential.verify(_token(key), keys=keys, now=NOW).card_class == "B"


def test_signed_documents(key):
    jws = credential.sign_document(private_key=key, kid="k1", document={"revoked": [{"jti": "A"}]})
    assert credential.verify_document(jws, keys=_keys(key)) == {"revoked": [{"jti": "A"}]}
    head, _body, sig = jws.split(".")
    other = credential.b64url_encode(b'{"revoked":[]}')
    with pytest.raises(TokenError):
        credential.verify_document(f"{head}.{other}.{sig}", keys=_keys(key))
