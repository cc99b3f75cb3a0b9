"""The employer's calculator (own enterprise only) and the policy metadata editor (own department, audited,
Chinese field errors)."""

from __future__ import annotations

from onestop.core.choices import Role
from onestop.core.models import AuditEvent
from onestop.core.tests.factories import EmployerUserFactory, EnterpriseFactory, TalentFactory
from onestop.policies.choices import Subject
from onestop.policies.models import Policy


def test_employer_runs_the_employer_policies_for_its_own_enterprise(package, login):
    enterprise = EnterpriseFactory(employee_count=80)
    hr = EmployerUserFactory(enterprise=enterprise, enterprise__role=Role.EMPLOYER_HR)
    client = login(hr)
    response = client.get("/policies/employer/")
    assert response.status_code == 302 and response["Location"] == f"/policies/employer/{enterprise.pk}/"
    page = client.get(f"/policies/employer/{enterprise.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert enterprise.name in html and 'id="near-misses"' in html
    employer_policy = Policy.objects.get(subject=Subject.EMPLOYER)
    data = client.get(f"/api/v1/policies/calculate/enterprise/{enterprise.pk}").json()
    assert data["enterprise"]["uscc"] == enterprise.uscc
    rules = {g["policy"] for g in data["eligible"]} | {n["policy"] for n in data["near_misses"]}
    assert rules == {employer_policy.code}  # employer policies only, never the talent ones
    assert employer_policy.title in html


def test_another_employer_or_a_talent_gets_404(package, login):
    enterprise = EnterpriseFactory()
    outsider = login(EmployerUserFactory())
    assert outsider.get(f"/policies/employer/{enterprise.pk}/").status_code == 404
    assert outsider.get(f"/api/v1/policies/calculate/enterprise/{enterprise.pk}").status_code == 404
    assert login(TalentFactory()).get(f"/api/v1/policies/calculate/enterprise/{enterprise.pk}").status_code == 404
    assert login(TalentFactory()).get(f"/policies/employer/{enterprise.pk}/").status_code in (403, 404)
    assert AuditEvent.objects.filter(action="policy.calculate.enterprise", result="denied").count() == 3


def test_staff_edit_policy_metadata_audited_and_searchable(package, editors, login, client):
    client_staff = login(editors.author, otp=True)
    url = "/policies/manage/talent-certification/edit/"
    assert client_staff.get(url).status_code == 200
    response = client_staff.post(url, {"title": "航空港区人才层次认定（修订）", "title_en": "Talent tiers (rev.)",
                                       "summary": "按 A–E 类认定人才层次，航空港区新摘要。", "summary_en": "New summary.",
                                       "category": "certification", "audiences": ["high_level", "young"]})
    assert response.status_code == 302
    policy = Policy.objects.get(code="talent-certification")
    assert (policy.title, policy.summary_en, policy.audiences) == ("航空港区人才层次认定（修订）", "New summary.",
                                                                   ["high_level", "young"])
    event = AuditEvent.objects.get(action="policy.metadata.update")
    assert event.actor == editors.author and event.after["title"] == "航空港区人才层次认定（修订）"
    assert "修订" in client.get("/policies/?q=修订").content.decode()
    client.cookies["django_language"] = "en"
    assert "Talent tiers (rev.)" in client.get("/policies/").content.decode()


def test_metadata_errors_are_in_chinese_next_to_the_fields(package, editors, login):
    client = login(editors.author, otp=True)
    response = client.post("/policies/manage/talent-certification/edit/",
                           {"title": "", "summary": "", "category": "nope", "audiences": []})
    assert response.status_code == 422
    html = response.content.decode()
    for message in ("政策名称：请填写此项。", "政策摘要：请填写此项。", "类别：请选择有效的选项。", "适用人群：请填写此项。"):
        assert message in html
    assert not AuditEvent.objects.filter(action="policy.metadata.update").exists()
    # the service's own checks, in Chinese, next to the field (whitespace passes the form, not the service)
    response = client.post("/policies/manage/talent-certification/edit/",
                           {"title": "   ", "summary": "摘要", "category": "certification", "audiences": ["young"]})
    assert response.status_code == 422 and "政策名称：" in response.content.decode()


def test_metadata_of_another_department_is_404(package, editors, login):
    from onestop.core.exceptions import NotFound
    from onestop.policies.services import policy_metadata_update

    housing_policy = Policy.objects.filter(department=package.housing).first()
    assert housing_policy is not None
    client = login(editors.author, otp=True)
    assert client.get(f"/policies/manage/{housing_policy.code}/edit/").status_code == 404
    try:
        policy_metadata_update(policy=housing_policy, actor=editors.author, title="x", summary="y",
                               category="housing", audiences=["young"])
    except NotFound:
        pass
    else:  # pragma: no cover
        raise AssertionError("expected NotFound")
    assert AuditEvent.objects.filter(action="policy.metadata.update", result="denied").count() == 1
