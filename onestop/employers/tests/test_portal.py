"""The enterprise portal's services: licence upload and review, HR invitations, employment confirm/deny, own
talents only, jobs searchable by industry and education, 区聘企用 placements."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from onestop.core.exceptions import Conflict, NotFound, ValidationFailed
from onestop.core.tests.factories import EnterpriseFactory
from onestop.employers import selectors, services
from onestop.employers.models import BusinessLicence, EmploymentDecision, HrInvitation, Placement

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_licence_is_checked_by_content_and_review_activates(org):
    pending = EnterpriseFactory(status="pending")
    from onestop.core.tests.factories import EmployerUserFactory

    admin = EmployerUserFactory(enterprise=pending)
    with pytest.raises(ValidationFailed) as exc:
        services.licence_upload(actor=admin, enterprise=pending,
                                upload=SimpleUploadedFile("licence.pdf", b"MZ\x90\x00 not a pdf"))
    assert exc.value.field_errors["licence"][0].startswith("营业执照：")
    with pytest.raises(Conflict):  # no licence yet
        services.enterprise_review(actor=org.office, enterprise=pending, approve=True)
    services.licence_upload(actor=admin, enterprise=pending, upload=SimpleUploadedFile("执照.pdf", PDF))
    with pytest.raises(NotFound):
        services.licence_upload(actor=org.admin, enterprise=pending, upload=SimpleUploadedFile("x.pdf", PDF))
    with pytest.raises(NotFound):  # housing staff do not review registrations
        services.enterprise_review(actor=org.housing, enterprise=pending, approve=True)
    with pytest.raises(ValidationFailed):
        services.enterprise_review(actor=org.office, enterprise=pending, approve=False)
    services.enterprise_review(actor=org.office, enterprise=pending, approve=False, reason="执照模糊")
    assert pending.status == "rejected"
    services.licence_upload(actor=admin, enterprise=pending, upload=SimpleUploadedFile("执照2.pdf", PDF))
    assert pending.status == "pending"
    services.enterprise_review(actor=org.office, enterprise=pending, approve=True)
    assert pending.status == "active"
    with pytest.raises(Conflict):
        services.enterprise_review(actor=org.office_head, enterprise=pending, approve=True)
    licence = BusinessLicence.objects.filter(enterprise=pending).first()
    assert selectors.licence_for(user=org.office, pk=licence.pk) == licence
    with pytest.raises(NotFound):
        selectors.licence_for(user=org.admin, pk=licence.pk)


def test_hr_invitation_creates_an_hr_user_once(org):
    from onestop.core.sms import MemorySmsBackend

    with pytest.raises(NotFound):
        services.hr_invite(actor=org.hr, enterprise=org.ours, real_name="王五", phone="13903719999")
    with pytest.raises(ValidationFailed) as exc:
        services.hr_invite(actor=org.admin, enterprise=org.ours, real_name="", phone="123")
    assert set(exc.value.field_errors) == {"real_name", "phone"}
    _invitation, token = services.hr_invite(actor=org.admin, enterprise=org.ours, real_name="王五",
                                           phone="13903719999")
    user = services.hr_invitation_accept(token=token, password="Hr#2024strong")
    assert user.enterprise_ids("employer_hr") == {org.ours.pk}
    with pytest.raises(NotFound):
        services.hr_invitation_accept(token=token, password="Hr#2024strong")
    assert HrInvitation.objects.get().accepted_user == user
    assert MemorySmsBackend.outbox == [] or "人事专员" in MemorySmsBackend.outbox[-1]["text"]


def test_employment_confirm_and_deny_only_for_own_employees(org):
    from onestop.talents.services import employment_add

    job = employment_add(actor=org.talents[0], uscc=org.ours.uscc, start_date=date(2024, 3, 1))
    other = employment_add(actor=org.talents[1], uscc=org.theirs.uscc, start_date=date(2024, 3, 1))
    assert [e.pk for e in selectors.employments_for_employer(user=org.hr, enterprise=org.ours)] == [job.pk]
    with pytest.raises(NotFound):
        services.employment_decide(actor=org.hr, employment_id=other.pk, confirm=True)
    with pytest.raises(ValidationFailed) as exc:
        services.employment_decide(actor=org.hr, employment_id=job.pk, confirm=False)
    assert exc.value.field_errors == {"reason": ["理由：否认任职时请写明理由。"]}
    services.employment_decide(actor=org.hr, employment_id=job.pk, confirm=True)
    job.refresh_from_db()
    assert job.confirmed_at is not None
    with pytest.raises(Conflict):
        services.employment_decide(actor=org.admin, employment_id=job.pk, confirm=False, reason="弄错了")
    services.employment_decide(actor=org.other_admin, employment_id=other.pk, confirm=False, reason="查无此人")
    other.refresh_from_db()
    assert other.confirmed_at is None and EmploymentDecision.objects.get(employment=other).decision == "denied"


def test_talent_statuses_only_for_own_talents(org):
    rows = selectors.talents_for_employer(user=org.hr, enterprise=org.ours)
    assert {r["profile"].user_id for r in rows} == {t.pk for t in org.talents}
    with pytest.raises(NotFound):
        selectors.talents_for_employer(user=org.other_admin, enterprise=org.ours)


def test_jobs_searchable_by_industry_and_education(org):
    def job(title, industry, education, publish=True, enterprise=None, actor=None):
        return services.job_create(actor=actor or org.admin, enterprise=enterprise or org.ours, title=title,
                                   industry=industry, education_min=education, description="负责研发",
                                   salary_min_fen=800_000, salary_max_fen=1_500_000, publish=publish)

    a = job("嵌入式工程师", "electronic_info", "bachelor")
    b = job("博士后研究员", "biomedicine", "doctor")
    job("草稿岗位", "electronic_info", "bachelor", publish=False)
    assert set(selectors.jobs_search()) == {a, b}
    assert list(selectors.jobs_search(industry="biomedicine")) == [b]
    assert list(selectors.jobs_search(education="master")) == [a]
    with pytest.raises(ValidationFailed) as exc:
        services.job_create(actor=org.admin, enterprise=org.ours, title="", industry="x", education_min="phd",
                            description="", salary_min_fen=900, salary_max_fen=100)
    assert set(exc.value.field_errors) == {"title", "industry", "education_min", "description", "salary_max"}
    with pytest.raises(NotFound):
        job("越权岗位", "aerospace", "bachelor", enterprise=org.theirs)
    with pytest.raises(NotFound):
        services.job_set_status(actor=org.other_admin, job=a, status="closed")
    services.job_set_status(actor=org.hr, job=a, status="closed")
    assert list(selectors.jobs_search()) == [b]


def test_placement_contract_evaluations_renewal_and_end(org):
    talent = org.talents[0]
    args = {"talent_id": talent.pk, "uscc": org.ours.uscc, "contract_no": "QP-2024-001", "position": "研发总监",
            "start_date": date(2024, 1, 1), "end_date": date(2025, 12, 31), "monthly_cost_fen": 3_000_000,
            "zone_share_pct": 60}
    with pytest.raises(NotFound):
        services.placement_create(actor=org.housing, **args)
    with pytest.raises(ValidationFailed) as exc:
        services.placement_create(actor=org.office, **{**args, "end_date": date(2023, 1, 1), "zone_share_pct": 120})
    assert set(exc.value.field_errors) == {"end_date", "zone_share_pct"}
    placement = services.placement_create(actor=org.office, **args)
    assert placement.enterprise_share_pct == 40
    with pytest.raises(ValidationFailed):  # one active placement per talent
        services.placement_create(actor=org.office, **{**args, "contract_no": "QP-2024-002"})
    with pytest.raises(NotFound):
        services.placement_evaluate(actor=org.other_admin, placement=placement, period="2024-Q1", grade="good",
                                    comment="表现良好")
    services.placement_evaluate(actor=org.hr, placement=placement, period="2024-q1", grade="good", comment="表现良好")
    with pytest.raises(Conflict):
        services.placement_evaluate(actor=org.hr, placement=placement, period="2024-Q1", grade="excellent",
                                    comment="再评")
    placement = services.placement_renew(actor=org.office, placement=placement, new_end_date=date(2026, 12, 31))
    assert placement.renewals == 1
    placement = services.placement_end(actor=org.office, placement=placement, ended_on=date(2026, 6, 30),
                                       reason="项目结束")
    assert placement.status == "ended"
    assert list(selectors.placements_for(user=org.other_admin)) == []
    assert list(selectors.placements_for(user=talent)) == [placement]
    assert Placement.objects.count() == 1
