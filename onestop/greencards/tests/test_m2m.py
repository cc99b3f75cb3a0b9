"""Machine-to-machine verification by API key: the key's lifecycle (shown once, hash only, revoked → 401), the
partner's field set, the per-key rate limit, the scan log and the audit trail, no session, no CSRF, no cookie."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from onestop.core.models import AuditEvent, RoleAssignment
from onestop.core.tests.factories import PartnerUserFactory
from onestop.greencards import selectors, services
from onestop.greencards.choices import VerifyChannel, VerifyReason
from onestop.greencards.models import ApiKey, Verification

URL = "/api/m2m/greencards/verify"


def post(client: Client, key: str | None, token: str, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key is not None else {}
    return client.post(URL, {"token": token}, content_type="application/json", **headers, **extra)


@pytest.fixture
def hospital_key(partners):
    checker = partners.hospital.checker
    return services.api_key_create(checker=checker, name="一号窗口扫码枪", actor=checker)


def test_a_key_is_shown_once_and_stored_only_as_its_hash(hospital_key):
    key = ApiKey.objects.get()
    assert hospital_key.secret.startswith(f"gck_{key.key_id}_") and len(hospital_key.secret) >= 50
    assert key.secret_hash == hashlib.sha256(hospital_key.secret.encode()).hexdigest()
    secret_part = hospital_key.secret.split("_", 2)[2]
    for row in ApiKey.objects.values_list():
        assert not any(secret_part in str(value) for value in row)
    event = AuditEvent.objects.get(action="greencard.apikey.create")
    assert secret_part not in str(event.__dict__)


def test_the_database_refuses_a_plain_secret(partners, hospital_key):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ApiKey.objects.filter(pk=hospital_key.key.pk).update(secret_hash="not-a-hash")


def test_verify_by_key_without_session_csrf_or_cookie(card, holder, partners, hospital_key):
    client = Client(enforce_csrf_checks=True)
    response = post(client, hospital_key.secret, card.token)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["result"] == "valid" and body["partner"]["kind"] == "hospital"
    assert body["card"]["name"] == holder.real_name
    assert body["card"]["entitlements"] == {"medical_green_channel": True}
    assert not response.cookies and "Set-Cookie" not in response.headers
    assert response["Cache-Control"] == "no-store"
    # Logged exactly like the session path, with the key; the holder sees it in "who checked my card".
    v = Verification.objects.get()
    assert (v.checker_id, v.partner_id, v.card_id, v.channel, v.api_key_id) == (
        partners.hospital.checker.pk, partners.hospital.partner.pk, card.pk, VerifyChannel.M2M, hospital_key.key.pk)
    assert [s.pk for s in selectors.verifications_for_holder(user=holder)] == [v.pk]


def test_the_hot_path_is_a_handful_of_queries(card, partners, hospital_key):
    post(Client(), hospital_key.secret, card.token)  # warm the signing-key cache
    with CaptureQueriesContext(connection) as queries:
        assert post(Client(), hospital_key.secret, card.token).status_code == 200
    # the key with its scope, its rate-limit count and the card; the scan-log insert (+ transaction statements on
    # some backends)
    statements = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(("SELECT", "INSERT"))]
    assert len(statements) == 2, [q[:80] for q in statements]


def test_another_partners_key_sees_its_own_field_set(card, partners):
    bank = services.api_key_create(checker=partners.bank.checker, name="银行柜台", actor=partners.bank.checker)
    body = post(Client(), bank.secret, card.token).json()
    assert body["partner"]["kind"] == "bank"
    assert set(body["card"]) == {"name", "card_class", "card_class_label", "valid_until"}


@pytest.mark.parametrize("presented", [None, "", "gck_", "gck_nope_secret", "Basic abc", "gck_000000000000_x"])
def test_no_or_a_bad_key_is_401(card, presented):
    response = post(Client(), presented, card.token)
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert Verification.objects.count() == 0


def test_a_wrong_secret_for_a_real_key_id_is_401(card, hospital_key):
    forged = hospital_key.secret[:-4] + ("AAAA" if not hospital_key.secret.endswith("AAAA") else "BBBB")
    assert post(Client(), forged, card.token).status_code == 401


def test_a_session_does_not_stand_in_for_a_key(card, partners, login):
    client = login(partners.hospital.checker, otp=True)
    assert post(client, None, card.token).status_code == 401


def test_a_revoked_key_is_401_at_once(card, partners, hospital_key):
    checker = partners.hospital.checker
    assert post(Client(), hospital_key.secret, card.token).status_code == 200
    services.api_key_revoke(key=hospital_key.key, actor=checker)
    assert post(Client(), hospital_key.secret, card.token).status_code == 401
    assert AuditEvent.objects.filter(action="greencard.apikey.revoke").count() == 1
    with pytest.raises(services.Conflict):
        services.api_key_revoke(key=ApiKey.objects.get(), actor=checker)


def test_a_key_stops_when_its_checker_loses_the_role_or_is_deactivated(card, partners, hospital_key):
    checker = partners.hospital.checker
    RoleAssignment.objects.filter(user=checker).delete()
    assert post(Client(), hospital_key.secret, card.token).status_code == 401
    other = PartnerUserFactory(partner=partners.school.partner)
    key = services.api_key_create(checker=other, name="学校", actor=other)
    other.is_active = False
    other.save(update_fields=["is_active"])
    assert post(Client(), key.secret, card.token).status_code == 401


@override_settings(GREENCARD_M2M_RATE_PER_MINUTE=2)
def test_the_rate_limit_is_per_key(card, partners, hospital_key):
    checker = partners.hospital.checker
    second = services.api_key_create(checker=checker, name="二号窗口", actor=checker)
    assert post(Client(), hospital_key.secret, card.token).status_code == 200
    assert post(Client(), hospital_key.secret, card.token).status_code == 200
    refused = post(Client(), hospital_key.secret, card.token)
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert refused.json()["reason"] == "rate_limited"
    assert Verification.objects.filter(reason=VerifyReason.RATE_LIMITED, api_key=hospital_key.key).count() == 1
    assert post(Client(), second.secret, card.token).status_code == 200  # another key has its own budget
    later = timezone.now() + timedelta(seconds=61)
    assert services.card_verify_m2m(presented_key=hospital_key.secret, token=card.token, now=later).valid


def test_bad_body_is_422_and_get_is_405(hospital_key):
    client = Client()
    response = client.post(URL, "not json", content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {hospital_key.secret}")
    assert response.status_code == 422 and "token" in response.json()["errors"]
    assert client.get(URL).status_code == 405


# --- the key page ------------------------------------------------------------------------------------------------

def test_the_checker_creates_sees_once_and_revokes_on_the_page(partners, login):
    checker = partners.hospital.checker
    client = login(checker, otp=True)
    url = reverse("greencards:api_keys")
    response = client.post(url, {"action": "create", "name": "扫码枪"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    key = ApiKey.objects.get()
    html = response.content.decode()
    assert f"gck_{key.key_id}_" in html and 'id="issued-key"' in html
    listing = client.get(url).content.decode()
    assert 'id="issued-key"' not in listing and f"gck_{key.key_id}_…" in listing
    assert client.post(url, {"action": "revoke", "key_id": key.key_id}).status_code == 302
    assert ApiKey.objects.get().revoked_by == checker
    assert client.post(url, {"action": "create", "name": ""}).status_code == 422


def test_keys_are_scoped_404_for_others(partners, login, sec_admin, holder):
    bank = partners.bank.checker
    key = services.api_key_create(checker=bank, name="银行柜台", actor=bank).key
    url = reverse("greencards:api_keys")
    hospital = login(partners.hospital.checker, otp=True)
    assert key.key_id not in hospital.get(url).content.decode()
    assert hospital.post(url, {"action": "revoke", "key_id": key.key_id}).status_code == 404
    assert login(holder).get(url).status_code == 404
    with pytest.raises(services.NotFound):
        services.api_key_create(checker=bank, name="x", actor=partners.hospital.checker)
    # The security admin sees and revokes every key, and may create one for a checker.
    admin = login(sec_admin, otp=True)
    assert key.key_id in admin.get(url).content.decode()
    assert admin.post(url, {"action": "revoke", "key_id": key.key_id}).status_code == 302
    assert admin.post(url, {"action": "create", "name": "代建", "checker": bank.username}).status_code == 200
    assert ApiKey.objects.filter(checker=bank, created_by=sec_admin).count() == 1
