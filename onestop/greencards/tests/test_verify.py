"""Verification by partners: each partner sees exactly its fields, every attempt is logged, the holder sees the log,
the rate limit per checker, the API, the scan page, the photo, the published documents."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from onestop.core.tests.factories import TalentFactory
from onestop.greencards import services
from onestop.greencards.choices import VerifyReason
from onestop.greencards.models import Verification

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

EXPECTED = {
    "hospital": {"name", "photo_url", "card_class", "card_class_label", "valid_until", "entitlements"},
    "school": {"name", "photo_url", "card_class", "card_class_label", "valid_until", "entitlements"},
    "bank": {"name", "card_class", "card_class_label", "valid_until"},
    "park": {"name", "photo_url", "card_class", "card_class_label", "valid_until", "employer"},
    "housing": {"name", "photo_url", "card_class", "card_class_label", "valid_until", "entitlements"},
}
ENTITLEMENTS = {
    "hospital": {"medical_green_channel": True},
    "school": {"school_enrolment": True},
    "housing": {"housing_support": True, "talent_apartment": True},
}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_each_partner_sees_exactly_its_fields(card, holder, partners, kind):
    outcome = services.card_verify(token=card.token, checker=getattr(partners, kind).checker)
    assert outcome.valid
    assert set(outcome.fields) == EXPECTED[kind]
    assert outcome.fields["name"] == holder.real_name
    if kind in ENTITLEMENTS:
        assert outcome.fields["entitlements"] == ENTITLEMENTS[kind]
    shown = json.dumps(outcome.fields, ensure_ascii=False)
    for never in (holder.id_number, holder.phone, card.card_id, card.token):
        assert never not in shown


def test_the_medical_green_channel_follows_the_card_class(holder, partners):
    from .conftest import issue

    card = issue(holder, card_class="E")  # E carries no medical green channel by default
    outcome = services.card_verify(token=card.token, checker=partners.hospital.checker)
    assert outcome.fields["entitlements"] == {"medical_green_channel": False}


def test_a_refused_token_shows_nothing_but_the_reason(card, partners):
    services.card_revoke(card=card, reason="撤销")
    outcome = services.card_verify(token=card.token, checker=partners.hospital.checker)
    assert outcome.reason == VerifyReason.REVOKED and outcome.fields == {}
    assert outcome.message == "绿卡已撤销"


def test_every_verification_is_logged_and_the_holder_sees_who_checked(card, holder, partners, login):
    services.card_verify(token=card.token, checker=partners.hospital.checker, channel="scan", source_ip="10.0.0.8")
    services.card_verify(token=card.token, checker=partners.bank.checker, channel="paste")
    services.card_verify(token="garbage", checker=partners.bank.checker)
    assert Verification.objects.count() == 3
    forged = Verification.objects.get(card__isnull=True)
    assert forged.reason == VerifyReason.MALFORMED and forged.result == "invalid"
    response = login(holder).get(reverse("greencards:card"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="scan-partner"') == 2  # the forged token was nobody's card
    assert "测试医院" in html and "测试银行" in html
    api = login(holder).get("/api/v1/greencards/card/scans").json()
    assert [s["partner_kind"] for s in api] == ["bank", "hospital"]
    assert {s["message"] for s in api} == {"绿卡有效"}
    # Another talent sees none of it.
    assert login(TalentFactory()).get("/api/v1/greencards/card/scans").json() == []


@override_settings(GREENCARD_VERIFY_RATE_PER_MINUTE=3)
def test_verification_is_rate_limited_per_checker(card, partners):
    checker = partners.hospital.checker
    now = timezone.now()
    for _i in range(3):
        assert services.card_verify(token=card.token, checker=checker, now=now).valid
    with pytest.raises(services.RateLimited):
        services.card_verify(token=card.token, checker=checker, now=now)
    assert Verification.objects.filter(reason=VerifyReason.RATE_LIMITED).count() == 1
    # Another checker is not affected; a minute later the first may verify again.
    assert services.card_verify(token=card.token, checker=partners.bank.checker, now=now).valid
    assert services.card_verify(token=card.token, checker=checker, now=now + timedelta(seconds=61)).valid


@override_settings(GREENCARD_VERIFY_RATE_PER_MINUTE=1)
def test_the_api_answers_429_with_retry_after(card, partners, login):
    client = login(partners.school.checker, otp=True)
    assert client.post("/api/v1/greencards/verify", {"token": card.token}, content_type="application/json").status_code == 200
    response = client.post("/api/v1/greencards/verify", {"token": card.token}, content_type="application/json")
    assert response.status_code == 429 and response["Retry-After"] == "60"
    assert response.json()["reason"] == "rate_limited"


def test_api_verify(card, partners, login):
    client = login(partners.hospital.checker, otp=True)
    body = client.post("/api/v1/greencards/verify", {"token": card.token}, content_type="application/json").json()
    assert body["result"] == "valid" and body["reason"] == "ok" and body["partner"]["kind"] == "hospital"
    assert body["card"]["entitlements"] == {"medical_green_channel": True}
    tampered = card.token[:-3] + ("AAA" if not card.token.endswith("AAA") else "BBB")
    body = client.post("/api/v1/greencards/verify", {"token": tampered}, content_type="application/json").json()
    assert body["result"] == "invalid" and body["card"] is None
    assert body["reason"] in {"bad_signature", "malformed"}


def test_api_verify_is_for_checkers_only(card, holder, login, staff):
    for client in (login(holder), login(staff, otp=True)):
        response = client.post("/api/v1/greencards/verify", {"token": card.token}, content_type="application/json")
        assert response.status_code == 404
    from django.test import Client

    assert Client().post("/api/v1/greencards/verify", {"token": card.token},
                         content_type="application/json").status_code == 401
    assert Verification.objects.count() == 0


def test_a_checker_without_the_second_factor_gets_nowhere(card, partners, login):
    response = login(partners.hospital.checker).post("/api/v1/greencards/verify", {"token": card.token},
                                                     content_type="application/json")
    assert response.status_code == 401


def test_scan_page_and_htmx_result(card, partners, login):
    client = login(partners.hospital.checker, otp=True)
    page = client.get(reverse("greencards:verify"))
    html = page.content.decode()
    assert page.status_code == 200 and "js/greencard_scan.js" in html and "<script>" not in html
    assert 'id="gc-video"' in html and "测试医院" in html
    result = client.post(reverse("greencards:verify"), {"token": card.token, "channel": "scan"}, HTTP_HX_REQUEST="true")
    text = result.content.decode()
    assert 'id="verify-valid"' in text and card.holder.real_name in text and "医疗绿色通道" in text
    assert card.holder.id_number not in text
    assert Verification.objects.get().channel == "scan"
    bad = client.post(reverse("greencards:verify"), {"token": "x.y.z", "channel": "paste"}, HTTP_HX_REQUEST="true")
    assert 'id="verify-invalid"' in bad.content.decode()


def test_the_partner_desk_links_to_the_scan_page(partners, login):
    html = login(partners.bank.checker, otp=True).get(reverse("core:partner_home")).content.decode()
    assert reverse("greencards:verify") in html


def test_photo_is_shown_to_the_checker_of_a_recent_valid_scan_only(card, holder, partners, login):
    services.card_photo_set(holder=holder, content=PNG, content_type="image/png")
    outcome = services.card_verify(token=card.token, checker=partners.hospital.checker)
    url = outcome.fields["photo_url"]
    assert url == reverse("greencards:verification_photo", kwargs={"pk": outcome.verification.pk})
    assert card.card_id not in url  # the scan id, not the person or the card
    assert login(partners.hospital.checker, otp=True).get(url).content == PNG
    assert login(partners.school.checker, otp=True).get(url).status_code == 404
    Verification.objects.filter(pk=outcome.verification.pk).update(checked_at=timezone.now() - timedelta(hours=1))
    assert login(partners.hospital.checker, otp=True).get(url).status_code == 404
    # The bank's field set has no photo.
    assert "photo_url" not in services.card_verify(token=card.token, checker=partners.bank.checker).fields


def test_photo_upload_refuses_other_files(card, holder):
    from onestop.core.exceptions import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        services.card_photo_set(holder=holder, content=b"<svg/>", content_type="image/png")
    assert exc.value.field_errors["photo"] == ["照片：请上传 JPG 或 PNG 格式的证件照。"]


def test_published_jwks_and_revocation_list(card, client):
    services.card_revoke(card=card, reason="撤销")
    jwks = client.get("/.well-known/greencard/jwks.json")
    assert jwks.status_code == 200 and jwks["Content-Type"] == "application/json"
    key = jwks.json()["keys"][0]
    assert key | {"x": "-"} == {"kty": "OKP", "crv": "Ed25519", "x": "-", "kid": card.signing_key.kid, "alg": "EdDSA",
                                "use": "sig", "status": "active"}
    assert "d" not in key
    crl = client.get("/.well-known/greencard/revocations.json").json()
    assert crl["revoked"] == [{"jti": card.card_id, "reason": "revoked", "since": crl["revoked"][0]["since"]}]
    assert client.get("/.well-known/greencard/revocations.jwt")["Content-Type"] == "application/jwt"


def test_the_card_page_pdf_and_api_for_the_holder(card, holder, login):
    client = login(holder)
    html = client.get(reverse("greencards:card")).content.decode()
    assert "<svg" in html and card.card_id in html and "B 卡" in html
    api = client.get("/api/v1/greencards/card").json()
    assert api["token"] == card.token and "medical_green_channel" in api["entitlements"]
    pdf = client.get(reverse("greencards:card_pdf"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert login(TalentFactory()).get(reverse("greencards:card_pdf")).status_code == 404
