"""The lean pipeline of POST /api/m2m/greencards/verify (config/wsgi.py → m2m.LeanDispatch, ADR 0007): every refusal
reason still answers through it, it sets the same security headers as Django's pipeline and the same body, the
hot path is two statements, and every middleware of the settings is either run or skipped for a written reason."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onestop.greencards import credential, m2m, services
from onestop.greencards.choices import VerifyChannel, VerifyReason
from onestop.greencards.models import Verification

URL = m2m.VERIFY_PATH
SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "Permissions-Policy",
    "Cache-Control",
    "Content-Type",
    "Content-Language",
    "WWW-Authenticate",
    "Retry-After",
    "Allow",
)


class Answer:
    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status_code = int(status.split()[0])
        self.headers = dict(headers)
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


def lean(
    method: str = "POST",
    *,
    key: str | None = None,
    body: bytes | str | None = None,
    app: m2m.LeanDispatch | None = None,
    **extra: str,
) -> Answer:
    """One request through the WSGI application of config/wsgi.py, as gunicorn would call it. Like Django's test
    client, it keeps close_old_connections from closing the test's transaction."""
    if key is not None:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    factory = RequestFactory()
    if method == "POST":
        request = factory.generic(
            "POST", URL, body if body is not None else b"", content_type="application/json", **extra
        )
    else:
        request = factory.generic(method, URL, **extra)
    dispatch = app or m2m.LeanDispatch(lambda environ, start_response: pytest.fail("went to Django"))
    seen: list[Any] = []
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        result = dispatch(
            request.environ, lambda status, headers, exc_info=None: seen.append((status, headers))
        )
        payload = b"".join(result)
        result.close()  # type: ignore[attr-defined]
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return Answer(seen[0][0], seen[0][1], payload)


def verify(key: str, token: str, **extra: str) -> Answer:
    return lean(key=key, body=json.dumps({"token": token}), **extra)


@pytest.fixture
def hospital_key(partners):
    checker = partners.hospital.checker
    return services.api_key_create(checker=checker, name="一号窗口扫码枪", actor=checker).secret


def _signed(card_id: str, card_class: str, *, nbf: int, exp: int) -> str:
    key, private = services._active_key()
    return credential.sign(
        private_key=private, kid=key.kid, card_id=card_id, card_class=card_class, not_before=nbf, expires=exp
    )


def test_only_the_verify_path_takes_the_lean_pipeline():
    calls: list[str] = []

    def django_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        calls.append(environ["PATH_INFO"])
        start_response("204 No Content", [])
        return []

    dispatch = m2m.LeanDispatch(django_app)
    for other in ("/api/m2m/greencards/verify/", "/api/v1/greencards/verify", "/greencards/verify/"):
        dispatch(RequestFactory().post(other).environ, lambda *a: None)
    assert calls == ["/api/m2m/greencards/verify/", "/api/v1/greencards/verify", "/greencards/verify/"]


def test_config_wsgi_application_is_the_lean_dispatch():
    from config import wsgi

    assert isinstance(wsgi.application, m2m.LeanDispatch)
    assert wsgi.application.django_app is wsgi.django_application


def test_every_middleware_is_run_or_skipped_for_a_reason():
    configured = list(settings.MIDDLEWARE)
    assert set(m2m.LEAN_MIDDLEWARE).isdisjoint(m2m.LEAN_SKIPPED)
    assert set(configured) == set(m2m.LEAN_MIDDLEWARE) | set(m2m.LEAN_SKIPPED), (
        "a middleware was added or removed: list it in m2m.LEAN_MIDDLEWARE or m2m.LEAN_SKIPPED (with the reason)"
    )
    assert [m for m in configured if m in m2m.LEAN_MIDDLEWARE] == list(m2m.LEAN_MIDDLEWARE)  # same order


