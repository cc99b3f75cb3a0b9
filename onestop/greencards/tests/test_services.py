"""The card lifecycle, signing keys and rotation, the published documents, and the certification events."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from onestop.core.choices import Role
from onestop.core.exceptions import Conflict, NotFound, ValidationFailed
from onestop.core.models import AuditEvent, Notification
from onestop.core.tests.factories import DepartmentFactory, StaffFactory, TalentFactory
from onestop.greencards import credential, keys, selectors, services
from onestop.greencards.choices import CardStatus, KeyStatus, VerifyReason
from onestop.greencards.models import GreenCard, SigningKey

from .conftest import issue


def test_issue_signs_a_token_with_only_card_id_class_validity_and_key_id(card, holder):
    header, payload, _si, _sig = credential.decode_unverified(card.token)
    assert header == {"alg": "EdDSA", "kid": card.signing_key.kid, "typ": "gc+jwt"}
    assert payload == {"jti": card.card_id, "cls": "B", "nbf": payload["nbf"], "exp": payload["exp"]}
    nbf, exp = services.validity_window(card.valid_from, card.valid_until)
    assert (payload["nbf"], payload["exp"]) == (nbf, exp)
    # No personal data anywhere in the token: not the name, ID number, phone, user id or certificate number.
    text = json.dumps([header, payload], ensure_ascii=False)
    for secret in (holder.real_name, holder.id_number, holder.phone, holder.id_number[-6:], holder.phone[-4:],
                   f'"{holder.pk}"'):
        assert secret not in text and secret not in card.token
    assert str(holder.pk) not in (card.card_id,)
    assert AuditEvent.objects.filter(action="greencard.card.issue", object_id=str(card.pk)).exists()
    assert Notification.objects.filter(recipient=holder, title="您的人才绿卡已发放").exists()


def test_the_signing_key_is_stored_sealed_never_in_plaintext(card):
    key = card.signing_key
    assert key.private_key.startswith("v1:devgc1:")
    raw = credential.private_raw(keys.open_private_key(key.kid, key.private_key))
    assert raw.hex() not in key.private_key
    assert credential.b64url_encode(raw) not in key.private_key
    # The sealed value is bound to its key id: moved to another key row it does not open.
    with pytest.raises(Exception, match="cannot be opened"):
        keys.open_private_key("another", key.private_key)
    with pytest.raises(IntegrityError), transaction.atomic():
        SigningKey.objects.create(kid="plain", public_key="x", private_key="raw-bytes", status=KeyStatus.RETIRED,
                                  retired_at=timezone.now())


def test_one_current_card_per_holder(card, holder):
    with pytest.raises(Conflict):
        issue(holder)
    with pytest.raises(IntegrityError), transaction.atomic():
        GreenCard.objects.create(card_id="X" * 12, holder=holder, card_class="B", valid_from=card.valid_from,
                                 valid_until=card.valid_until, signing_key=card.signing_key, token="t")


def test_issue_validates_its_inputs(holder):
    today = timezone.localdate()
    with pytest.raises(ValidationFailed) as exc:
        services.card_issue(holder=holder, card_class="Z", valid_from=today, valid_until=today)
    assert set(exc.value.field_errors) == {"card_class", "valid_until"}
    with pytest.raises(ValidationFailed) as exc:
        services.card_issue(holder=StaffFactory(), card_class="A", valid_from=today, valid_until=today + timedelta(1))
    assert "holder" in exc.value.field_errors
    with pytest.raises(NotFound):  # staff outside the talent office may not issue cards
        services.card_issue(holder=holder, card_class="A", valid_from=today, valid_until=today + timedelta(1),
                            actor=StaffFactory())


def test_reissue_on_loss_replaces_the_old_card_at_once(card, holder, partners):
    new = services.card_reissue(card=card, reason="手机丢失", actor=holder)
    card.refresh_from_db()
    assert card.status == CardStatus.REPLACED and card.status_reason == "手机丢失"
    assert new.replaces_id == card.pk and new.card_id != card.card_id
    assert (new.card_class, new.valid_from, new.valid_until) == (card.card_class, card.valid_from, card.valid_until)
    checker = partners.hospital.checker
    assert services.card_verify(token=card.token, checker=checker).reason == VerifyReason.REPLACED
    assert services.card_verify(token=new.token, checker=checker).reason == VerifyReason.OK
    listed = {r["jti"]: r["reason"] for r in selectors.revocation_list()["revoked"]}
    assert listed == {card.card_id: "replaced"}
    # Only the holder (or the talent office) may report a loss.
    with pytest.raises(NotFound):
        services.card_reissue(card=new, reason="x", actor=TalentFactory())


def test_suspend_reinstate_revoke_and_their_transitions(card, partners):
    checker = partners.bank.checker
    services.card_suspend(card=card, reason="认定复核中")
    assert services.card_verify(token=card.token, checker=checker).reason == VerifyReason.SUSPENDED
    services.card_reinstate(card=card, reason="复核通过")
    assert services.card_verify(token=card.token, checker=checker).reason == VerifyReason.OK
    services.card_revoke(card=card, reason="认定撤销")
    assert services.card_verify(token=card.token, checker=checker).reason == VerifyReason.REVOKED
    with pytest.raises(services.TransitionNotAllowed):
        services.card_reinstate(card=card, reason="x")
    with pytest.raises(ValidationFailed):
        services.card_suspend(card=card, reason=" ")
    assert [e.action for e in AuditEvent.objects.filter(object_id=str(card.pk)).order_by("seq")][-3:] == [
        "greencard.card.suspend", "greencard.card.reinstate", "greencard.card.revoke"]
    titles = set(Notification.objects.filter(recipient=card.holder).values_list("title", flat=True))
    assert {"您的人才绿卡已暂停使用", "您的人才绿卡已恢复使用", "您的人才绿卡已撤销"} <= titles


def test_a_stale_status_change_loses(card):
    stale = GreenCard.objects.get(pk=card.pk)
    services.card_suspend(card=card, reason="a")
    stale.status = CardStatus.ACTIVE
    with pytest.raises(services.TransitionNotAllowed):
        services.card_revoke(card=stale, reason="b")


def test_expiry_of_the_card_and_the_token(holder, partners):
    today = timezone.localdate()
    card = issue(holder, start=today - timedelta(days=10), days=10)  # valid until today (inclusive)
    checker = partners.school.checker
    assert services.card_verify(token=card.token, checker=checker).reason == VerifyReason.OK
    tomorrow = timezone.now() + timedelta(days=1, hours=1)
    assert services.card_verify(token=card.token, checker=checker, now=tomorrow).reason == VerifyReason.EXPIRED
    assert services.cards_expire(today=today + timedelta(days=1)) == 1
    card.refresh_from_db()
    assert card.status == CardStatus.EXPIRED


def test_key_rotation_keeps_old_cards_verifying_until_they_expire(card, holder, partners):
    old_kid = card.signing_key.kid
    new_key = services.signing_key_rotate()
    assert SigningKey.objects.get(kid=old_kid).status == KeyStatus.RETIRED
    other = issue(TalentFactory(), card_class="E")
    assert other.signing_key == new_key and card.signing_key.kid != new_key.kid
    checker = partners.hospital.checker
    assert services.card_verify(token=card.token, checker=checker).reason == VerifyReason.OK
    assert services.card_verify(token=other.token, checker=checker).reason == VerifyReason.OK
    published = {k["kid"]: k for k in selectors.jwks()["keys"]}
    assert set(published) == {old_kid, new_key.kid}
    assert published[old_kid]["status"] == "retired"
    _nbf, exp = services.validity_window(card.valid_from, card.valid_until)
    assert published[old_kid]["verify_until"] == exp
    # After the last card it signed has expired, the retired key is no longer published.
    later = timezone.now() + timedelta(days=4 * 365)
    assert [k["kid"] for k in selectors.jwks(at=later)["keys"]] == [new_key.kid]
    assert AuditEvent.objects.filter(action="greencard.key.rotate").count() == 1


def test_a_compromised_key_stops_verifying_and_its_cards_are_resigned(card, partners):
    old_token, old_kid = card.token, card.signing_key.kid
    services.signing_key_compromise(kid=old_kid, reason="密钥备份外泄")
    checker = partners.hospital.checker
    assert services.card_verify(token=old_token, checker=checker).reason == VerifyReason.KEY_COMPROMISED
    card.refresh_from_db()
    assert card.signing_key.kid != old_kid and card.token != old_token
    assert services.card_verify(token=card.token, checker=checker).reason == VerifyReason.OK
    assert old_kid not in {k["kid"] for k in selectors.jwks()["keys"]}
    assert SigningKey.objects.filter(status=KeyStatus.ACTIVE).count() == 1


def test_only_one_active_key_in_the_database(card):
    with pytest.raises(IntegrityError), transaction.atomic():
        SigningKey.objects.create(kid="second", public_key="x", private_key="v1:k:x", status=KeyStatus.ACTIVE)


def test_a_key_from_elsewhere_is_unknown(card, partners):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    nbf, exp = services.validity_window(card.valid_from, card.valid_until)
    forged = credential.sign(private_key=Ed25519PrivateKey.generate(), kid=card.signing_key.kid,
                             card_id=card.card_id, card_class="A", not_before=nbf, expires=exp)
    outcome = services.card_verify(token=forged, checker=partners.hospital.checker)
    assert outcome.reason == VerifyReason.BAD_SIGNATURE and outcome.card is None and outcome.fields == {}
    imposter = credential.sign(private_key=Ed25519PrivateKey.generate(), kid="gk-imposter",
                               card_id=card.card_id, card_class="A", not_before=nbf, expires=exp)
    assert services.card_verify(token=imposter, checker=partners.hospital.checker).reason == VerifyReason.UNKNOWN_KEY


def test_renewal_keeps_the_card_id_and_extends_the_token(card):
    until = card.valid_until + timedelta(days=365)
    renewed = services.card_renew(card=card, valid_until=until)
    assert renewed.card_id == card.card_id and renewed.valid_until == until
    assert credential.decode_unverified(renewed.token)[1]["exp"] == services.validity_window(card.valid_from, until)[1]


def test_signed_revocation_list_verifies_with_the_published_keys(card):
    services.card_revoke(card=card, reason="撤销")
    jws = selectors.revocation_list_signed()
    document = credential.verify_document(jws, keys=credential.keys_from_jwks(selectors.jwks()))
    assert document["revoked"][0]["jti"] == card.card_id
    assert document["revoked"][0]["reason"] == "revoked"


# --- certification events --------------------------------------------------------------------------------------------

@pytest.fixture
def office_head(db):
    dept = DepartmentFactory(code="talent_office", name="人才办", name_en="Talent Office")
    return StaffFactory(department=dept, department__role=Role.DEPT_HEAD)


def _application_in_publicity(holder, tier="B", track="standard"):
    from onestop.talents.models import CertificationApplication

    today = timezone.localdate()
    return CertificationApplication.objects.create(
        profile=holder.talent_profile, applied_by=holder, track=track, claimed_tier=tier, decided_tier=tier,
        status="publicity", publicity_start=today - timedelta(days=10), publicity_end=today - timedelta(days=3))


def test_certification_granted_issues_the_card_and_revocation_revokes_it(holder, office_head, partners):
    from onestop.talents.certification import certificate_revoke, certification_publicity_close

    certificate = certification_publicity_close(application=_application_in_publicity(holder),
                                                today=timezone.localdate())
    assert certificate is not None
    card = GreenCard.objects.get(holder=holder, status=CardStatus.ACTIVE)
    assert (card.card_class, card.certificate_id, card.valid_until) == ("B", certificate.pk, certificate.valid_until)
    assert certificate.number not in card.token
    checker = partners.hospital.checker
    assert services.card_verify(token=card.token, checker=checker).valid
    certificate_revoke(certificate=certificate, actor=office_head, reason="提供虚假材料")
    card.refresh_from_db()
    assert card.status == CardStatus.REVOKED and "提供虚假材料" in card.status_reason
    assert services.card_verify(token=card.token, checker=checker).reason == VerifyReason.REVOKED
    assert card.card_id in {r["jti"] for r in selectors.revocation_list()["revoked"]}


def test_a_new_tier_supersedes_the_card(holder, office_head):
    from onestop.talents.certification import certification_publicity_close

    certification_publicity_close(application=_application_in_publicity(holder, tier="C"), today=timezone.localdate())
    first = GreenCard.objects.get(holder=holder, status=CardStatus.ACTIVE)
    from onestop.talents.models import CertificationApplication

    CertificationApplication.objects.filter(profile=holder.talent_profile).update(status="certified")
    certification_publicity_close(application=_application_in_publicity(holder, tier="A"), today=timezone.localdate())
    first.refresh_from_db()
    second = GreenCard.objects.get(holder=holder, status=CardStatus.ACTIVE)
    assert first.status == CardStatus.REPLACED and second.card_class == "A" and second.replaces_id == first.pk
