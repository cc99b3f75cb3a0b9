"""The API at /api/v1/workflow: my tasks scoped by role, acting on a task with problem responses in Chinese, a case's
timeline for the applicant and the departments involved, and the sample workflow end to end."""

from __future__ import annotations

import json

import pytest

from onestop.workflow import services
from onestop.workflow.choices import TaskState

from .conftest import submit, task_of

pytestmark = pytest.mark.django_db
API = "/api/v1/workflow"


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def test_tasks_are_scoped_to_my_department(wf, talent, login):
    case = submit(talent)
    office = login(wf.office, otp=True).get(f"{API}/tasks").json()
    hrss = login(wf.hrss, otp=True).get(f"{API}/tasks").json()

    assert [t["case_id"] for t in office["items"]] == [case.pk]
    assert office["items"][0]["state"] == "pending" and office["items"][0]["due_date"] == "2024-09-29"
    assert hrss == {"items": [], "count": 0}


def test_talents_have_no_tasks_and_anonymous_users_are_refused(wf, talent, login, client):
    submit(talent)
    assert login(talent).get(f"{API}/tasks").status_code == 404  # no queue, as on the page
    assert client.get(f"{API}/tasks").status_code == 401


def test_the_task_list_is_404_to_roles_without_a_queue_and_open_to_departments_and_enterprises(
        wf, talent, employed_talent, login):
    from onestop.core.choices import Role
    from onestop.core.tests.factories import AdminFactory, LeaderFactory, PartnerUserFactory

    case = submit(talent)
    outsiders = {"leader": login(LeaderFactory(), otp=True),
                 "auditor": login(AdminFactory(role=Role.AUDITOR), otp=True),
                 "partner": login(PartnerUserFactory(), otp=True),
                 **{role: login(AdminFactory(role=role), otp=True)
                    for role in (Role.SYS_ADMIN, Role.SEC_ADMIN, Role.AUDIT_ADMIN)}}

    for who, client in outsiders.items():
        assert client.get(f"{API}/tasks").status_code == 404, who
        assert client.get("/workflow/queue/").status_code == 404, who

    assert [t["case_id"] for t in login(wf.office, otp=True).get(f"{API}/tasks").json()["items"]] == [case.pk]
    assert login(wf.housing, otp=True).get(f"{API}/tasks").json() == {"items": [], "count": 0}
    assert login(employed_talent.hr).get(f"{API}/tasks").json() == {"items": [], "count": 0}


def test_another_department_gets_404_for_a_task(wf, talent, login):
    task = task_of(submit(talent), "talent_office_review")
    hrss = login(wf.hrss, otp=True)

    assert hrss.get(f"{API}/tasks/{task.pk}").status_code == 404
    response = post(hrss, f"{API}/tasks/{task.pk}/actions", {"action": "claim"})
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_act_on_a_task_and_refusals_are_problems(wf, talent, login):
    task = task_of(submit(talent), "talent_office_review")
    office = login(wf.office, otp=True)

    claimed = post(office, f"{API}/tasks/{task.pk}/actions", {"action": "claim"}).json()
    assert claimed["state"] == "in_progress" and "approve" in claimed["allowed_actions"]
    again = post(login(wf.office2, otp=True), f"{API}/tasks/{task.pk}/actions", {"action": "claim"})
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    missing_reason = post(office, f"{API}/tasks/{task.pk}/actions", {"action": "reject"})
    assert missing_reason.status_code == 422
    assert missing_reason.json()["errors"]["reason"] == ["理由：退回（不通过）时必须填写理由，申请人会看到。"]
    bad_action = post(office, f"{API}/tasks/{task.pk}/actions", {"action": "explode"})
    assert bad_action.status_code == 422 and bad_action.json()["errors"]["action"][0].startswith("操作：")


