"""The sample module on top of the engine: talent service requests (人才服务申请). It shows the pattern every module
follows — a subject model, a spec in ``workflow_definitions/``, a service that starts the case, and outcome
handlers registered explicitly in ``AppConfig.ready()`` — and it fills the demo queues."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.utils import timezone

from .choices import CaseStatus, ServiceKind
from .handlers import outcome_handlers

SERVICE_DEFINITION = "talent_service"


def service_request_record_outcome(*, case: Any, outcome: str, actor: Any) -> None:
    """Outcome handler: the request remembers how its case ended (runs inside the closing transaction)."""
    from .models import ServiceRequest

    ServiceRequest.objects.filter(pk=case.subject_id).update(outcome=outcome, closed_at=timezone.now())


def register_handlers() -> None:
    for outcome in (CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.WITHDRAWN, CaseStatus.CANCELLED):
        outcome_handlers.register(SERVICE_DEFINITION, outcome, service_request_record_outcome)


DEMO_TITLES = {
    ServiceKind.CERTIFICATION_CONSULT: ["咨询 D 类人才认定所需材料", "博士后出站人员认定层次咨询"],
    ServiceKind.SCHOOL_PLACE: ["孩子申请航空港区第一实验学校一年级", "子女转学入学安排"],
    ServiceKind.SPOUSE_JOB: ["配偶随迁就业安置", "配偶工作岗位对接"],
    ServiceKind.HOUSING: ["申请人才公寓（两居室）", "人才住房保障资格确认"],
    ServiceKind.MEDICAL: ["开通医疗绿色通道", "年度健康体检预约"],
    ServiceKind.WORK_PERMIT: ["外国专家来华工作许可延期", "外籍高层次人才工作许可办理"],
}


def seed_demo_workflows(*, cases: int = 24, seed: int = 2024) -> dict[str, int]:
    """Demo data for ``manage.py seed_demo``: the holiday calendar, the shipped definitions and a populated queue
    (tasks in every state). Idempotent: a second run adds nothing when demo requests already exist."""
    from onestop.core.choices import AccountType
    from onestop.core.models import User

    from . import calendar as wd
    from .choices import TaskState
    from .definitions import read_spec, shipped_spec_files
    from .models import CalendarYear, ServiceRequest, Task
    from .services import (
        calendar_year_load_package,
        definition_publish,
        service_request_submit,
        task_approve,
        task_claim,
        task_request_info,
        workflow_tick,
    )

    for year in wd.package_years():
        if year >= timezone.localdate().year - 2 and not CalendarYear.objects.filter(year=year).exists():
            calendar_year_load_package(year=year)
    for path in shipped_spec_files():
        definition_publish(spec=read_spec(path))
    if ServiceRequest.objects.filter(is_demo=True).exists():
        return {"cases": 0}
    rng = random.Random(seed)
    talents = list(User.objects.filter(account_type=AccountType.TALENT, is_demo=True,
                                       talent_profile__isnull=False).order_by("pk")[:cases])
    kinds = list(ServiceKind)
    staff = {u.username: u for u in User.objects.filter(username__in=["talent_office_staff", "talent_office_head",
                                                                      "hrss_staff"])}
    created = 0
    for i, talent in enumerate(talents):
        kind = kinds[i % len(kinds)]
        request = service_request_submit(applicant=talent, kind=kind, title=rng.choice(DEMO_TITLES[kind]),
                                         detail="（演示数据）", is_demo=True)
        created += 1
        task = Task.objects.filter(case__subject_id=request.pk, step__code="talent_office_review").first()
        officer = staff.get("talent_office_staff")
        if task is None or officer is None:
            continue
        roll = i % 6
        if roll in (1, 2, 3):
            task = task_claim(task=task, actor=officer)
        if roll == 2:
            task_request_info(task=task, actor=officer, reason="请上传最新的劳动合同扫描件。")
        if roll in (3, 5):
            task_approve(task=task, actor=officer, reason="材料齐全。")
            employer_task = Task.objects.filter(case_id=task.case_id, step__code="employer_confirm",
                                                state=TaskState.PENDING).select_related("enterprise").first()
            if employer_task is not None:
                boss = User.objects.filter(role_assignments__enterprise=employer_task.enterprise_id,
                                           is_active=True).first()
                if boss is not None:
                    task_approve(task=employer_task, actor=boss, reason="确认该人才在本单位工作。")
            confirm = Task.objects.filter(case_id=task.case_id, step__code="hrss_confirm").first()
            if roll == 5 and confirm is not None and "hrss_staff" in staff:
                task_claim(task=confirm, actor=staff["hrss_staff"])
        if roll == 4:
            # An overdue task for the escalation demo: the deadline moved into the past.
            Task.objects.filter(pk=task.pk, state=TaskState.PENDING).update(
                due_date=wd.WorkingCalendar().add_working_days(timezone.localdate() - timedelta(days=14), 1))
    workflow_tick()                     # escalate the overdue demo tasks now, as the scheduler would
    return {"cases": created}
