"""Certificate PDF (holder and authorised staff only), the unanswered material deadline, the tier decision that the
generic workflow page cannot make, and the scheduler command."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command

from onestop.core.models import AuditEvent
from onestop.core.tests.factories import EmployerUserFactory, TalentFactory
from onestop.talents import certification as cert
from onestop.talents.choices import ApplicationStatus, CertEventKind
from onestop.workflow.choices import CaseStatus, TaskState
from onestop.workflow.models import Task


def _apply(s, **kw):
    return cert.certification_apply(actor=s["talent"], track="standard", claimed_tier=kw.pop("tier", "E"),
                                    document_ids=[s["document"].pk], **kw)


def _certified(s):
    application = _apply(s)
    cert.certification_decide(application=application, actor=s["hr"], action="approve")
    cert.certification_decide(application=application, actor=s["office"], action="approve")
    cert.certification_tick(today=date(2024, 10, 10))
    application.refresh_from_db()
    return application


def _office_task(application):
    return Task.objects.get(case=cert.case_of(application), step__code="talent_office_review")


# --- the certificate PDF -------------------------------------------------------------------------------------------

def test_certificate_pdf_for_the_holder_as_an_attachment_with_chinese_in_the_cid_font(setup, login):
    s = setup
    certificate = _certified(s).certificate
    response = login(s["talent"]).get(f"/talent/certification/certificates/{certificate.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="certificate-{certificate.number}.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert response.content.startswith(b"%PDF-")

    from onestop.talents.render import certificate_pdf

    raw = certificate_pdf(certificate, compress=False)
    assert b"/STSong-Light" in raw and b"UniGB-UCS2-H" in raw

    def cid(text: str) -> bytes:  # UCS-2 big-endian, with reportlab's escapes of non-printable bytes
        return b"".join(bytes([b]) if 32 <= b < 127 and b not in b"()\\" else b"\\%03o" % b
                        for b in text.encode("utf-16-be"))

    for text in (s["talent"].real_name, "人才认定证书", certificate.number, certificate.get_tier_display(),
                 certificate.valid_until.isoformat()):
        assert cid(text) in raw, text


def test_certificate_pdf_is_404_for_anyone_else_and_audited(setup, login):
    s = setup
    certificate = _certified(s).certificate
    url = f"/talent/certification/certificates/{certificate.pk}/pdf/"
    assert login(TalentFactory()).get(url).status_code == 404
    assert login(EmployerUserFactory()).get(url).status_code == 404
    assert login(s["housing"], otp=True).get(url).status_code == 404
    assert AuditEvent.objects.filter(action="certification.certificate.download", result="denied").count() == 3
    assert login(s["talent"]).get("/talent/certification/certificates/999999/pdf/").status_code == 404
    # the talent office's reviewer may, and the read is audited
    assert login(s["office"], otp=True).get(url).status_code == 200
    assert AuditEvent.objects.filter(action="certification.certificate.download", result="success",
                                     actor=s["office"]).count() == 1


def test_the_talent_sees_the_download_link(setup, login):
    s = setup
    certificate = _certified(s).certificate
    html = login(s["talent"]).get("/talent/certification/").content.decode()
    assert f"/talent/certification/certificates/{certificate.pk}/pdf/" in html


# --- the material deadline -----------------------------------------------------------------------------------------

def _material_requested(s):
    application = _apply(s)
    cert.certification_decide(application=application, actor=s["hr"], action="approve")
    cert.certification_decide(application=application, actor=s["office"], action="request_info", reason="请补充学位证书")
    application.refresh_from_db()
    return application


def test_unanswered_material_request_withdraws_the_application_after_the_deadline(setup):
    s = setup
    application = _material_requested(s)
    due = application.material_due
    assert cert.certification_tick(today=due)["material_expired"] == 0  # the due day itself still counts
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REVIEW
    assert cert.certification_tick(today=date.fromordinal(due.toordinal() + 1)) == {"issued": 0, "material_expired": 1}
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN
    case = cert.case_of(application)
    assert case.status == CaseStatus.CANCELLED
    assert _office_task(application).state == TaskState.CANCELLED
    event = application.events.get(kind=CertEventKind.MATERIAL_EXPIRED)
    assert "视为撤回" in event.reason and due.isoformat() in event.reason
    assert not application.events.filter(kind=CertEventKind.REJECTED).exists()
    assert AuditEvent.objects.filter(action="certification.material.expire").count() == 1
    assert s["talent"].notifications.filter(title="人才认定申请已视为撤回").exists()
    # idempotent, and the talent may apply again
    assert cert.certification_tick(today=date(2024, 12, 31))["material_expired"] == 0
    assert _apply(s).status == ApplicationStatus.REVIEW


def test_answered_material_request_is_not_expired(setup):
    s = setup
    application = _material_requested(s)
    cert.certification_provide_material(application=application, actor=s["talent"], message="已上传学位证书")
    assert cert.certification_tick(today=date(2024, 12, 31))["material_expired"] == 0
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REVIEW and application.material_due is None


def test_scheduler_command_runs_the_tick(setup):
    from io import StringIO

    s = setup
    application = _material_requested(s)
    out = StringIO()
    call_command("certification_tick", "--today", "2024-12-31", stdout=out)
    assert out.getvalue().strip() == "issued 0, material expired 1"
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN


# --- the tier decision ---------------------------------------------------------------------------------------------

def test_generic_task_page_cannot_approve_without_the_tier_decision(setup, login):
    s = setup
    application = _apply(s)
    cert.certification_decide(application=application, actor=s["hr"], action="approve")
    task = _office_task(application)
    client = login(s["office"], otp=True)
    response = client.post(f"/workflow/tasks/{task.pk}/", {"action": "approve", "reason": "同意"})
    assert response.status_code == 422
    assert f"/talent/certification/{application.pk}/" in response.content.decode()
    task.refresh_from_db()
    application.refresh_from_db()
    assert task.state != TaskState.APPROVED and application.status == ApplicationStatus.REVIEW
    # the API refuses as well (409 with the same message)
    response = client.post(f"/api/v1/workflow/tasks/{task.pk}/actions", {"action": "approve"},
                           content_type="application/json")
    assert response.status_code == 409
    assert f"/talent/certification/{application.pk}/" in response.json()["message"]
    # on the certification page the reviewer's tier is kept
    response = client.post(f"/talent/certification/{application.pk}/",
                           {"op": "decide", "action": "approve", "tier": "E", "reason": "材料齐全"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.decided_tier) == (ApplicationStatus.PUBLICITY, "E")
    decided = application.events.get(kind=CertEventKind.TIER_DECIDED)
    assert decided.actor == s["office"] and decided.detail == {"task": task.pk, "tier": "E"}


def test_committee_must_decide_its_own_tier(setup):
    s = setup
    application = _apply(s, tier="C", equivalent_claim=True, statement="主持国家重点研发计划项目，相当于地方级领军人才。")
    cert.certification_decide(application=application, actor=s["hr"], action="approve")
    cert.certification_decide(application=application, actor=s["office"], action="approve", tier="D")
    committee = Task.objects.get(case=cert.case_of(application), step__code="committee_review")
    from onestop.workflow.services import task_approve

    with pytest.raises(cert.TierDecisionRequired):
        task_approve(task=committee, actor=s["head"])  # the office's D must not pass silently
    cert.certification_decide(application=application, actor=s["head"], action="approve", tier="C")
    application.refresh_from_db()
    assert (application.status, application.decided_tier) == (ApplicationStatus.PUBLICITY, "C")


def test_profile_page_uploads_a_document(talent, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = login(talent).post("/talent/profile/", {
        "section": "document", "document-kind": "diploma",
        "document-file": SimpleUploadedFile("学位证书.pdf", b"%PDF-1.4 x", content_type="application/pdf")})
    assert response.status_code == 302
    assert talent.talent_profile.documents.get().original_name == "学位证书.pdf"


# --- children's data -----------------------------------------------------------------------------------------------

def test_children_only_for_education_and_health_masked_until_revealed(setup, login):
    from datetime import date as d

    from onestop.core.models import Department
    from onestop.core.tests.factories import DepartmentFactory, StaffFactory
    from onestop.talents import services

    s = setup
    services.family_add(actor=s["talent"], relation="child", name="王小明", id_number="410102201801011234",
                        birth_date=d(2018, 1, 1), school_stage="primary")
    number = s["talent"].talent_profile.registry_number
    url = f"/talent/children/{number}/"
    education = StaffFactory(department=Department.objects.get(code="education"))
    health = StaffFactory(department=Department.objects.get(code="health"))
    client = login(education, otp=True)
    html = client.get(url).content.decode()
    assert "王小明" not in html and "410102201801011234" not in html and "2018-**-**" in html
    assert "小学" in html
    revealed = client.post(url, {"op": "reveal"})
    assert revealed["Cache-Control"] == "private, no-store"
    assert "王小明" in revealed.content.decode() and "410102201801011234" in revealed.content.decode()
    assert AuditEvent.objects.filter(action="talent.children.unmask", actor=education).count() == 1
    assert login(health, otp=True).get(url).status_code == 200
    assert login(education, otp=True).get(f"/talent/children/?number={number}").status_code == 302
    # everyone else: 404, audited
    for outsider in (s["office"], s["housing"], StaffFactory(department=DepartmentFactory(code="transport"))):
        c = login(outsider, otp=True)
        assert c.get(url).status_code == 404
        assert c.post(url, {"op": "reveal"}).status_code == 404
        assert c.get("/talent/children/").status_code == 404
    assert login(education, otp=True).get("/talent/children/RC9999999/").status_code == 404
    assert AuditEvent.objects.filter(action="talent.children.view", result="denied").count() == 10
    assert login(s["talent"]).get(url).status_code in (403, 404)  # the talent uses the profile page


# --- resolving an objection: scope before the form -----------------------------------------------------------------

def test_objection_resolve_is_404_for_anyone_but_the_talent_office_whatever_the_form(setup, login):
    """Staff who may not resolve the objection get 404 for an empty, an invalid and a valid form alike (the scope is
    checked before the input), each refusal audited; the talent office's staff get the form error instead."""
    from onestop.talents.choices import ObjectionStatus

    s = setup
    application = _apply(s)
    cert.certification_decide(application=application, actor=s["hr"], action="approve")
    cert.certification_decide(application=application, actor=s["office"], action="approve")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PUBLICITY
    objection = cert.objection_file(application=application, actor=TalentFactory(), content="申报的学位信息存疑，请核实。")
    url = f"/talent/certification/objections/{objection.pk}/resolve/"
    other = login(s["housing"], otp=True)  # a reviewer of another department
    for data in ({}, {"upheld": "maybe"}, {"upheld": "1", "resolution": "核查属实，异议成立。"}):
        assert other.post(url, data).status_code == 404, data
    assert AuditEvent.objects.filter(action="certification.objection.resolve", result="denied",
                                     actor=s["housing"]).count() == 3
    office = login(s["office"], otp=True)
    assert office.post("/talent/certification/objections/999999/resolve/", {}).status_code == 404
    response = office.post(url, {})
    assert response.status_code == 302 and response["Location"].endswith(f"/certification/{application.pk}/")
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.OPEN  # nothing resolved by the refusals or the empty form
    office.post(url, {"upheld": "0", "resolution": "经核实，异议不成立。"})
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.DISMISSED
