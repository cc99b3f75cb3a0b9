"""Certification end to end on the workflow engine: apply → employer confirms → office reviews (→ committee) →
publicity of 5 working days (official calendar) with objections → certificate → revocation event. Access tries."""

from __future__ import annotations

from datetime import date

import pytest

from onestop.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from onestop.core.models import AuditEvent
from onestop.core.tests.factories import EmployerUserFactory, TalentFactory
from onestop.talents import certification as cert
from onestop.talents.choices import ApplicationStatus
from onestop.talents.events import CertificationRejected, CertificationRevoked, certification_events
from onestop.talents.models import TalentProfile
from onestop.workflow import calendar as wd


def _apply(s, **kw):
    return cert.certification_apply(actor=s["talent"], track="standard", claimed_tier=kw.pop("tier", "E"),
                                    document_ids=[s["document"].pk], **kw)


def test_full_flow_with_publicity_on_the_official_calendar(setup):
    s = setup
    application = _apply(s)
    assert application.proposed_tier == "E" and "人才层次认定" in application.precheck["explanation"]
    cert.certification_decide(application=application, actor=s["hr"], action="approve")
    cert.certification_decide(application=application, actor=s["office"], action="approve", reason="材料齐全")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PUBLICITY
    # Monday 23 Sep 2024 + 5 working days: 24, 25, 26, 27 Sep and Sunday 29 Sep (调休 for National Day)
    assert application.publicity_end == date(2024, 9, 29)
    assert cert.certification_tick(today=date(2024, 9, 29))["issued"] == 0
    assert cert.certification_tick(today=date(2024, 9, 30))["issued"] == 1
    application.refresh_from_db()
    assert application.status == ApplicationStatus.CERTIFIED
    certificate = application.certificate
    assert certificate.tier == "E" and certificate.number.startswith("ZZGK-2024-E-")
    assert certificate.valid_until == date(2027, 9, 30)
    response_kinds = list(application.events.values_list("kind", flat=True))
    assert response_kinds[-1] == "certified"


def test_equivalent_claim_goes_to_committee_and_objections_block(setup):
    s = setup
    with pytest.raises(ValidationFailed) as exc:
        _apply(s, tier="C")
    assert "或相当于上述层次" in exc.value.field_errors["claimed_tier"][0]
    application = _apply(s, tier="C", equivalent_claim=True, statement="主持国家重点研发计划项目，相当于地方级领军人才。")
    cert.certification_decide(application=application, actor=s["hr"], action="approve")
    cert.certification_decide(application=application, actor=s["office"], action="approve")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REVIEW  # the committee step is next
    with pytest.raises(PermissionDenied):  # office staff see the committee task but only the head records it
        cert.certification_decide(application=application, actor=s["office"], action="approve")
    cert.certification_decide(application=application, actor=s["head"], action="approve", tier="C")
    application.refresh_from_db()
    assert (application.status, application.decided_tier) == (ApplicationStatus.PUBLICITY, "C")
    objector = TalentFactory()
    objection = cert.objection_file(application=application, actor=objector, content="申报材料中的项目并非其主持。")
    assert cert.certification_tick(today=date(2025, 1, 1))["issued"] == 0
    cert.objection_resolve(objection=objection, actor=s["office"], upheld=True, resolution="核查属实，异议成立。")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED


def test_request_material_with_deadline_and_reject(setup):
    s = setup
    application = _apply(s)
    cert.certification_decide(application=application, actor=s["hr"], action="approve")
    cert.certification_decide(application=application, actor=s["office"], action="request_info", reason="请补充学位证书")
    application.refresh_from_db()
    assert application.material_due == wd.add_working_days(date(2024, 9, 23), cert.MATERIAL_DAYS)
    cert.certification_provide_material(application=application, actor=s["talent"], message="已上传学位证书")
    cert.certification_decide(application=application, actor=s["office"], action="reject", reason="学历不符合要求")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED


def test_revocation_emits_a_domain_event(setup):
    s = setup
    received = []
    certification_events.subscribe(CertificationRevoked, received.append)
    try:
        application = _apply(s)
        cert.certification_decide(application=application, actor=s["hr"], action="approve")
        cert.certification_decide(application=application, actor=s["office"], action="approve")
        cert.certification_tick(today=date(2024, 10, 10))
        certificate = application.certificate
        with pytest.raises(NotFound):
            cert.certificate_revoke(certificate=certificate, actor=s["office"], reason="x")  # staff, not head
        cert.certificate_revoke(certificate=certificate, actor=s["head"], reason="提供虚假材料")
    finally:
        certification_events.unsubscribe(CertificationRevoked, received.append)
    assert [e.certificate_number for e in received] == [certificate.number]
    assert received[0].reason == "提供虚假材料"


