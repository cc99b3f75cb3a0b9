"""Entitlement requests as cases of the generic workflow: owning department, working-day deadlines, escalation,
the holder's progress, more material, rating after close, and the satisfaction figure."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.urls import reverse

from onestop.core.choices import Role
from onestop.core.exceptions import Conflict, NotFound, ValidationFailed
from onestop.core.models import Notification
from onestop.core.tests.factories import DepartmentFactory, StaffFactory
from onestop.greencards import selectors, services
from onestop.greencards.choices import RequestStatus
from onestop.workflow import calendar as wd
from onestop.workflow.choices import EventKind, TaskState
from onestop.workflow.definitions import read_spec
from onestop.workflow.models import CaseEvent, Task
from onestop.workflow.services import (
    calendar_year_load_package,
    definition_publish,
    task_approve,
    task_claim,
    task_request_info,
    tasks_escalate_overdue,
)

SPEC = Path(__file__).resolve().parent.parent / "workflow_definitions" / "greencard_service.json"


@pytest.fixture
def clock(monkeypatch):
    state = SimpleNamespace(day=date(2024, 9, 23))  # a Monday, before the National Day holiday
    monkeypatch.setattr(wd, "today", lambda: state.day)
    return state


@pytest.fixture
def setup(db, department, clock):
    for year in (2024, 2025):
        calendar_year_load_package(year=year)
    depts = {code: DepartmentFactory(code=code, name=name, name_en=code) for code, name in [
        ("health", "卫生健康委员会"), ("education", "教育局"), ("hrss", "人社局"), ("housing", "住建局"),
        ("exit_entry", "出入境管理大队")]}
    definition_publish(spec=read_spec(SPEC))
    return SimpleNamespace(
        office=StaffFactory(department=department),
        health=StaffFactory(department=depts["health"]),
        health_head=StaffFactory(department=depts["health"], department__role=Role.DEPT_HEAD),
        hrss=StaffFactory(department=depts["hrss"]), exit_entry=StaffFactory(department=depts["exit_entry"]))


def _task(request, step):
    case = services.request_case(request)
    return Task.objects.select_related("case", "step").get(case=case, step__code=step)


def test_a_request_is_a_case_owned_by_the_entitlements_department_with_working_day_deadlines(card, holder, setup):
    request = services.entitlement_request_submit(holder=holder, entitlement_code="medical_green_channel",
                                                  detail="需要预约心内科专家")
    accept = _task(request, "talent_office_accept")
    assert accept.department.code == "talent_office"
    # 2 working days from Monday 23 September 2024 → Wednesday 25 September.
    assert accept.due_date == date(2024, 9, 25)
    task_approve(task=task_claim(task=accept, actor=setup.office), actor=setup.office)
    medical = _task(request, "medical_green_channel")
    assert medical.department.code == "health" and medical.state == TaskState.PENDING
    # 3 working days from 23 September: 24, 25, 26 → Thursday 26 September.
    assert medical.due_date == date(2024, 9, 26)
    skipped = set(Task.objects.filter(case=medical.case, state=TaskState.SKIPPED).values_list("step__code", flat=True))
    assert "school_enrolment" in skipped and "work_permit" in skipped


def test_deadlines_skip_the_national_day_holiday(card, holder, setup, clock):
    clock.day = date(2024, 9, 30)
    request = services.entitlement_request_submit(holder=holder, entitlement_code="school_enrolment")
    accept = _task(request, "talent_office_accept")
    # 30 Sep + 2 working days: 1–7 October are the holiday (and 29 Sep / 12 Oct are make-up days): → 8, 9 October.
    assert accept.due_date == date(2024, 10, 9)


def test_an_overdue_task_is_escalated_to_the_department_head(card, holder, setup, clock):
    request = services.entitlement_request_submit(holder=holder, entitlement_code="medical_green_channel")
    accept = _task(request, "talent_office_accept")
    task_approve(task=task_claim(task=accept, actor=setup.office), actor=setup.office)
    medical = _task(request, "medical_green_channel")
    clock.day = date(2024, 9, 27)  # the deadline was the 26th
    assert tasks_escalate_overdue() == 1
    assert CaseEvent.objects.filter(task=medical, kind=EventKind.ESCALATED).exists()
    assert Notification.objects.filter(recipient=setup.health_head, title__startswith="超期督办").exists()
    assert tasks_escalate_overdue() == 0  # once per task and deadline


def test_work_permit_runs_in_parallel_at_hrss_and_exit_entry(holder, setup):
    from .conftest import issue

    card = issue(holder, card_class="E")
    request = services.entitlement_request_submit(holder=holder, entitlement_code="work_permit")
    accept = _task(request, "talent_office_accept")
    task_approve(task=task_claim(task=accept, actor=setup.office), actor=setup.office)
    assert _task(request, "work_permit").department.code == "hrss"
    assert _task(request, "residence_permit").department.code == "exit_entry"
    assert card.status == "active"


def test_the_holder_adds_material_and_rates_after_close(card, holder, setup, login):
    request = services.entitlement_request_submit(holder=holder, entitlement_code="medical_green_channel")
    with pytest.raises(services.TransitionNotAllowed):
        services.entitlement_request_rate(request=request, holder=holder, rating=5)
    accept = task_claim(task=_task(request, "talent_office_accept"), actor=setup.office)
    task_request_info(task=accept, actor=setup.office, reason="请上传近期体检报告")
    client = login(holder)
    page = client.get(reverse("greencards:request_detail", kwargs={"pk": request.pk})).content.decode()
    assert "请上传近期体检报告" in page and 'id="add-material"' in page
    response = client.post(reverse("greencards:request_detail", kwargs={"pk": request.pk}),
                           {"op": "material", "message": "已上传体检报告"})
    assert response.status_code == 302
    assert _task(request, "talent_office_accept").state == TaskState.IN_PROGRESS
    task_approve(task=_task(request, "talent_office_accept"), actor=setup.office)
    medical = task_claim(task=_task(request, "medical_green_channel"), actor=setup.health)
    task_approve(task=medical, actor=setup.health, reason="已开通")
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED and request.closed_at is not None
    api = client.post(f"/api/v1/greencards/requests/{request.pk}/rating", {"rating": 4, "comment": "很快"},
                      content_type="application/json")
    assert api.status_code == 200 and api.json()["rating"] == 4
    with pytest.raises(services.TransitionNotAllowed):
        services.entitlement_request_rate(request=request, holder=holder, rating=5)
    assert selectors.satisfaction_by_entitlement() == [
        {"code": "medical_green_channel", "name": "医疗绿色通道", "closed": 1, "rated": 1, "average": 4.0}]


def test_request_rules(card, holder, setup, other_talent):
    with pytest.raises(ValidationFailed) as exc:
        services.entitlement_request_submit(holder=holder, entitlement_code="nonexistent")
    assert "entitlement" in exc.value.field_errors
    services.entitlement_request_submit(holder=holder, entitlement_code="housing_support")
    with pytest.raises(Conflict):
        services.entitlement_request_submit(holder=holder, entitlement_code="housing_support")
    with pytest.raises(NotFound):
        services.entitlement_request_submit(holder=other_talent, entitlement_code="housing_support")
    request = selectors.requests_for(user=holder).get()
    with pytest.raises(NotFound):
        services.entitlement_request_rate(request=request, holder=other_talent, rating=3)
    with pytest.raises(ValidationFailed):
        services.entitlement_request_rate(request=request, holder=holder, rating=6)


def test_request_pages_and_api(card, holder, setup, login, other_talent):
    client = login(holder)
    form = client.get(reverse("greencards:request_new") + "?entitlement=spouse_job")
    assert form.status_code == 200
    response = client.post(reverse("greencards:request_new"), {"entitlement": "spouse_job", "detail": "配偶为教师"})
    assert response.status_code == 302
    request = selectors.requests_for(user=holder).get()
    detail = client.get(f"/api/v1/greencards/requests/{request.pk}").json()
    assert detail["timeline"]["case"]["definition"] == "greencard_service"
    assert detail["entitlement"] == "spouse_job" and detail["status"] == "open"
    assert login(other_talent).get(f"/api/v1/greencards/requests/{request.pk}").status_code == 404
    assert login(other_talent).get(reverse("greencards:request_detail", kwargs={"pk": request.pk})).status_code == 404
    created = client.post("/api/v1/greencards/requests", {"entitlement": "housing_support"},
                          content_type="application/json")
    assert created.status_code == 201


def test_satisfaction_page_for_the_dashboard(db, login):
    from onestop.core.tests.factories import AdminFactory

    client = login(AdminFactory(role=Role.AUDITOR), otp=True)
    assert client.get(reverse("greencards:satisfaction")).status_code == 200