def test_a_valid_card_same_body_and_security_headers_as_django(card, holder, partners, hospital_key):
    through_django = Client().post(
        URL,
        {"token": card.token},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {hospital_key}",
    )
    through_lean = verify(hospital_key, card.token)
    assert through_lean.status_code == through_django.status_code == 200
    mine, theirs = through_lean.json(), through_django.json()
    for body in (mine, theirs):
        body.pop("verification_id"), body.pop("checked_at")
    assert mine == theirs
    assert mine["card"]["name"] == holder.real_name and mine["card"]["entitlements"] == {
        "medical_green_channel": True
    }
    for name in SECURITY_HEADERS:
        assert through_lean.headers.get(name) == through_django.headers.get(name), name
    assert (
        through_lean.headers["Content-Security-Policy"] and through_lean.headers["X-Frame-Options"] == "DENY"
    )
    assert not any(h.lower() == "set-cookie" for h in through_lean.headers)
    v = Verification.objects.order_by("-id").first()
    assert (v.channel, v.card_id, v.checker_id) == (VerifyChannel.M2M, card.pk, partners.hospital.checker.pk)


def test_the_lean_hot_path_is_two_statements(card, hospital_key):
    verify(hospital_key, card.token)  # warm the signing-key cache
    with CaptureQueriesContext(connection) as queries:
        assert verify(hospital_key, card.token).status_code == 200
    statements = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("SELECT", "INSERT"))
    ]
    # the key with its scope, its rate count and the card; the scan-log insert
    assert len(statements) == 2, [q[:80] for q in statements]
    assert statements[0].lstrip().upper().startswith("SELECT") and statements[1].lstrip().upper().startswith(
        "INSERT"
    )


def test_a_refused_key_costs_one_statement_and_no_log(card, hospital_key):
    with CaptureQueriesContext(connection) as queries:
        assert verify(hospital_key[:-2] + "xx", card.token).status_code == 401
    assert len([q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]) == 1
    assert not Verification.objects.exists()


def _reason_case(name: str, card, holder) -> str:
    """Make the world in which ``card``'s token (or a token made here) is refused for ``name``; return the token."""
    now = int(timezone.now().timestamp())
    nbf, exp = services.validity_window(card.valid_from, card.valid_until)
    if name == "malformed":
        return "not-a-token"
    if name == "unsupported":
        head = credential.b64url_encode(b'{"alg":"none","kid":"x","typ":"gc+jwt"}')
        return f"{head}.{card.token.split('.')[1]}.{card.token.split('.')[2]}"
    if name == "unknown_key":
        return credential.sign(
            private_key=Ed25519PrivateKey.generate(),
            kid="gk-imposter",
            card_id=card.card_id,
            card_class="B",
            not_before=nbf,
            expires=exp,
        )
    if name == "key_compromised":
        token = card.token
        services.signing_key_compromise(kid=card.signing_key.kid, reason="备份外泄")
        return token
    if name == "bad_signature":
        head, body, sig = card.token.split(".")
        raw = bytearray(credential.b64url_decode(sig))
        raw[10] ^= 0x01  # one flipped byte
        return f"{head}.{body}.{credential.b64url_encode(bytes(raw))}"
    if name == "not_yet_valid":
        return _signed(card.card_id, card.card_class, nbf=now + 86400, exp=now + 2 * 86400)
    if name == "expired":
        return _signed(card.card_id, card.card_class, nbf=now - 2 * 86400, exp=now - 86400)
    if name == "revoked":
        services.card_revoke(card=card, reason="认定撤销")
    elif name == "suspended":
        services.card_suspend(card=card, reason="认定复核中")
    elif name == "replaced":
        token = card.token
        services.card_reissue(card=card, reason="遗失", actor=holder)
        return token
    elif name == "unknown_card":
        return _signed("ZZZZZZZZZZZZ", "B", nbf=nbf, exp=exp)
    return card.token


REFUSALS = [
    "malformed",
    "unsupported",
    "unknown_key",
    "key_compromised",
    "bad_signature",
    "not_yet_valid",
    "expired",
    "revoked",
    "suspended",
    "replaced",
    "unknown_card",
]


