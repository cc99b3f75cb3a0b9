"""万人助万企: assignment scoping, all-or-nothing visit logs, 7-working-day first reply on the official calendar,
close-off only on the enterprise's confirmation, talent problems on the workflow, the Excel monthly report."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest

from onestop.core.exceptions import Conflict, NotFound, ValidationFailed
from onestop.engagement import selectors
from onestop.engagement.models import Problem, Visit
from onestop.engagement.services import visits

PROBLEM = {"title": "厂区周边公交班次少", "description": "夜班职工下班后无公交。", "owner_department": "hrss"}


def _log(zone, **kw):
    args = {"actor": zone.official, "enterprise": zone.ours, "visited_on": date(2024, 9, 23),
            "participants": "王经理、李主任", "explained": "2024 年人才政策包", "needs_heard": "招聘难",
            "problems": [PROBLEM]}
    args.update(kw)
    return visits.visit_log(**args)


def test_first_reply_is_due_seven_working_days_later_over_national_day(zone):
    visit = _log(zone)
    problem = visit.problems.get()
    # Monday 23 Sept 2024 + 7 working days: 24–27, 29 (调休 Sunday), 30 Sept, then 8 Oct after the holiday.
    assert problem.reply_due == date(2024, 10, 8)
    assert problem.status == "open" and problem.owner_department == zone.hrss


def test_an_official_sees_and_logs_only_assigned_enterprises(zone):
    with pytest.raises(NotFound):
        _log(zone, enterprise=zone.theirs)
    _log(zone)
    assert list(selectors.visits_for(user=zone.other_official)) == []
    assert [e.pk for e in selectors.enterprises_for_official(user=zone.official)] == [zone.ours.pk]
    with pytest.raises(NotFound):
        selectors.enterprise_for_official(user=zone.official, pk=zone.theirs.pk)
    problem = Problem.objects.get()
    with pytest.raises(NotFound):
        selectors.problem_for(user=zone.other_official, pk=problem.pk)
    with pytest.raises(NotFound):
        selectors.problem_for(user=zone.other_admin, pk=problem.pk)
    assert selectors.problem_for(user=zone.admin, pk=problem.pk) == problem
    assert selectors.problem_for(user=zone.hrss_staff, pk=problem.pk) == problem


def test_a_bad_problem_saves_nothing_of_the_visit(zone):
    with pytest.raises(ValidationFailed) as exc:
        _log(zone, participants="", problems=[PROBLEM, {"title": "", "description": "x", "owner_department": "nope"}])
    assert exc.value.field_errors["participants"] == ["参加人员：请填写参加人员。"]
    assert "problems.2.title" in exc.value.field_errors and "problems.2.owner_department" in exc.value.field_errors
    assert Visit.objects.count() == 0 and Problem.objects.count() == 0


def test_close_off_only_when_the_enterprise_confirms(zone):
    problem = _log(zone).problems.get()
    with pytest.raises(NotFound):
        visits.problem_reply(actor=zone.industry_staff, problem=problem, text="不是我们的")
    problem = visits.problem_reply(actor=zone.hrss_staff, problem=problem, text="已协调公交公司。")
    assert problem.status == "replied" and problem.first_reply_at is not None
    problem = visits.problem_reply(actor=zone.hrss_staff, problem=problem, text="新增夜班线路试运行。")
    assert problem.status == "in_progress"
    problem = visits.problem_resolve(actor=zone.hrss_staff, problem=problem, text="夜班线路已开通。")
    with pytest.raises(NotFound):
        visits.problem_confirm(actor=zone.other_admin, problem=problem, satisfied=True, satisfaction=5)
    with pytest.raises(ValidationFailed) as exc:
        visits.problem_confirm(actor=zone.admin, problem=problem, satisfied=True, satisfaction=9)
    assert exc.value.field_errors["satisfaction"][0].startswith("满意度：")
    problem = visits.problem_confirm(actor=zone.admin, problem=problem, satisfied=False, satisfaction=None,
                                     comment="周末仍无班次")
    assert problem.status == "in_progress"
    problem = visits.problem_resolve(actor=zone.hrss_staff, problem=problem, text="周末班次已增加。")
    problem = visits.problem_confirm(actor=zone.admin, problem=problem, satisfied=True, satisfaction=5)
    assert problem.status == "closed" and problem.satisfaction == 5 and problem.confirmed_by == zone.admin
    assert [u.kind for u in problem.updates.all()] == ["raised", "reply", "progress", "resolve", "reopen", "resolve",
                                                       "confirm"]


def test_the_database_refuses_a_close_off_without_the_enterprise(zone):
    from django.db import IntegrityError, transaction

    problem = _log(zone).problems.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Problem.objects.filter(pk=problem.pk).update(status="closed")


def test_a_talent_problem_opens_a_case_that_links_back(zone):
    from onestop.workflow.services import task_approve

    visit = _log(zone, problems=[{"title": "博士配偶就业", "description": "引进博士的配偶需要安置工作。",
                                  "talent_related": True}])
    problem = visit.problems.get()
    assert problem.owner_department == zone.talent_office and problem.case is not None
    assert problem.case.subject == problem
    task = problem.case.tasks.select_related("step", "case").get()
    task_approve(task=task, actor=zone.office)
    problem.refresh_from_db()
    assert problem.status == "resolved" and problem.first_reply_at is not None
    problem = visits.problem_confirm(actor=zone.admin, problem=problem, satisfied=True, satisfaction=4)
    assert problem.status == "closed"


def test_monthly_plan_once_per_enterprise_and_month(zone):
    visits.visit_plan_create(actor=zone.official, enterprise=zone.ours, planned_date=date(2024, 10, 9), topic="政策宣讲")
    with pytest.raises(Conflict) as exc:
        visits.visit_plan_create(actor=zone.official, enterprise=zone.ours, planned_date=date(2024, 10, 20),
                                 topic="回访")
    assert "planned_date" in exc.value.field_errors
    with pytest.raises(NotFound):
        visits.visit_plan_create(actor=zone.official, enterprise=zone.theirs, planned_date=date(2024, 10, 9),
                                 topic="x")
    zone.clock.value = date(2024, 10, 10)
    visit = _log(zone, visited_on=date(2024, 10, 9), problems=[])
    assert visit.plan is not None and visit.plan.topic == "政策宣讲"


def test_monthly_report_workbook(zone):
    from openpyxl import load_workbook

    from onestop.engagement.reports import monthly_workbook

    _log(zone)
    _log(zone, problems=[{**PROBLEM, "title": "停车难"}], visited_on=date(2024, 9, 20))
    report = selectors.monthly_report(user=zone.official, month=date(2024, 9, 1))
    assert report["visit_count"] == 2 and report["total"] == 2
    wb = load_workbook(BytesIO(monthly_workbook(report)))
    assert wb.sheetnames == ["汇总", "走访记录", "问题台账"]
    assert wb["问题台账"].max_row == 3
    head = selectors.monthly_report(user=zone.investment_head, month=date(2024, 9, 1))
    assert head["visit_count"] == 2
    assert selectors.monthly_report(user=zone.other_official, month=date(2024, 9, 1))["visit_count"] == 0


def test_overdue_first_replies_are_escalated_once_to_the_heads(zone):
    from onestop.core.models import Notification
    from onestop.core.tests.factories import StaffFactory

    head = StaffFactory(department=zone.hrss, department__role="dept_head")
    problem = _log(zone).problems.get()  # due 2024-10-08
    assert visits.problems_escalate_overdue(today=date(2024, 10, 8)) == 0
    assert visits.problems_escalate_overdue(today=date(2024, 10, 9)) == 1
    assert visits.problems_escalate_overdue(today=date(2024, 10, 10)) == 0
    assert Notification.objects.filter(recipient=head, title__contains="超期未答复").count() == 1
    problem.refresh_from_db()
    assert problem.escalated_at is not None
    assert list(selectors.problems_for(user=zone.hrss_staff, status="overdue")) == []  # the clock says 2024-09-23
    zone.clock.value = date(2024, 10, 9)
    assert list(selectors.problems_for(user=zone.hrss_staff, status="overdue")) == [problem]