def test_an_objection_upheld_in_publicity_emits_a_domain_event(setup):
    s = setup
    received = []
    certification_events.subscribe(CertificationRejected, received.append)
    try:
        application = _apply(s)
        cert.certification_decide(application=application, actor=s["hr"], action="approve")
        cert.certification_decide(application=application, actor=s["office"], action="approve")
        dismissed = cert.objection_file(application=application, actor=TalentFactory(), content="此人并未在该单位实际工作。")
        cert.objection_resolve(objection=dismissed, actor=s["office"], upheld=False, resolution="核查不属实。")
        assert received == []  # a dismissed objection ends nothing
        upheld = cert.objection_file(application=application, actor=TalentFactory(), content="申报的学历证书系伪造，请核查。")
        cert.objection_resolve(objection=upheld, actor=s["office"], upheld=True, resolution="核查属实。")
    finally:
        certification_events.unsubscribe(CertificationRejected, received.append)
    assert [(e.application_id, e.profile_id, e.actor_id) for e in received] == [
        (application.pk, application.profile_id, s["office"].pk)]
    assert received[0].reason == "公示异议成立：核查属实。"


def test_access_rules_answer_404_and_are_audited(setup, login):
    s = setup
    application = _apply(s)
    url = f"/talent/certification/{application.pk}/"
    assert login(s["talent"]).get(url).status_code == 200
    assert login(s["hr"]).get(url).status_code == 200
    other_employer = EmployerUserFactory()
    assert login(other_employer).get(url).status_code == 404
    assert login(TalentFactory()).get(url).status_code == 404
    assert login(s["housing"], otp=True).get(url).status_code == 404  # another department's reviewer
    assert AuditEvent.objects.filter(action="certification.view", result="denied").count() == 3
    # the office sees it only once the case reaches its queue
    cert.certification_decide(application=application, actor=s["hr"], action="approve")
    assert login(s["office"], otp=True).get(url).status_code == 200
    download = login(s["office"], otp=True).get(f"/talent/documents/{s['document'].pk}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")  # read to the end: the file is closed
    assert login(s["housing"], otp=True).get(f"/talent/documents/{s['document'].pk}/download/").status_code == 404
    with pytest.raises(NotFound):
        cert.certification_decide(application=application, actor=s["housing"], action="approve")
    assert login(other_employer).get(f"/api/v1/talents/certifications/{application.pk}").status_code == 404


def test_employer_applies_only_for_its_own_employee(setup):
    s = setup
    stranger = TalentFactory()
    with pytest.raises(NotFound):
        cert.certification_apply(actor=s["hr"], profile=stranger.talent_profile, track="standard",
                                 claimed_tier="E", document_ids=[])
    application = cert.certification_apply(actor=s["hr"], profile=TalentProfile.objects.get(user=s["talent"]),
                                           track="standard", claimed_tier="E", document_ids=[s["document"].pk])
    assert application.applied_by == s["hr"]


def test_my_applications_api_is_404_to_every_role_but_the_talent(setup, login):
    from onestop.core.choices import Role
    from onestop.core.tests.factories import AdminFactory, LeaderFactory, PartnerUserFactory

    s = setup
    application = _apply(s)
    outsiders = {"leader": login(LeaderFactory(), otp=True),
                 "auditor": login(AdminFactory(role=Role.AUDITOR), otp=True),
                 "partner": login(PartnerUserFactory(), otp=True),
                 **{role: login(AdminFactory(role=role), otp=True)
                    for role in (Role.SYS_ADMIN, Role.SEC_ADMIN, Role.AUDIT_ADMIN)},
                 "employer": login(s["hr"]), "office": login(s["office"], otp=True)}  # they see it by its own link

    for who, client in outsiders.items():
        assert client.get("/api/v1/talents/certifications").status_code == 404, who
        assert client.get("/talent/certification/").status_code == 404, who

    assert [a["id"] for a in login(s["talent"]).get("/api/v1/talents/certifications").json()] == [application.pk]
    assert login(TalentFactory()).get("/api/v1/talents/certifications").json() == []
