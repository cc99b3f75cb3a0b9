"""The card rests on its certificate by a foreign key: set on certification, followed by revocation, never someone
else's certificate; and migration 0005 maps the old certificate numbers both ways (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from onestop.core.exceptions import ValidationFailed
from onestop.core.tests.factories import TalentFactory
from onestop.greencards import services
from onestop.greencards.choices import CardStatus
from onestop.greencards.models import GreenCard

BEFORE = [("greencards", "0004_verification_composite_indexes_only")]
AFTER = [("greencards", "0005_card_certificate_fk")]


def _certify(holder, tier: str = "B"):
    from onestop.talents.certification import certification_publicity_close
    from onestop.talents.models import CertificationApplication

    today = timezone.localdate()
    application = CertificationApplication.objects.create(
        profile=holder.talent_profile, applied_by=holder, track="standard", claimed_tier=tier, decided_tier=tier,
        status="publicity", publicity_start=today - timedelta(days=10), publicity_end=today - timedelta(days=3))
    return certification_publicity_close(application=application, today=today)


@pytest.fixture
def office(db):
    from onestop.core.tests.factories import DepartmentFactory

    return DepartmentFactory(code="talent_office", name="人才办")


def test_certification_links_the_card_and_a_renewal_moves_the_link(holder, office):
    certificate = _certify(holder)
    card = GreenCard.objects.get(holder=holder, status=CardStatus.ACTIVE)
    assert card.certificate == certificate and certificate.green_cards.get() == card
    lost = services.card_reissue(card=card, reason="遗失", actor=holder)
    assert lost.certificate_id == certificate.pk  # the replacement rests on the same certificate


def test_a_card_never_rests_on_another_persons_certificate(holder, office):
    certificate = _certify(holder)
    stranger = TalentFactory()
    today = timezone.localdate()
    with pytest.raises(ValidationFailed) as refused:
        services.card_issue(holder=stranger, card_class="B", valid_from=today, valid_until=today + timedelta(days=30),
                            certificate=certificate)
    assert "认定证书" in refused.value.field_errors["certificate"][0]
    assert not GreenCard.objects.filter(holder=stranger).exists()


def test_the_certificate_cannot_be_deleted_under_its_card(holder, office):
    from django.db.models import ProtectedError

    certificate = _certify(holder)
    with pytest.raises(ProtectedError):
        certificate.delete()


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_migration_0005_maps_numbers_to_certificates_and_back(holder, office):
    certificate = _certify(holder)
    card = GreenCard.objects.get(holder=holder, status=CardStatus.ACTIVE)
    loose = services.card_issue(holder=TalentFactory(), card_class="C", valid_from=timezone.localdate(),
                                valid_until=timezone.localdate() + timedelta(days=30))
    try:
        old_apps = _migrate(BEFORE)
        OldCard = old_apps.get_model("greencards", "GreenCard")
        assert OldCard.objects.get(pk=card.pk).certificate_ref == certificate.number  # backward keeps the number
        assert OldCard.objects.get(pk=loose.pk).certificate_ref == ""
        _migrate(AFTER)
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes("greencards"))
    assert GreenCard.objects.get(pk=card.pk).certificate_id == certificate.pk
    assert GreenCard.objects.get(pk=loose.pk).certificate_id is None


@pytest.mark.django_db(transaction=True)
def test_migration_0005_refuses_a_number_of_no_certificate_of_the_holder(holder, office):
    certificate = _certify(holder)
    card = GreenCard.objects.get(holder=holder, status=CardStatus.ACTIVE)
    other = services.card_issue(holder=TalentFactory(), card_class="C", valid_from=timezone.localdate(),
                                valid_until=timezone.localdate() + timedelta(days=30))
    try:
        old_apps = _migrate(BEFORE)
        OldCard = old_apps.get_model("greencards", "GreenCard")
        OldCard.objects.filter(pk=other.pk).update(certificate_ref=certificate.number)  # someone else's number
        OldCard.objects.filter(pk=card.pk).update(certificate_ref=certificate.number)
        with pytest.raises(RuntimeError, match=other.card_id):
            _migrate(AFTER)
        # Nothing half-done: still at 0004, the numbers still there.
        assert OldCard.objects.get(pk=card.pk).certificate_ref == certificate.number
        OldCard.objects.filter(pk=other.pk).update(certificate_ref="")
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes("greencards"))
    assert GreenCard.objects.get(pk=card.pk).certificate_id == certificate.pk
    assert GreenCard.objects.get(pk=other.pk).certificate_id is None