@pytest.mark.parametrize("reason", REFUSALS)
def test_every_refusal_reason_through_the_lean_path(reason, card, holder, partners, hospital_key):
    token = _reason_case(reason, card, holder)
    answer = verify(hospital_key, token)
    assert answer.status_code == 200, answer.body
    body = answer.json()
    assert (body["result"], body["reason"], body["card"]) == ("invalid", reason, None)
    assert body["message"] == str(VerifyReason(reason).label)
    logged = Verification.objects.order_by("-id").first()
    assert (logged.reason, logged.channel) == (reason, VerifyChannel.M2M)
    # A card is named in the log only when the token's signature held.
    trusted = reason in ("not_yet_valid", "expired", "revoked", "suspended", "replaced")
    assert (logged.card_id == card.pk) is trusted


@override_settings(GREENCARD_M2M_RATE_PER_MINUTE=2)
def test_rate_limited_through_the_lean_path(card, hospital_key):
    assert verify(hospital_key, card.token).status_code == 200
    assert verify(hospital_key, card.token).status_code == 200
    refused = verify(hospital_key, card.token)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    assert refused.json()["reason"] == "rate_limited"
    assert Verification.objects.filter(reason=VerifyReason.RATE_LIMITED).count() == 1


@pytest.mark.parametrize("presented", [None, "", "gck_", "gck_nope_secret", "gck_000000000000_x"])
def test_no_or_a_bad_key_is_401_through_the_lean_path(card, presented):
    answer = lean(
        body=json.dumps({"token": card.token}),
        **({"HTTP_AUTHORIZATION": f"Bearer {presented}"} if presented is not None else {}),
    )
    assert answer.status_code == 401 and answer.json()["code"] == "unauthenticated"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert answer.headers["X-Frame-Options"] == "DENY" and answer.headers["Content-Security-Policy"]


def test_a_revoked_key_is_401_at_once_through_the_lean_path(card, partners, hospital_key):
    from onestop.greencards.models import ApiKey

    assert verify(hospital_key, card.token).status_code == 200
    services.api_key_revoke(key=ApiKey.objects.get(), actor=partners.hospital.checker)
    assert verify(hospital_key, card.token).status_code == 401


def test_bad_body_get_nul_and_host_through_the_lean_path(card, hospital_key):
    assert lean(key=hospital_key, body=b"not json").status_code == 422
    assert lean(key=hospital_key, body=json.dumps({"token": "x" * 601})).status_code == 422
    got = lean("GET", key=hospital_key)
    assert got.status_code == 405 and got.headers["Allow"] == "POST"
    nul = lean(key=hospital_key, body=json.dumps({"token": card.token + "\x00"}))
    assert nul.status_code == 400 and not Verification.objects.exists()
    with override_settings(ALLOWED_HOSTS=["platform.example"]):
        assert verify(hospital_key, card.token, HTTP_HOST="evil.example").status_code == 400
        assert verify(hospital_key, card.token, HTTP_HOST="platform.example").status_code == 200


@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_is_redirected_like_every_other_url(card, hospital_key):
    answer = verify(hospital_key, card.token)
    assert answer.status_code == 301 and answer.headers["Location"].startswith("https://")
    assert not Verification.objects.exists()


def test_the_lean_path_answers_in_chinese_whatever_the_cookie(card, hospital_key):
    answer = verify(hospital_key, "garbage", HTTP_COOKIE=f"{settings.LANGUAGE_COOKIE_NAME}=en")
    assert answer.json()["message"] == "二维码内容不是有效的人才绿卡凭证"
    assert answer.headers["Content-Language"] == settings.LANGUAGE_CODE


def test_a_server_error_is_a_500_not_a_crash(card, hospital_key, monkeypatch):
    def boom(**_kw: Any) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(services, "card_verify_m2m", boom)
    answer = verify(hospital_key, card.token)
    assert answer.status_code == 500 and b"database gone" not in answer.body


def test_the_new_card_after_a_reissue_verifies_through_the_lean_path(card, holder, hospital_key):
    new = services.card_reissue(card=card, reason="遗失", actor=holder)
    assert verify(hospital_key, new.token).json()["result"] == "valid"
    assert verify(hospital_key, card.token).json()["reason"] == "replaced"