def test_timeline_for_the_applicant_and_the_departments_only(wf, talent, other_talent, login):
    case = submit(talent)
    services.task_claim(task=task_of(case, "talent_office_review"), actor=wf.office)

    mine = login(talent).get(f"{API}/cases/{case.pk}/timeline").json()
    assert mine["case"]["status"] == "open" and mine["case"]["version"] == 1
    first = mine["stages"][0]
    assert first["parallel"] is True
    assert [(s["name"], s["state"]) for s in first["steps"]] == [
        ("人才办受理审核", "in_progress"), ("用人单位确认", "skipped")]
    assert first["steps"][0]["assignee"] == ""                          # the applicant sees departments
    staff_view = login(wf.office, otp=True).get(f"{API}/cases/{case.pk}/timeline").json()
    assert staff_view["stages"][0]["steps"][0]["assignee"] == wf.office.display_name
    assert login(other_talent).get(f"{API}/cases/{case.pk}/timeline").status_code == 404
    assert login(wf.hrss, otp=True).get(f"{API}/cases/{case.pk}/timeline").status_code == 404
    assert login(talent).get(f"{API}/cases").json()["count"] == 1
    assert login(other_talent).get(f"{API}/cases").json()["count"] == 0


def test_sample_workflow_end_to_end_through_the_api(wf, talent, login):
    applicant = login(talent)
    created = post(applicant, f"{API}/service-requests", {"kind": "medical", "title": "开通医疗绿色通道"})
    assert created.status_code == 201
    case_id = created.json()["id"]

    office = login(wf.office, otp=True)
    (task,) = office.get(f"{API}/tasks").json()["items"]
    asked = post(office, f"{API}/tasks/{task['id']}/actions", {"action": "request_info", "reason": "请上传体检报告"})
    assert asked.json()["state"] == "info_requested"
    timeline = applicant.get(f"{API}/cases/{case_id}/timeline").json()
    assert timeline["applicant_must_act"] is True and "请上传体检报告" in timeline["next_action"]
    assert post(applicant, f"{API}/cases/{case_id}/info", {"message": "已上传"}).status_code == 200
    assert post(office, f"{API}/tasks/{task['id']}/actions", {"action": "approve"}).json()["state"] == "approved"

    hrss = login(wf.hrss, otp=True)
    (confirm,) = hrss.get(f"{API}/tasks").json()["items"]
    assert confirm["step"] == "hrss_confirm"
    assert post(hrss, f"{API}/tasks/{confirm['id']}/actions", {"action": "approve"}).status_code == 200

    timeline = applicant.get(f"{API}/cases/{case_id}/timeline").json()
    assert timeline["case"]["status"] == "approved"
    assert [e["kind"] for e in timeline["events"]][-1] == "case_closed"


def test_service_request_validation_names_the_field(wf, talent, login, staff):
    response = post(login(talent), f"{API}/service-requests", {"kind": "medical", "title": " "})
    assert response.status_code == 422 and response.json()["errors"]["title"] == ["标题：请填写申请标题。"]
    response = post(login(talent), f"{API}/service-requests", {"kind": "nope", "title": "x"})
    assert response.status_code == 422 and response.json()["errors"]["kind"][0].startswith("服务事项：")
    response = post(login(staff, otp=True), f"{API}/service-requests", {"kind": "medical", "title": "x"})
    assert response.status_code == 403


def test_reassign_through_the_api(wf, talent, login):
    task = services.task_claim(task=task_of(submit(talent), "talent_office_review"), actor=wf.office)
    office = login(wf.office, otp=True)
    wrong = post(office, f"{API}/tasks/{task.pk}/actions", {"action": "reassign", "assignee_id": wf.hrss.pk,
                                                            "reason": "协助"})
    assert wrong.status_code == 422 and "assignee" in wrong.json()["errors"]
    done = post(office, f"{API}/tasks/{task.pk}/actions", {"action": "reassign", "assignee_id": wf.office2.pk,
                                                           "reason": "协助"}).json()
    assert done["assignee"] == wf.office2.display_name and done["state"] == TaskState.IN_PROGRESS
