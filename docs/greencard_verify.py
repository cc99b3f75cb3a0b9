#!/usr/bin/env python3
"""Verify a OneStop talent green card offline (人才绿卡离线核验).

Needs only Python 3.9+ and the ``cryptography`` package. Download the two public documents while online (daily is
enough; the revocation list says when to refresh it in ``next_update``):

    https://<platform>/.well-known/greencard/jwks.json         public keys
    https://<platform>/.well-known/greencard/revocations.json  revoked / suspended / replaced cards

then, offline:

    python3 greencard_verify.py --jwks jwks.json --revocations revocations.json TOKEN
    python3 greencard_verify.py --jwks jwks.json --revocations revocations.json --signed-revocations revocations.jwt TOKEN

Exit status 0 = valid, 1 = refused (the reason is printed as JSON), 2 = bad usage or unreadable files.
See docs/greencard.md for the token format.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class Refused(Exception):
    pass


def b64url_decode(text: str) -> bytes:
    if not text or "=" in text or len(text) % 4 == 1:
        raise Refused("malformed")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        raise Refused("malformed") from None
    if base64.urlsafe_b64encode(data).rstrip(b"=").decode() != text:  # canonical encoding only
        raise Refused("malformed")
    return data


def segment(text: str) -> dict:
    try:
        value = json.loads(b64url_decode(text))
    except ValueError:
        raise Refused("malformed") from None
    if not isinstance(value, dict):
        raise Refused("malformed")
    return value


def load_keys(jwks: dict) -> dict:
    keys = {}
    for jwk in jwks.get("keys", []):
        if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and jwk.get("kid"):
            keys[jwk["kid"]] = Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
    return keys


def check_jws(jws: str, keys: dict, typ: str) -> dict:
    parts = jws.strip().split(".")
    if len(parts) != 3 or (typ == "gc+jwt" and len(jws) > 600):
        raise Refused("malformed")
    header, payload = segment(parts[0]), segment(parts[1])
    if header.get("alg") != "EdDSA" or header.get("typ") != typ:
        raise Refused("unsupported")
    if typ == "gc+jwt" and set(header) != {"alg", "kid", "typ"}:
        raise Refused("unsupported")
    key = keys.get(header.get("kid"))
    if key is None:
        raise Refused("unknown_key")
    signature = b64url_decode(parts[2])
    try:
        key.verify(signature, f"{parts[0]}.{parts[1]}".encode("ascii"))
    except (InvalidSignature, ValueError):
        raise Refused("bad_signature") from None
    return payload


def verify(token: str, keys: dict, revoked: dict, now: int) -> dict:
    claims = check_jws(token, keys, "gc+jwt")
    jti, cls, nbf, exp = claims.get("jti"), claims.get("cls"), claims.get("nbf"), claims.get("exp")
    if not isinstance(jti, str) or not isinstance(cls, str) or type(nbf) is not int or type(exp) is not int:
        raise Refused("malformed")
    if now < nbf:
        raise Refused("not_yet_valid")
    if now >= exp:
        raise Refused("expired")
    if jti in revoked:
        raise Refused(revoked[jti])  # revoked | suspended | replaced
    return {"card_id": jti, "card_class": cls, "valid_from": nbf, "valid_until": exp}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a OneStop talent green card offline.")
    parser.add_argument("token", help="the text of the QR code")
    parser.add_argument("--jwks", required=True, help="jwks.json downloaded from /.well-known/greencard/")
    parser.add_argument("--revocations", help="revocations.json downloaded from /.well-known/greencard/")
    parser.add_argument("--signed-revocations", help="revocations.jwt (the signed list; checked with the keys)")
    parser.add_argument("--now", type=int, help="Unix time to check against (default: now)")
    parser.add_argument("--bench", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        with open(args.jwks, encoding="utf-8") as fh:
            keys = load_keys(json.load(fh))
        revoked: dict = {}
        if args.signed_revocations:
            with open(args.signed_revocations, encoding="utf-8") as fh:
                document = check_jws(fh.read(), keys, "gc-crl+jwt")
            revoked.update({r["jti"]: r["reason"] for r in document.get("revoked", [])})
        if args.revocations:
            with open(args.revocations, encoding="utf-8") as fh:
                revoked.update({r["jti"]: r["reason"] for r in json.load(fh).get("revoked", [])})
    except (OSError, ValueError, KeyError, Refused) as exc:
        print(json.dumps({"error": f"cannot read the key set or revocation list: {exc}"}), file=sys.stderr)
        return 2
    now = args.now if args.now is not None else int(time.time())
    if args.bench:
        start = time.perf_counter()
        for _i in range(args.bench):
            verify(args.token, keys, revoked, now)
        elapsed = time.perf_counter() - start
        print(json.dumps({"verifications": args.bench, "seconds": round(elapsed, 4),
                          "per_second": round(args.bench / elapsed)}))
        return 0
    try:
        result = verify(args.token, keys, revoked, now)
    except Refused as exc:
        print(json.dumps({"valid": False, "reason": str(exc)}))
        return 1
    print(json.dumps({"valid": True, **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
