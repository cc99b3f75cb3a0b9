"""Pages: the department queue (scoping, filters, counts, htmx claim, bulk, query-count pin), task detail with
Chinese field errors, the applicant's case page and timeline, the head's chart, the admin's calendar page, and the
sample workflow end to end in the browser."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from onestop.workflow import services
from onestop.workflow.choices import CaseStatus, TaskState
from onestop.workflow.models import CalendarYear, Case

from .conftest import submit, task_of

pytestmark = pytest.mark.django_db
D = date.fromisoformat
HX = {"HTTP_HX_REQUEST": "true"}


def _talents(n):
    from onestop.core.tests.factories import TalentFactory

    return [TalentFactory() for _ in range(n)]


# --- queue ------------------------------------------------------------------------------------------------------

def test_queue_lists_only_my_departments_tasks(wf, talent, login):
    case = submit(talent)
    office_html = login(wf.office, otp=True).get("/workflow/queue/").content.decode()
    hrss_html = login(wf.hrss, otp=True).get("/workflow/queue/").content.decode()

    assert case.title in office_html and f'id="task-{task_of(case, "talent_office_review").pk}"' in office_html
    assert case.title not in hrss_html and 'id="queue-none"' in hrss_html


def test_queue_is_404_for_people_without_a_queue(wf, talent, login, sys_admin):
    assert login(talent).get("/workflow/queue/").status_code == 404
    assert login(sys_admin, otp=True).get("/workflow/queue/").status_code == 404
    assert login(wf.office).get("/workflow/queue/").status_code == 302       # staff without the second factor


def test_another_department_gets_404_for_a_task_page(wf, talent, login):
    task = task_of(submit(talent), "talent_office_review")
    client = login(wf.hrss, otp=True)

    assert client.get(f"/workflow/tasks/{task.pk}/").status_code == 404
    assert client.post(f"/workflow/tasks/{task.pk}/", {"action": "claim"}).status_code == 404
    assert client.post(f"/workflow/tasks/{task.pk}/claim/", **HX).status_code == 404
    task.refresh_from_db()
    assert task.state == TaskState.PENDING


def test_queue_filters_and_counts(wf, login):
    t1, t2, t3 = _talents(3)
    c1, c2, c3 = submit(t1, title="甲公寓"), submit(t2, title="乙公寓"), submit(t3, title="丙公寓")
    services.task_claim(task=task_of(c1, "talent_office_review"), actor=wf.office)
    services.task_request_info(task=task_of(c2, "talent_office_review"), actor=wf.office2, reason="缺材料")
    wf.clock.set(D("2024-09-30"))                          # deadline 09-29 passed for the running ones
    client = login(wf.office, otp=True)

    html = client.get("/workflow/queue/").content.decode()
    assert "未办结 3" in html and "待认领 1" in html and "办理中 1" in html and "待补充材料 1" in html
    assert "已超期 2" in html and "我的 1" in html
    mine = client.get("/workflow/queue/", {"mine": "on"}).content.decode()
    assert c1.title in mine and c3.title not in mine
    overdue = client.get("/workflow/queue/", {"overdue": "on"}).content.decode()
    assert c1.title in overdue and c3.title in overdue and c2.title not in overdue
    paused = client.get("/workflow/queue/", {"state": "info_requested"}).content.decode()
    assert c2.title in paused and c1.title not in paused
    services.definition_publish(spec={"code": "green_card", "name": "人才绿卡", "stages": [[
        {"code": "review", "name": "绿卡审核", "department": "talent_office", "deadline_days": 3}]]})
    card = services.case_start(definition_code="green_card", subject=c3.subject.applicant.talent_profile,
                               applicant=t3, title="绿卡申请")
    by_type = client.get("/workflow/queue/", {"definition": "green_card"}).content.decode()
    assert card.title in by_type and c1.title not in by_type and "人才绿卡" in by_type


def test_queue_sorts_by_deadline(wf, login):
    first, second = _talents(2)
    late = submit(first, title="晚到期")
    wf.clock.set(D("2024-09-20"))
    early = submit(second, title="早到期")
    html = login(wf.office, otp=True).get("/workflow/queue/").content.decode()
    assert html.index(early.title) < html.index(late.title)
    html = login(wf.office, otp=True).get("/workflow/queue/", {"sort": "-due"}).content.decode()
    assert html.index(late.title) < html.index(early.title)


def test_htmx_filter_and_claim_return_the_results_partial(wf, talent, login):
    task = task_of(submit(talent), "talent_office_review")
    client = login(wf.office, otp=True)

    partial = client.get("/workflow/queue/", {"state": "pending"}, **HX)
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    response = client.post(f"/workflow/tasks/{task.pk}/claim/", {"state": ""}, **HX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "已认领" in html and "办理中 1" in html
    task.refresh_from_db()
    assert (task.state, task.assignee) == (TaskState.IN_PROGRESS, wf.office)
    again = login(wf.office2, otp=True).post(f"/workflow/tasks/{task.pk}/claim/", {}, **HX).content.decode()
    assert "不能认领" in again


def test_bulk_approve_from_the_queue(wf, login):
    cases = [submit(t) for t in _talents(3)]
    ids = [task_of(c, "talent_office_review").pk for c in cases]
    client = login(wf.office, otp=True)

    html = client.post("/workflow/queue/bulk/", {"task_ids": ids[:2], "action": "approve", "reason": ""},
                       **HX).content.decode()
    assert "已办理 2 件" in html
    assert [task_of(c, "talent_office_review").state for c in cases] == [
        TaskState.APPROVED, TaskState.APPROVED, TaskState.PENDING]
    html = client.post("/workflow/queue/bulk/", {"task_ids": [ids[2]], "action": "reject", "reason": ""},
                       **HX).content.decode()
    assert "理由：退回（不通过）时必须填写理由" in html


def test_queue_query_count_does_not_grow_with_the_tasks(wf, login):
    client = login(wf.office, otp=True)
    for t in _talents(3):
        submit(t)
    client.get("/workflow/queue/")                          # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/workflow/queue/").status_code == 200
    for t in _talents(9):
        submit(t)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/workflow/queue/").status_code == 200

    assert len(few) == len(many)
    assert len(many) <= 16, [q["sql"] for q in many.captured_queries]


# --- task detail --------------------------------------------------------------------------------------------------

def test_task_detail_shows_actions_and_timeline(wf, talent, login):
    task = task_of(submit(talent), "talent_office_review")
    html = login(wf.office, otp=True).get(f"/workflow/tasks/{task.pk}/").content.decode()

    assert 'id="submit-claim"' in html and 'id="action-reject"' in html
    assert "人才办受理审核" in html and "人社部门确认" in html and "未开始" in html
    assert "下一步：" in html and "2024-09-29" in html


def test_reject_without_reason_names_the_field_in_chinese(wf, talent, login):
    task = task_of(submit(talent), "talent_office_review")
    response = login(wf.office, otp=True).post(f"/workflow/tasks/{task.pk}/", {"action": "reject", "reason": ""})

    html = response.content.decode()
    assert response.status_code == 422
    assert "理由：退回（不通过）时必须填写理由，申请人会看到。" in html
    assert re.search(r'<details[^>]*open[^>]*id="action-reject"', html)
    task.refresh_from_db()
    assert task.state == TaskState.PENDING


def test_reassign_form_offers_only_department_colleagues(wf, talent, login):
    task = services.task_claim(task=task_of(submit(talent), "talent_office_review"), actor=wf.office)
    client = login(wf.office, otp=True)
    html = client.get(f"/workflow/tasks/{task.pk}/").content.decode()
    assert wf.office2.display_name in html and wf.hrss.display_name not in html

    response = client.post(f"/workflow/tasks/{task.pk}/", {"action": "reassign", "assignee": wf.hrss.pk,
                                                           "reason": "协助"})
    assert response.status_code == 422 and "转办对象：" in response.content.decode()
    response = client.post(f"/workflow/tasks/{task.pk}/", {"action": "reassign", "assignee": wf.office2.pk,
                                                           "reason": "协助"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.assignee == wf.office2


# --- applicant ----------------------------------------------------------------------------------------------------

def test_applicant_sees_own_cases_only(wf, talent, other_talent, login):
    case = submit(talent)
    mine = login(talent)
    html = mine.get("/workflow/cases/").content.decode()
    assert case.title in html
    assert case.title not in login(other_talent).get("/workflow/cases/").content.decode()
    assert login(other_talent).get(f"/workflow/cases/{case.pk}/").status_code == 404
    assert login(wf.housing, otp=True).get(f"/workflow/cases/{case.pk}/").status_code == 404
    assert login(wf.office, otp=True).get(f"/workflow/cases/{case.pk}/").status_code == 200


def test_applicant_timeline_shows_departments_not_staff_names(wf, talent, login):
    case = submit(talent)
    services.task_claim(task=task_of(case, "talent_office_review"), actor=wf.office)
    html = login(talent).get(f"/workflow/cases/{case.pk}/").content.decode()

    assert "人才工作领导小组办公室" in html and "人力资源和社会保障局" in html
    assert wf.office.display_name not in html
    assert "不适用（已跳过）" in html and "等待人才工作领导小组办公室办理（期限 2024-09-29）" in html


def test_applicant_answers_a_request_for_information_on_the_case_page(wf, talent, login):
    case = submit(talent)
    services.task_request_info(task=task_of(case, "talent_office_review"), actor=wf.office, reason="请补充房产证明")
    client = login(talent)
    html = client.get(f"/workflow/cases/{case.pk}/").content.decode()
    assert "请申请人补充材料：请补充房产证明" in html and 'id="provide-info"' in html

    response = client.post(f"/workflow/cases/{case.pk}/", {"op": "info", "message": ""})
    assert response.status_code == 422 and "补充说明：请填写此项。" in response.content.decode()
    response = client.post(f"/workflow/cases/{case.pk}/", {"op": "info", "message": "已上传无房证明"})
    assert response.status_code == 302
    assert task_of(case, "talent_office_review").state == TaskState.IN_PROGRESS


def test_applicant_withdraws(wf, talent, login):
    case = submit(talent)
    assert login(talent).post(f"/workflow/cases/{case.pk}/", {"op": "withdraw", "reason": "已解决"}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN


# --- head chart, workbench card, calendar admin page ----------------------------------------------------------------

def test_department_head_sees_load_and_overdue_chart(wf, login):
    cases = [submit(t) for t in _talents(2)]
    services.task_claim(task=task_of(cases[0], "talent_office_review"), actor=wf.office)
    wf.clock.set(D("2024-10-08"))
    response = login(wf.office_head, otp=True).get("/workflow/load/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-chart="chart-load"' in html and 'id="chart-load" type="application/json"' in html
    assert 'id="load-overdue">2<' in html
    assert login(wf.office, otp=True).get("/workflow/load/").status_code == 404


def test_workbench_card_summarises_the_queue(wf, talent, login):
    submit(talent)
    html = login(wf.office, otp=True).get("/staff/").content.decode()
    assert 'id="queue-card"' in html and "待认领 1" in html and "/workflow/queue/" in html


def test_workbench_warns_when_next_years_holidays_are_missing(wf, login):
    wf.clock.set(D("2026-11-30"))
    html = login(wf.office, otp=True).get("/staff/").content.decode()
    assert "2027 年的节假日安排尚未录入" in html


def test_system_admin_enters_a_year_on_the_calendar_page(wf, sys_admin, login):
    client = login(sys_admin, otp=True)
    assert client.get("/workflow/calendar/").status_code == 200
    response = client.post("/workflow/calendar/2027/", {
        "year": 2027, "announcement": "国务院办公厅关于2027年部分节假日安排的通知",
        "holidays": "2027-01-01 元旦\n2027-02-06~2027-02-13 春节\n", "workdays": "2027-02-20 春节调休"})
    assert response.status_code == 302
    year = CalendarYear.objects.get(year=2027)
    assert year.days.count() == 10 and year.updated_by == sys_admin
    page = client.get("/workflow/calendar/2027/").content.decode()
    assert "2027-02-06~2027-02-13 春节" in page


def test_calendar_page_errors_name_the_field(wf, sys_admin, login):
    response = login(sys_admin, otp=True).post("/workflow/calendar/2027/", {
        "year": 2027, "announcement": "通知", "holidays": "2027-13-01 元旦", "workdays": "2027-02-22 调休"})
    html = response.content.decode()
    assert response.status_code == 422
    assert "法定节假日：第 1 行" in html
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_calendar_page_is_404_for_everyone_else(wf, login, sec_admin):
    assert login(wf.office_head, otp=True).get("/workflow/calendar/").status_code == 404
    assert login(sec_admin, otp=True).get("/workflow/calendar/2027/").status_code == 404


# --- end to end in the browser ---------------------------------------------------------------------------------------

def test_sample_workflow_end_to_end_in_the_browser(wf, talent, login):
    applicant = login(talent)
    response = applicant.post("/workflow/requests/new/", {"kind": "school", "title": "孩子申请一年级学位",
                                                          "detail": "户籍在郑州"})
    assert response.status_code == 302
    case = Case.objects.get(applicant=talent)
    assert response["Location"] == f"/workflow/cases/{case.pk}/"

    office = login(wf.office, otp=True)
    review = task_of(case, "talent_office_review")
    assert office.post(f"/workflow/tasks/{review.pk}/", {"action": "claim"}).status_code == 302
    assert office.post(f"/workflow/tasks/{review.pk}/", {"action": "approve", "reason": "同意"}).status_code == 302
    hrss = login(wf.hrss, otp=True)
    confirm = task_of(case, "hrss_confirm")
    assert "孩子申请一年级学位" in hrss.get("/workflow/queue/").content.decode()
    assert hrss.post(f"/workflow/tasks/{confirm.pk}/", {"action": "approve"}).status_code == 302

    html = applicant.get(f"/workflow/cases/{case.pk}/").content.decode()
    assert "已办结：已通过" in html
    assert html.count("已通过") >= 3


def test_service_request_form_errors_name_the_field(wf, talent, login):
    response = login(talent).post("/workflow/requests/new/", {"kind": "school", "title": ""})
    assert response.status_code == 422 and "标题：请填写此项。" in response.content.decode()


def test_a_department_whose_step_was_skipped_does_not_see_the_case(wf, talent, login):
    case = submit(talent)
    services.task_approve(task=task_of(case, "talent_office_review"), actor=wf.office)
    assert task_of(case, "exit_entry_check").state == TaskState.SKIPPED
    exit_entry = login(wf.exit_entry, otp=True)

    assert exit_entry.get(f"/workflow/cases/{case.pk}/").status_code == 404
    assert 'id="queue-none"' in exit_entry.get("/workflow/queue/", {"state": "all"}).content.decode()


def test_the_case_list_is_404_to_roles_that_never_apply_and_open_to_applicants(wf, talent, employed_talent, login):
    from onestop.core.choices import Role
    from onestop.core.tests.factories import AdminFactory, LeaderFactory, PartnerUserFactory

    case = submit(talent)
    outsiders = {"leader": login(LeaderFactory(), otp=True),
                 "auditor": login(AdminFactory(role=Role.AUDITOR), otp=True),
                 "partner": login(PartnerUserFactory(), otp=True),
                 **{role: login(AdminFactory(role=role), otp=True)
                    for role in (Role.SYS_ADMIN, Role.SEC_ADMIN, Role.AUDIT_ADMIN)}}

    for who, client in outsiders.items():
        assert client.get("/workflow/cases/").status_code == 404, who
        assert client.get("/api/v1/workflow/cases").status_code == 404, who

    mine = login(talent)
    assert f"/workflow/cases/{case.pk}/" in mine.get("/workflow/cases/").content.decode()
    assert [c["id"] for c in mine.get("/api/v1/workflow/cases").json()["items"]] == [case.pk]
    # enterprise users (work funding) and department officials (a visit's problems) apply too: their own, here none
    for client in (login(employed_talent.hr), login(wf.office, otp=True)):
        assert client.get("/workflow/cases/").status_code == 200
        assert client.get("/api/v1/workflow/cases").json() == {"items": [], "count": 0}
