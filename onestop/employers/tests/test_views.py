"""Pages of the portal: each renders for its user, answers 404 to everyone else, and shows Chinese field errors."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from onestop.core.tests.factories import EmployerUserFactory, EnterpriseFactory
from onestop.employers import services
from onestop.employers.models import BusinessLicence, Job

from .test_portal import PDF


def test_portal_pages_render_for_the_employer(org, login):
    client = login(org.hr)
    for name in ("/employer/", "/employer/employments/", "/employer/talents/", "/employer/jobs/",
                 "/employer/funding/", "/employer/placements/", "/engagement/needs/mine/",
                 "/engagement/problems/"):
        response = client.get(name)
        assert response.status_code == 200, name


def test_staff_pages_are_404_for_employers_and_talents(org, login):
    client = login(org.admin)
    for name in ("/employer/review/", "/employer/funding/office/", "/engagement/events/manage/",
                 "/engagement/visits/", "/engagement/needs/review/"):
        assert client.get(name).status_code == 404, name
    talent = login(org.talents[0])
    assert talent.get("/employer/jobs/").status_code == 404


def test_licence_upload_and_review_pages(org, login):
    pending = EnterpriseFactory(status="pending")
    admin = EmployerUserFactory(enterprise=pending)
    client = login(admin)
    response = client.post("/employer/licence/", {"licence": SimpleUploadedFile("a.pdf", b"not a pdf")}, follow=True)
    assert "营业执照：只能上传 PDF、JPEG 或 PNG 文件" in response.content.decode()
    client.post("/employer/licence/", {"licence": SimpleUploadedFile("执照.pdf", PDF)})
    licence = BusinessLicence.objects.get()
    assert login(org.other_admin).get(f"/employer/licences/{licence.pk}/download/").status_code == 404
    office = login(org.office, otp=True)
    download = office.get(f"/employer/licences/{licence.pk}/download/")
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    response = office.post(f"/employer/review/{pending.pk}/", {"decision": "reject", "reason": ""})
    assert "核验意见：退回时请写明理由。" in response.content.decode()
    office.post(f"/employer/review/{pending.pk}/", {"decision": "approve"})
    pending.refresh_from_db()
    assert pending.status == "active"
    assert login(org.housing, otp=True).get(f"/employer/review/{pending.pk}/").status_code == 404


def test_job_form_errors_name_the_field_and_search_is_public(org, login, client):
    hr = login(org.hr)
    response = hr.post("/employer/jobs/", {"title": "", "industry": "aerospace", "education_min": "master",
                                           "description": "x", "salary_min": "9000", "salary_max": "8000",
                                           "headcount": "1", "location": "港区", "publish": "on"})
    body = response.content.decode()
    assert "岗位名称：请填写此项。" in body and "月薪上限：不能低于月薪下限。" in body
    assert Job.objects.count() == 0
    hr.post("/employer/jobs/", {"title": "适航工程师", "industry": "aerospace", "education_min": "master",
                                "description": "负责适航取证", "salary_min": "9000", "salary_max": "15000",
                                "headcount": "2", "location": "港区", "publish": "on"})
    job = Job.objects.get()
    assert "适航工程师" in client.get("/employer/jobs/search/?industry=aerospace&education=doctor").content.decode()
    assert "适航工程师" not in client.get("/employer/jobs/search/?education=bachelor").content.decode()
    assert login(org.other_admin).post(f"/employer/jobs/{job.pk}/status/", {"status": "closed"}).status_code == 404


def test_employment_decision_page(org, login):
    from onestop.talents.services import employment_add

    job = employment_add(actor=org.talents[0], uscc=org.ours.uscc, start_date=date(2024, 3, 1))
    assert login(org.other_admin).post(f"/employer/employments/{job.pk}/decide/",
                                       {"decision": "confirm"}).status_code == 404
    client = login(org.hr)
    response = client.post(f"/employer/employments/{job.pk}/decide/", {"decision": "deny"}, follow=True)
    assert "理由：否认任职时请写明理由。" in response.content.decode()
    client.post(f"/employer/employments/{job.pk}/decide/", {"decision": "confirm"})
    job.refresh_from_db()
    assert job.confirmed_at is not None


def test_hr_invitation_pages(org, login, client):
    admin = login(org.admin)
    response = admin.post("/employer/hr/", {"real_name": "赵六", "phone": "13903718888"})
    link = response.context["link"]
    token = link.rstrip("/").split("/")[-1]
    assert login(org.hr).post("/employer/hr/", {"real_name": "x", "phone": "13903718887"}).status_code == 404
    response = client.post(f"/employer/invitations/{token}/", {"password": "short"})
    assert "密码" in response.content.decode()
    assert client.post(f"/employer/invitations/{token}/", {"password": "Hr#2024strong"}).status_code == 302
    assert client.get(f"/employer/invitations/{token}/").status_code == 404


@pytest.mark.usefixtures("funding_policy", "funding_workflow")
def test_funding_pages(org, login):
    from .conftest import certify

    cert = certify(org.talents[0].talent_profile)
    client = login(org.admin)
    page = client.get("/employer/funding/").content.decode()
    assert "funding-quote" in page
    response = client.post("/employer/funding/", {"certificate": cert.pk, "statement": "短"})
    assert "引进或培养情况说明：请写明引进或培养情况（至少 10 个字）。" in response.content.decode()
    response = client.post("/employer/funding/", {"certificate": cert.pk, "statement": "全职引进的研发中心负责人，2024 年到岗。"})
    application = org.ours.funding_applications.get()
    assert response.status_code == 302
    assert login(org.other_admin).get(f"/employer/funding/{application.pk}/").status_code == 404
    assert login(org.office, otp=True).get(f"/employer/funding/{application.pk}/").status_code == 200
    assert services.funding_quote(enterprise=org.ours, as_of=date.today()).cap_fen == 500_000_000


def test_api_employment_decision_jobs_and_scope(org, login, client):
    import json

    from onestop.talents.services import employment_add

    job = employment_add(actor=org.talents[0], uscc=org.ours.uscc, start_date=date(2024, 3, 1))
    other = login(org.other_admin)
    assert other.post(f"/api/v1/employers/employments/{job.pk}/decision", json.dumps({"confirm": True}),
                      content_type="application/json").status_code == 404
    hr = login(org.hr)
    bad = hr.post(f"/api/v1/employers/employments/{job.pk}/decision", json.dumps({"confirm": False}),
                  content_type="application/json")
    assert bad.status_code == 422 and bad.json()["errors"]["reason"] == ["理由：否认任职时请写明理由。"]
    ok = hr.post(f"/api/v1/employers/employments/{job.pk}/decision", json.dumps({"confirm": True}),
                 content_type="application/json")
    assert ok.json() == {"employment_id": job.pk, "decision": "confirmed"}
    created = hr.post("/api/v1/employers/jobs", json.dumps({
        "title": "测试工程师", "industry": "electronic_info", "education_min": "bachelor", "description": "测试",
        "salary_min_fen": 600000, "salary_max_fen": 900000}), content_type="application/json")
    assert created.status_code == 201
    assert [j["title"] for j in client.get("/api/v1/employers/jobs?industry=electronic_info").json()] == ["测试工程师"]
    assert {t["profile_id"] for t in hr.get("/api/v1/employers/talents").json()} == {
        t.talent_profile.pk for t in org.talents}
    assert other.get("/api/v1/employers/funding").json() == []


def test_nomination_is_for_own_talents_and_reuses_the_registry_service(org, login):
    client = login(org.admin)
    stranger = login(org.other_admin)
    profile = org.talents[0].talent_profile
    assert stranger.get(f"/employer/talents/{profile.pk}/nominate/").status_code == 404
    assert client.get(f"/employer/talents/{profile.pk}/nominate/").status_code == 200
    response = client.post(f"/employer/talents/{profile.pk}/nominate/", {"track": "standard", "claimed_tier": "E",
                                                                         "statement": ""})
    # The registry's certification_apply answers; its Chinese error is shown (the talent has no documents yet).
    assert "证明材料：" in response.content.decode()
    assert not profile.certifications.exists()


def test_the_placement_list_sends_an_anonymous_visitor_to_sign_in(client):
    for method in ("get", "post"):
        response = getattr(client, method)("/employer/placements/")
        assert response.status_code == 302
        assert response["Location"].startswith("/account/login/?next=/employer/placements/")


def test_the_placement_page_is_404_to_roles_without_placements_and_open_to_the_rest(org, login):
    from onestop.core.choices import Role
    from onestop.core.tests.factories import AdminFactory, LeaderFactory, PartnerUserFactory
    from onestop.employers.models import Placement

    talent = org.talents[0]
    placement = services.placement_create(
        actor=org.office, talent_id=talent.pk, uscc=org.ours.uscc, contract_no="QP-2024-001", position="研发总监",
        start_date=date(2024, 1, 1), end_date=date(2025, 12, 31), monthly_cost_fen=3_000_000, zone_share_pct=60)
    link = f"/employer/placements/{placement.pk}/"
    outsiders = {"leader": login(LeaderFactory(), otp=True),
                 "auditor": login(AdminFactory(role=Role.AUDITOR), otp=True),
                 "partner": login(PartnerUserFactory(), otp=True),
                 "audit_admin": login(AdminFactory(role=Role.AUDIT_ADMIN), otp=True)}

    for who, client in outsiders.items():
        assert client.get("/employer/placements/").status_code == 404, who
        response = client.post("/employer/placements/", {"contract_no": "QP-2024-009", "uscc": org.ours.uscc,
                                                         "talent": str(talent.pk)})
        assert response.status_code == 404, who
        assert client.get(link).status_code == 404, who
    assert Placement.objects.count() == 1

    for client in (login(org.office, otp=True), login(org.admin), login(talent)):
        page = client.get("/employer/placements/")
        assert page.status_code == 200 and f'"{link}"' in page.content.decode()
    other = login(org.housing, otp=True)  # staff of a department that does not place talents: an empty list
    page = other.get("/employer/placements/")
    assert page.status_code == 200 and link not in page.content.decode()


def test_my_enterprises_api_is_404_to_every_role_but_the_enterprises_users(org, login):
    from onestop.core.choices import Role
    from onestop.core.tests.factories import AdminFactory, LeaderFactory, PartnerUserFactory

    outsiders = {"leader": login(LeaderFactory(), otp=True),
                 "auditor": login(AdminFactory(role=Role.AUDITOR), otp=True),
                 "partner": login(PartnerUserFactory(), otp=True),
                 **{role: login(AdminFactory(role=role), otp=True)
                    for role in (Role.SYS_ADMIN, Role.SEC_ADMIN, Role.AUDIT_ADMIN)},
                 "talent": login(org.talents[0]), "office": login(org.office, otp=True)}

    for who, client in outsiders.items():
        assert client.get("/api/v1/employers/me").status_code == 404, who
        assert client.get("/employer/").status_code == 404, who  # as the 单位中心 page

    assert [e["id"] for e in login(org.admin).get("/api/v1/employers/me").json()] == [org.ours.pk]
    assert [e["id"] for e in login(org.hr).get("/api/v1/employers/me").json()] == [org.ours.pk]
