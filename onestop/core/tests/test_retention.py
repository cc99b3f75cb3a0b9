"""Retention (PIPL): hand-made expired and fresh records of every registered kind; a run deletes or anonymises the
expired ones only, removes their stored files, writes one audit event with the counts, keeps the audit trail whole and
does nothing more when run again; the dry run changes nothing; the tick runs it once a day."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from onestop.core import retention
from onestop.core.models import AuditEvent, Notification, NotificationDelivery
from onestop.core.tests.factories import (
    EnterpriseFactory,
    NotificationFactory,
    PartnerUserFactory,
    TalentFactory,
)

pytestmark = pytest.mark.django_db
NOW = timezone.now()
LONG_AGO = NOW - timedelta(days=4 * 365)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.ONESTOP_PRIVATE_MEDIA_ROOT = tmp_path / "private"


def _licence(enterprise, name):
    from onestop.employers.models import BusinessLicence

    licence = BusinessLicence(enterprise=enterprise, original_name=name, content_type="application/pdf", size=9,
                              sha256=hashlib.sha256(b"%PDF-1.4\n").hexdigest())
    licence.file.save("licence.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    return licence


def _stay(guest, status, check_out):
    from onestop.housing.models import Bed, Room, StayBooking, WarmStation

    station, _ = WarmStation.objects.get_or_create(code="ret", defaults={"name": "驿站", "address": "迎宾大道"})
    room, _ = Room.objects.get_or_create(station=station, number="101")
    bed, _ = Bed.objects.get_or_create(room=room, label="A")
    return StayBooking.objects.create(guest=guest, station=station, bed=bed, check_in=check_out - timedelta(days=1),
                                      check_out=check_out, nights=1, status=status, decision_due=check_out,
                                      token=hashlib.sha256(f"{guest.pk}{status}{check_out}".encode()).hexdigest()[:32])


def _scan(checker, when, ip="10.0.0.8"):
    from onestop.core.models import RoleAssignment
    from onestop.greencards.models import Verification

    partner = RoleAssignment.objects.get(user=checker).partner
    scan = Verification.objects.create(checker=checker, partner=partner, result="invalid", reason="malformed",
                                       channel="scan", source_ip=ip)
    Verification.objects.filter(pk=scan.pk).update(checked_at=when)
    return scan


@pytest.fixture
def records():
    """One expired and one fresh record of each kind (plus the edge: a record exactly inside its period)."""
    from axes.models import AccessAttempt, AccessLog

    from onestop.employers.models import HrInvitation

    talent, checker = TalentFactory(), PartnerUserFactory()
    Session.objects.create(session_key="expired" + "x" * 30, session_data="e30", expire_date=NOW - timedelta(hours=1))
    Session.objects.create(session_key="current" + "x" * 30, session_data="e30", expire_date=NOW + timedelta(hours=1))
    old_read = NotificationFactory(recipient=talent, read_at=NOW - timedelta(days=400))
    Notification.objects.filter(pk=old_read.pk).update(created_at=NOW - timedelta(days=410))
    NotificationFactory(recipient=talent, read_at=NOW - timedelta(days=30))  # read recently: kept
    old_unread = NotificationFactory(recipient=talent)  # never read: kept, however old
    Notification.objects.filter(pk=old_unread.pk).update(created_at=NOW - timedelta(days=900))
    NotificationDelivery.objects.create(notification=old_unread, channel="sms", status="sent", sent_at=LONG_AGO)
    fresh = NotificationFactory(recipient=talent)
    NotificationDelivery.objects.create(notification=fresh, channel="sms", status="sent", sent_at=NOW)
    NotificationDelivery.objects.create(notification=old_read, channel="email", status="pending")  # goes with it
    for when in (NOW - timedelta(days=400), NOW - timedelta(days=10)):  # login log: a year
        log = AccessLog.objects.create(username="13800000000", ip_address="10.0.0.1", user_agent="t")
        AccessLog.objects.filter(pk=log.pk).update(attempt_time=when)
    for n, when in enumerate((NOW - timedelta(days=2), NOW - timedelta(hours=1))):  # lockout counter: a day
        attempt = AccessAttempt.objects.create(username=f"u{n}", ip_address="10.0.0.1", user_agent="t",
                                               failures_since_start=1)
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=when)
    rejected = EnterpriseFactory(status="rejected", review_note="营业执照与名称不符", reviewed_at=NOW - timedelta(days=200))
    recent = EnterpriseFactory(status="rejected", review_note="营业执照不清晰", reviewed_at=NOW - timedelta(days=20))
    active = EnterpriseFactory(status="active", reviewed_at=LONG_AGO)
    licences = {"expired": _licence(rejected, "旧.pdf"), "appeal": _licence(recent, "申诉期.pdf"),
                "active": _licence(active, "在用.pdf")}
    inviter = talent
    for n, (expires, revoked, accepted) in enumerate([(NOW - timedelta(days=100), None, None),
                                                      (NOW - timedelta(days=10), None, None),
                                                      (NOW + timedelta(days=3), NOW - timedelta(days=95), None),
                                                      (NOW - timedelta(days=300), None, NOW - timedelta(days=301))]):
        invitation = HrInvitation(enterprise=active, real_name=f"邀请{n}", token_hash=f"{n:064d}",
                                  invited_by=inviter, expires_at=expires, revoked_at=revoked, accepted_at=accepted)
        invitation.phone = f"1390000{n:04d}"
        invitation.save()
    today = timezone.localdate()
    stays = {"old_cancelled": _stay(talent, "cancelled", today - timedelta(days=400)),
             "new_cancelled": _stay(talent, "cancelled", today - timedelta(days=100)),
             "old_stay": _stay(talent, "checked_out", today - timedelta(days=3 * 365 + 5)),
             "recent_stay": _stay(talent, "checked_out", today - timedelta(days=400))}
    scans = {"old": _scan(checker, NOW - timedelta(days=400)), "quarter": _scan(checker, NOW - timedelta(days=100)),
             "new": _scan(checker, NOW - timedelta(days=5))}
    return {"licences": licences, "stays": stays, "scans": scans, "talent": talent}


def test_the_dry_run_counts_and_changes_nothing(records):
    audit_before = AuditEvent.objects.count()
    report = retention.retention_run(dry_run=True, now=NOW)
    assert report.counts["core.session"] == 1
    assert report.counts["core.notification"] == 1
    assert report.counts["employers.rejected_licence"] == 1
    assert report.counts["housing.stay_unused"] == 1 and report.counts["housing.stay_completed"] == 1
    assert report.counts["greencards.verification"] == 1
    assert report.counts["greencards.verification_ip"] == 2
    assert Session.objects.count() == 2 and Notification.objects.count() == 4
    assert AuditEvent.objects.count() == audit_before  # no change, no audit event


def test_a_run_deletes_expired_records_and_their_files_and_keeps_fresh_ones(records, django_capture_on_commit_callbacks):
    from axes.models import AccessAttempt, AccessLog

    from onestop.employers.models import BusinessLicence, HrInvitation
    from onestop.greencards.models import Verification
    from onestop.housing.models import StayBooking

    licences = records["licences"]
    storage = licences["expired"].file.storage
    expired_file = licences["expired"].file.name
    assert storage.exists(expired_file)
    with django_capture_on_commit_callbacks(execute=True):
        report = retention.retention_run(now=NOW, batch=1)  # batch of one: the loop runs several transactions

    assert list(Session.objects.values_list("session_key", flat=True)) == ["current" + "x" * 30]
    assert Notification.objects.count() == 3 and not Notification.objects.filter(read_at__lt=NOW - timedelta(days=365))
    assert NotificationDelivery.objects.filter(status="sent").count() == 1  # the fresh one
    assert AccessLog.objects.count() == 1 and AccessAttempt.objects.count() == 1
    assert set(BusinessLicence.objects.values_list("original_name", flat=True)) == {"申诉期.pdf", "在用.pdf"}
    assert not storage.exists(expired_file)  # the stored file is gone with the row
    assert storage.exists(licences["appeal"].file.name) and storage.exists(licences["active"].file.name)
    assert sorted(HrInvitation.objects.values_list("real_name", flat=True)) == ["邀请1", "邀请3"]
    stays = records["stays"]
    assert set(StayBooking.objects.values_list("pk", flat=True)) == {stays["new_cancelled"].pk,
                                                                     stays["recent_stay"].pk}
    scans = records["scans"]
    assert set(Verification.objects.values_list("pk", flat=True)) == {scans["quarter"].pk, scans["new"].pk}
    assert Verification.objects.get(pk=scans["quarter"].pk).source_ip is None  # anonymised after 90 days
    assert Verification.objects.get(pk=scans["new"].pk).source_ip == "10.0.0.8"

    event = AuditEvent.objects.filter(action="retention.run").get()
    assert event.detail["counts"] == report.counts and event.detail["files"] == 1
    batches: dict[str, int] = {}  # one entry per batch (of one here), committed with its deletion
    for entry in AuditEvent.objects.filter(action="retention.batch"):
        assert entry.detail["count"] == 1 and entry.object_id == entry.detail["kind"]
        batches[entry.detail["kind"]] = batches.get(entry.detail["kind"], 0) + 1
    assert batches == {k: n for k, n in report.counts.items() if n}
    assert event.detail["total"] == report.total > 0
    assert event.detail["periods"]["greencards.verification"] == 365


def test_a_second_run_changes_nothing_and_the_audit_trail_is_kept(records, django_capture_on_commit_callbacks):
    chain_before = AuditEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        retention.retention_run(now=NOW)
    second = retention.retention_run(now=NOW)
    assert second.total == 0 and second.files == 0
    batches = AuditEvent.objects.filter(action="retention.batch").count()
    assert batches >= 1
    # one summary per run plus the first run's batch entries; nothing of the trail deleted
    assert AuditEvent.objects.count() == chain_before + 2 + batches
    assert AuditEvent.objects.filter(action="retention.run").count() == 2
    call_command("audit_verify", stdout=StringIO())  # the hash chain still verifies


def test_the_audit_trail_cannot_be_registered():
    from onestop.core.models import AuditEvent as Audit

    with pytest.raises(ValueError, match="audit trail"):
        retention.register(retention.RetentionRule(
            key="core.audit", model=Audit, label="审计", days=180, basis="-",
            expired=lambda cutoff: Audit.objects.filter(occurred_at__lt=cutoff)))


def test_periods_are_data_in_settings(settings, records):
    settings.ONESTOP_RETENTION_DAYS = {"greencards.verification": 30}
    assert retention.retention_run(dry_run=True, now=NOW).counts["greencards.verification"] == 2
    assert {r.key: r.period() for r in retention.rules()}["housing.stay_completed"] == 3 * 365


def test_every_rule_states_its_basis_and_period():
    found = retention.rules()
    assert {"core.session", "core.notification", "core.notification_delivery", "core.task_result",
            "core.login_log", "employers.rejected_licence", "employers.hr_invitation", "housing.stay_unused",
            "housing.stay_completed", "greencards.verification", "greencards.verification_ip"} <= {r.key for r in found}
    for rule in found:
        assert rule.basis and rule.label and rule.period() >= 0


def test_the_command_reports_a_dry_run_and_the_tick_runs_once_a_day(records):
    out = StringIO()
    call_command("retention", "--dry-run", stdout=out)
    assert "would delete or anonymise" in out.getvalue() and "employers.rejected_licence" in out.getvalue()
    assert not AuditEvent.objects.filter(action="retention.run").exists()
    call_command("platform_tick", "--only", "retention", stdout=StringIO())
    assert AuditEvent.objects.filter(action="retention.run").count() == 1
    call_command("platform_tick", "--only", "retention", stdout=StringIO())  # the same day: not again
    assert AuditEvent.objects.filter(action="retention.run").count() == 1
    assert retention.retention_due(now=timezone.now() + timedelta(days=1))


def test_a_run_that_fails_keeps_rows_and_files(records, monkeypatch):
    """The run and its audit event commit together: if the audit write fails, no row is gone and no file removed."""
    from django.db import transaction

    from onestop.core import audit
    from onestop.employers.models import BusinessLicence

    licence = records["licences"]["expired"]

    def down(**kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(audit, "audit_record", down)
    with pytest.raises(RuntimeError, match="audit down"), transaction.atomic():
        retention.retention_run(now=NOW)
    assert BusinessLicence.objects.filter(pk=licence.pk).exists()
    assert licence.file.storage.exists(licence.file.name)


def test_a_batch_whose_audit_entry_fails_keeps_its_rows_and_files(records, monkeypatch,
                                                                   django_capture_on_commit_callbacks):
    """No deletion is committed without its audit entry: the batches before the failing one are gone with an entry
    each; the failing batch's rows and files stay, and so does everything after it (the run stops)."""
    from onestop.core import audit
    from onestop.employers.models import BusinessLicence

    licence = records["licences"]["expired"]
    real = audit.audit_record

    def down_for_licences(**kwargs):
        if kwargs.get("object_id") == "employers.rejected_licence":
            raise RuntimeError("audit down")
        return real(**kwargs)

    monkeypatch.setattr(audit, "audit_record", down_for_licences)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError, match="audit down"):
        retention.retention_run(now=NOW, batch=1)
    assert BusinessLicence.objects.filter(pk=licence.pk).exists()
    assert licence.file.storage.exists(licence.file.name)
    # the rules before it (in key order) deleted their rows, each batch with its entry; none after it ran
    committed = {e.detail["kind"] for e in AuditEvent.objects.filter(action="retention.batch")}
    assert {"core.session", "employers.hr_invitation"} <= committed
    assert all(kind < "employers.rejected_licence" for kind in committed)
    assert not Session.objects.filter(session_key__startswith="expired").exists()
    assert not AuditEvent.objects.filter(action="retention.run").exists()  # no summary for a failed run
    call_command("audit_verify", stdout=StringIO())
