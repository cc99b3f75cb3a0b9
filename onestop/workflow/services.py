"""Writes of the workflow engine: the holiday calendar, definitions, cases, task transitions, reminders, escalation.

Every task transition is one service that, inside one transaction, (1) locks the case row with an UPDATE (a real row
lock on PostgreSQL; SQLite's IMMEDIATE transactions already serialise writers), (2) re-reads the task and checks the
policy and the state machine, (3) changes the task with a conditional ``UPDATE … WHERE state = <seen> AND assignee =
<seen>`` and refuses when the row count is not 1, then (4) records the history event, the audit entry and the
notifications, and moves the case on. Concurrent claims of one task therefore end with exactly one winner.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.choices import AuditResult, NotificationChannel, Role
from onestop.core.exceptions import ApplicationError, Conflict, NotFound, PermissionDenied, ValidationFailed
from onestop.core.models import Department, User
from onestop.core.notifications import notification_send
from onestop.core.permissions import Capability, has_capability
from onestop.core.services import FieldErrors

from . import calendar as wd
from .choices import (
    CLOCK_RUNNING_STATES,
    DONE_TASK_STATES,
    OPEN_TASK_STATES,
    CalendarSource,
    CaseStatus,
    DayType,
    EventKind,
    OwnerKind,
    ServiceKind,
    TaskAction,
    TaskState,
)
from .conditions import condition_holds
from .definitions import DEFAULT_ROLES, spec_errors, spec_hash
from .errors import TransitionNotAllowed
from .handlers import outcome_handlers
from .models import (
    CalendarDay,
    CalendarYear,
    Case,
    CaseEvent,
    ServiceRequest,
    StepDefinition,
    Task,
    WorkflowDefinition,
)
from .permissions import TRANSITIONS, task_policy, task_scope_q

REASON_REQUIRED = {TaskAction.REJECT, TaskAction.REQUEST_INFO, TaskAction.REASSIGN}
REASON_MAX = 1000
TASK_RELATED = ("case__definition", "case__applicant", "step", "assignee", "department", "enterprise")


# --- helpers ---------------------------------------------------------------------------------------------------------

def _task_url(task: Task) -> str:
    return reverse("workflow:task_detail", kwargs={"pk": task.pk})


def _case_url(case: Case) -> str:
    return reverse("workflow:case_detail", kwargs={"pk": case.pk})


def _event(case: Case, kind: str, *, task: Task | None = None, actor: User | None = None, from_state: str = "",
           to_state: str = "", reason: str = "", detail: dict[str, Any] | None = None) -> CaseEvent:
    return CaseEvent.objects.create(case=case, task=task, kind=kind, actor=actor, from_state=from_state,
                                    to_state=to_state, reason=reason, detail=detail)


def _task_people(task: Task, roles: Iterable[str]) -> models.QuerySet[User]:
    scope = {"role_assignments__department_id": task.department_id} if task.department_id else {
        "role_assignments__enterprise_id": task.enterprise_id}
    return User.objects.filter(is_active=True, role_assignments__role__in=list(roles), **scope).distinct()


def _task_actors(task: Task) -> models.QuerySet[User]:
    return _task_people(task, task.step.allowed_roles)


def _task_supervisors(task: Task) -> models.QuerySet[User]:
    return _task_people(task, [Role.DEPT_HEAD if task.department_id else Role.EMPLOYER_ADMIN])


def _lock_case(case_id: int) -> None:
    """Serialise every change to one case: the UPDATE holds the row lock until commit on PostgreSQL."""
    Case.objects.filter(pk=case_id).update(lock_version=F("lock_version") + 1)


def _load_task(task_id: int) -> Task:
    task = Task.objects.select_related(*TASK_RELATED).filter(pk=task_id).first()
    if task is None:
        raise NotFound(_("任务不存在，或您无权访问。"))
    return task


def _owner_label(task: Task) -> str:
    if task.department is not None:
        return task.department.name
    return task.enterprise.name if task.enterprise is not None else ""


# --- holiday calendar ------------------------------------------------------------------------------------------------

def _replace_year(*, year: int, days: Sequence[tuple[date, str, str]], source: str, announcement: str,
                  actor: User | None) -> CalendarYear:
    calendar_year, _created = CalendarYear.objects.update_or_create(
        year=year, defaults={"source": source, "announcement": announcement[:200], "updated_at": timezone.now(),
                             "updated_by": actor})
    CalendarDay.objects.filter(calendar_year=calendar_year).delete()
    CalendarDay.objects.bulk_create([CalendarDay(calendar_year=calendar_year, date=d, day_type=t, name=n[:32])
                                     for d, t, n in days])
    return calendar_year


def _refresh_estimated_deadlines() -> int:
    """Deadlines counted Monday–Friday because a year had no data are recounted once the year is entered."""
    cal = wd.WorkingCalendar()
    changed = 0
    for task in Task.objects.filter(deadline_estimated=True, state__in=CLOCK_RUNNING_STATES,
                                    clock_start__isnull=False, clock_days__isnull=False):
        deadline = cal.deadline(task.clock_start, max(task.clock_days or 0, 0))  # type: ignore[arg-type]
        changed += Task.objects.filter(pk=task.pk, state=task.state).update(
            due_date=deadline.due_date, deadline_estimated=deadline.estimated)
    return changed


def calendar_year_load_package(*, year: int, actor: User | None = None,
                               replace_admin: bool = False) -> CalendarYear | None:
    """Load one year from the chinese-calendar package. ``None`` when the package does not know the year (it raises
    for years after its release); a year entered by an administrator is kept unless ``replace_admin``."""
    try:
        days = wd.package_days(year)
    except NotImplementedError:
        return None
    import chinese_calendar

    with transaction.atomic():
        existing = CalendarYear.objects.filter(year=year).first()
        if existing is not None and existing.source == CalendarSource.ADMIN and not replace_admin:
            return existing
        calendar_year = _replace_year(year=year, days=days, source=CalendarSource.PACKAGE,
                                      announcement=f"chinese-calendar {getattr(chinese_calendar, '__version__', '')}",
                                      actor=actor)
        audit_record(action="workflow.calendar.load", actor=actor, obj=calendar_year,
                     after={"year": year, "source": "package", "days": len(days)})
        _refresh_estimated_deadlines()
    return calendar_year


def calendar_year_enter(*, year: int, holidays: Sequence[tuple[date, str]], workdays: Sequence[tuple[date, str]],
                        announcement: str, actor: User) -> CalendarYear:
    """The system administrator enters a year from the State Council's announcement (国务院办公厅通知).

    ``holidays`` are the official days off (weekends inside a holiday period may be listed too), ``workdays`` the
    make-up working weekends. Replaces whatever the year had; recounts deadlines that were estimated."""
    if not has_capability(actor, Capability.CALENDAR_MANAGE):
        raise NotFound(_("页面不存在，或您无权访问。"))
    errors = FieldErrors()
    if not 2000 <= year <= 2100:
        errors.add("year", _("年份：应在 2000–2100 之间。"))
    if not announcement.strip():
        errors.add("announcement", _("依据文件：请填写国务院办公厅通知的名称或文号。"))
    if not holidays:
        errors.add("holidays", _("法定节假日：请至少填写一天。"))
    holiday_dates = {d for d, _n in holidays}
    for d, _n in holidays:
        if d.year != year:
            errors.add("holidays", _("法定节假日：%(d)s 不在 %(y)d 年内。") % {"d": d.isoformat(), "y": year})
    for d, _n in workdays:
        if d.year != year:
            errors.add("workdays", _("调休上班日：%(d)s 不在 %(y)d 年内。") % {"d": d.isoformat(), "y": year})
        elif d.weekday() < 5:
            errors.add("workdays", _("调休上班日：%(d)s 不是周六或周日，无需调休。") % {"d": d.isoformat()})
        if d in holiday_dates:
            errors.add("workdays", _("调休上班日：%(d)s 同时被填为节假日。") % {"d": d.isoformat()})
    errors.raise_if_any()
    days = sorted([(d, str(DayType.HOLIDAY), n) for d, n in holidays]
                  + [(d, str(DayType.WORKDAY), n) for d, n in workdays])
    with transaction.atomic():
        previous = CalendarYear.objects.filter(year=year).first()
        before = {"source": previous.source, "announcement": previous.announcement} if previous else None
        calendar_year = _replace_year(year=year, days=days, source=CalendarSource.ADMIN,
                                      announcement=announcement.strip(), actor=actor)
        audit_record(action="workflow.calendar.enter", actor=actor, obj=calendar_year, before=before,
                     after={"year": year, "holidays": len(holidays), "workdays": len(workdays),
                            "announcement": announcement.strip()})
        _refresh_estimated_deadlines()
    return calendar_year


# --- definitions -----------------------------------------------------------------------------------------------------

def definition_publish(*, spec: dict[str, Any], actor: User | None = None) -> tuple[WorkflowDefinition, bool]:
    """Publish a spec. Unchanged → the current version, ``False``; changed → a new version, ``True``. Running cases
    keep the version they started with; new cases use the new one."""
    departments = {d.code: d for d in Department.objects.all()}
    errors = spec_errors(spec, department_codes=set(departments))
    if errors:
        raise ValidationFailed(_("流程定义有误：%(e)s") % {"e": "；".join(errors)}, field_errors={"spec": errors})
    digest = spec_hash(spec)
    code = spec["code"]
    subject_type = None
    if spec.get("subject"):
        from django.apps import apps

        subject_type = ContentType.objects.get_for_model(apps.get_model(spec["subject"]))
    with transaction.atomic():
        current = WorkflowDefinition.objects.filter(code=code, is_active=True).first()
        if current is not None and current.spec_hash == digest:
            return current, False
        last = WorkflowDefinition.objects.filter(code=code).aggregate(v=Max("version"))["v"] or 0
        WorkflowDefinition.objects.filter(code=code, is_active=True).update(is_active=False)
        definition = WorkflowDefinition.objects.create(
            code=code, version=last + 1, name=spec["name"], description=spec.get("description", ""),
            subject_type=subject_type, spec=spec, spec_hash=digest, is_active=True)
        for stage_index, stage in enumerate(spec["stages"]):
            for position, step in enumerate(stage):
                owner = step.get("owner", OwnerKind.DEPARTMENT)
                StepDefinition.objects.create(
                    definition=definition, code=step["code"], name=step["name"], stage=stage_index,
                    position=position, owner_kind=owner,
                    department=departments[step["department"]] if owner == OwnerKind.DEPARTMENT else None,
                    deadline_days=step["deadline_days"],
                    allowed_roles=list(step.get("roles") or DEFAULT_ROLES[OwnerKind(owner)]),
                    bulk_allowed=bool(step.get("bulk", False)), condition=step.get("condition"))
        audit_record(action="workflow.definition.publish", actor=actor, obj=definition,
                     before={"version": current.version} if current else None,
                     after={"code": code, "version": definition.version})
    return definition, True


# --- cases -----------------------------------------------------------------------------------------------------------

def case_start(*, definition_code: str, subject: models.Model, applicant: User, title: str,
               enterprise: Any = None, context: dict[str, Any] | None = None, actor: User | None = None) -> Case:
    """Start a case of the active version of ``definition_code`` for ``subject`` and open its first stage."""
    definition = WorkflowDefinition.objects.filter(code=definition_code, is_active=True).first()
    if definition is None:
        raise NotFound(_("流程“%(code)s”尚未发布。") % {"code": definition_code})
    subject_type = ContentType.objects.get_for_model(subject)
    if definition.subject_type_id is not None and definition.subject_type_id != subject_type.pk:
        raise ValidationFailed(_("办理对象类型与流程定义不符。"))
    who = actor or applicant
    with transaction.atomic():
        try:
            with transaction.atomic():
                case = Case.objects.create(definition=definition, subject_type=subject_type, subject_id=subject.pk,
                                           applicant=applicant, enterprise=enterprise, title=title[:200],
                                           context=context or {})
        except IntegrityError:
            raise Conflict(_("该事项已有办理中的办件，请勿重复提交。"))
        _event(case, EventKind.CASE_STARTED, actor=who, detail={"version": definition.version})
        audit_record(action="workflow.case.start", actor=who, obj=case,
                     after={"definition": definition.code, "version": definition.version,
                            "subject": f"{subject_type.app_label}.{subject_type.model}:{subject.pk}"})
        notification_send(recipient=applicant, title=_("您的申请已受理：%(t)s") % {"t": case.title},
                          body=_("办件编号 %(ref)s。您可以在“我的办件”中随时查看办理进度。") % {"ref": case.reference},
                          link=_case_url(case))
        _open_stages_from(case, 0, actor=who, cal=wd.WorkingCalendar())
    return case


def _open_stages_from(case: Case, first: int, *, actor: User | None, cal: wd.WorkingCalendar) -> None:
    """Open the next stage that has work; a stage whose steps are all skipped is passed; no stage left → approved."""
    stages = sorted(set(case.definition.steps.filter(stage__gte=first).values_list("stage", flat=True)))
    for stage in stages:
        Case.objects.filter(pk=case.pk).update(stage=stage)
        case.stage = stage
        if _activate_stage(case, stage, actor=actor, cal=cal):
            return
    _close_case(case, CaseStatus.APPROVED, actor=actor, reason="")


def _activate_stage(case: Case, stage: int, *, actor: User | None, cal: wd.WorkingCalendar) -> int:
    opened = 0
    start = wd.today()
    for step in case.definition.steps.filter(stage=stage).select_related("department").order_by("position"):
        is_department = step.owner_kind == OwnerKind.DEPARTMENT
        applies = condition_holds(step.condition, case.context)
        if applies and not is_department and case.enterprise_id is None:
            applies, why = False, _("申请人无工作单位，本环节不适用。")
        else:
            why = _("不满足本环节的适用条件，已跳过。")
        if not applies:
            task = Task.objects.create(case=case, step=step, stage=stage, state=TaskState.SKIPPED,
                                       department=step.department if is_department else None,
                                       decided_at=timezone.now())
            _event(case, EventKind.TASK_SKIPPED, task=task, to_state=TaskState.SKIPPED, reason=why)
            continue
        deadline = cal.deadline(start, step.deadline_days)
        task = Task.objects.create(
            case=case, step=step, stage=stage, state=TaskState.PENDING,
            department=step.department if is_department else None,
            enterprise_id=None if is_department else case.enterprise_id,
            due_date=deadline.due_date, deadline_estimated=deadline.estimated, clock_start=start,
            clock_days=step.deadline_days)
        task.case = case
        _event(case, EventKind.TASK_CREATED, task=task, to_state=TaskState.PENDING,
               detail={"due_date": deadline.due_date.isoformat(), "estimated": deadline.estimated})
        for person in _task_actors(task):
            notification_send(recipient=person, title=_("新的待办：%(step)s") % {"step": step.name},
                              body=_("%(title)s，请在 %(due)s 前办理。") % {
                                  "title": case.title, "due": deadline.due_date.isoformat()},
                              link=_task_url(task))
        opened += 1
    return opened


def _close_case(case: Case, status: str, *, actor: User | None, reason: str) -> None:
    closed = Case.objects.filter(pk=case.pk, status=CaseStatus.OPEN).update(status=status, closed_at=timezone.now())
    if closed != 1:
        raise TransitionNotAllowed(_("办件已办结。"))
    case.status = status
    _event(case, EventKind.CASE_CLOSED, actor=actor, to_state=status, reason=reason)
    audit_record(action="workflow.case.close", actor=actor, obj=case, before={"status": CaseStatus.OPEN},
                 after={"status": status}, detail={"reason": reason} if reason else None)
    label = CaseStatus(status).label
    notification_send(recipient=case.applicant, title=_("办件已办结：%(t)s（%(s)s）") % {"t": case.title, "s": label},
                      body=reason, link=_case_url(case), channels=(NotificationChannel.SMS,))
    outcome_handlers.run(case=case, outcome=status, actor=actor)


def _end_open_tasks(case: Case, state: str, *, actor: User | None, reason: str, kind: str) -> None:
    for task in case.tasks.filter(state__in=OPEN_TASK_STATES):
        if Task.objects.filter(pk=task.pk, state=task.state).update(state=state, updated_at=timezone.now(),
                                                                     decided_at=timezone.now()) == 1:
            _event(case, kind, task=task, actor=actor, from_state=task.state, to_state=state, reason=reason)


def case_provide_info(*, case: Case, actor: User, message: str) -> Case:
    """The applicant answers a request for more information: every paused task resumes with the working days it
    had left when it was paused, counted from today."""
    if case.applicant_id != actor.pk:
        raise NotFound(_("办件不存在，或您无权访问。"))
    message = (message or "").strip()
    if not message:
        raise ValidationFailed(_("提交的信息有误，请按提示修改。"),
                               field_errors={"message": [_("补充说明：请填写补充的材料或说明。")]})
    if len(message) > REASON_MAX:
        raise ValidationFailed(_("提交的信息有误，请按提示修改。"),
                               field_errors={"message": [_("补充说明：不能超过 1000 个字符。")]})
    cal = wd.WorkingCalendar()
    start = wd.today()
    with transaction.atomic():
        _lock_case(case.pk)
        paused = list(Task.objects.select_related(*TASK_RELATED).filter(case=case, state=TaskState.INFO_REQUESTED))
        if not paused:
            raise TransitionNotAllowed(_("当前没有需要补充材料的环节。"))
        for task in paused:
            days = max(task.remaining_days or 0, 0)
            deadline = cal.deadline(start, days)
            resumed = Task.objects.filter(pk=task.pk, state=TaskState.INFO_REQUESTED).update(
                state=TaskState.IN_PROGRESS, paused_at=None, remaining_days=None, due_date=deadline.due_date,
                deadline_estimated=deadline.estimated, clock_start=start, clock_days=days, reminded_at=None,
                escalated_at=None, updated_at=timezone.now())
            if resumed != 1:
                raise TransitionNotAllowed(_("任务状态已被他人更改，请刷新后重试。"))
            _event(case, EventKind.INFO_PROVIDED, task=task, actor=actor, from_state=TaskState.INFO_REQUESTED,
                   to_state=TaskState.IN_PROGRESS, reason=message,
                   detail={"due_date": deadline.due_date.isoformat(), "remaining_days": days})
            audit_record(action="workflow.task.info_provided", actor=actor, obj=task,
                         before={"state": TaskState.INFO_REQUESTED},
                         after={"state": TaskState.IN_PROGRESS, "due_date": deadline.due_date.isoformat()})
            if task.assignee is not None:
                notification_send(recipient=task.assignee, title=_("申请人已补充材料：%(t)s") % {"t": case.title},
                                  body=message, link=_task_url(task))
    case.refresh_from_db()
    return case


def case_withdraw(*, case: Case, actor: User, reason: str = "") -> Case:
    """The applicant withdraws an open case; its open tasks become withdrawn."""
    if case.applicant_id != actor.pk:
        raise NotFound(_("办件不存在，或您无权访问。"))
    with transaction.atomic():
        _lock_case(case.pk)
        case.refresh_from_db()
        if not case.is_open:
            raise TransitionNotAllowed(_("办件已办结，不能撤回。"))
        _end_open_tasks(case, TaskState.WITHDRAWN, actor=actor, reason=reason, kind=EventKind.WITHDRAWN)
        _close_case(case, CaseStatus.WITHDRAWN, actor=actor, reason=reason)
    return case


def case_cancel(*, case: Case, reason: str, actor: User | None = None) -> Case:
    """Cancel an open case: by the system or a module (``actor=None``, e.g. the subject was annulled), or by the head
    of a department that holds an open task of the case."""
    if actor is not None:
        heads = set(actor.department_ids(Role.DEPT_HEAD))
        if not case.tasks.filter(state__in=OPEN_TASK_STATES, department_id__in=heads).exists():
            raise NotFound(_("办件不存在，或您无权访问。"))
    if not reason.strip():
        raise ValidationFailed(_("提交的信息有误，请按提示修改。"), field_errors={"reason": [_("理由：请填写取消理由。")]})
    with transaction.atomic():
        _lock_case(case.pk)
        case.refresh_from_db()
        if not case.is_open:
            raise TransitionNotAllowed(_("办件已办结，不能取消。"))
        _end_open_tasks(case, TaskState.CANCELLED, actor=actor, reason=reason, kind=EventKind.CANCELLED)
        _close_case(case, CaseStatus.CANCELLED, actor=actor, reason=reason)
    return case


# --- task transitions ------------------------------------------------------------------------------------------------

def _check_reason(action: str, reason: str) -> str:
    reason = (reason or "").strip()
    if action in REASON_REQUIRED and not reason:
        message = {
            TaskAction.REJECT: _("理由：退回（不通过）时必须填写理由，申请人会看到。"),
            TaskAction.REQUEST_INFO: _("理由：请写明需要申请人补充的材料。"),
            TaskAction.REASSIGN: _("理由：转办时请填写理由。"),
        }[TaskAction(action)]
        raise ValidationFailed(_("提交的信息有误，请按提示修改。"), field_errors={"reason": [message]})
    if len(reason) > REASON_MAX:
        raise ValidationFailed(_("提交的信息有误，请按提示修改。"),
                               field_errors={"reason": [_("理由：不能超过 1000 个字符。")]})
    return reason


def _transition(*, task: Task, actor: User, action: str, reason: str = "", assignee: User | None = None) -> Task:
    reason = _check_reason(action, reason)
    if action == TaskAction.REASSIGN and assignee is None:
        raise ValidationFailed(_("提交的信息有误，请按提示修改。"),
                               field_errors={"assignee": [_("转办对象：请选择转办给谁。")]})
    try:
        with transaction.atomic():
            _lock_case(task.case_id)
            fresh = _load_task(task.pk)
            task_policy.check(actor, action, fresh)
            _apply(fresh, actor=actor, action=action, reason=reason, assignee=assignee)
    except (NotFound, PermissionDenied) as exc:
        audit_record(action=f"workflow.task.{action}", actor=actor, object_type="workflow.task",
                     object_id=str(task.pk), result=AuditResult.DENIED, detail={"message": exc.message})
        raise
    return _load_task(task.pk)


def _apply(task: Task, *, actor: User, action: str, reason: str, assignee: User | None) -> None:
    now = timezone.now()
    _sources, target = TRANSITIONS[action]
    updates: dict[str, Any] = {"state": target, "updated_at": now}
    kind = {
        TaskAction.CLAIM: EventKind.CLAIMED, TaskAction.RELEASE: EventKind.RELEASED,
        TaskAction.REASSIGN: EventKind.REASSIGNED, TaskAction.APPROVE: EventKind.APPROVED,
        TaskAction.REJECT: EventKind.REJECTED, TaskAction.REQUEST_INFO: EventKind.INFO_REQUESTED,
    }[TaskAction(action)]
    detail: dict[str, Any] = {}
    if action == TaskAction.CLAIM:
        updates["assignee"] = actor
    elif action == TaskAction.RELEASE:
        updates["assignee"] = None
    elif action == TaskAction.REASSIGN:
        assert assignee is not None
        if assignee.pk == task.assignee_id:
            raise ValidationFailed(_("提交的信息有误，请按提示修改。"),
                                   field_errors={"assignee": [_("转办对象：该任务已由此人办理。")]})
        if not task_policy.may_be_assigned(assignee, task):
            raise ValidationFailed(_("提交的信息有误，请按提示修改。"), field_errors={
                "assignee": [_("转办对象：只能转给本部门（单位）可办理该环节的人员。")]})
        updates["assignee"] = assignee
        detail = {"from": task.assignee_id, "to": assignee.pk}
    elif action in (TaskAction.APPROVE, TaskAction.REJECT):
        updates.update(assignee=task.assignee or actor, decided_at=now, decided_by=actor)
    elif action == TaskAction.REQUEST_INFO:
        assert task.due_date is not None
        remaining = max(wd.WorkingCalendar().working_days_between(wd.today(), task.due_date), 0)
        updates.update(assignee=task.assignee or actor, paused_at=now, remaining_days=remaining)
        detail = {"remaining_days": remaining}
    changed = Task.objects.filter(pk=task.pk, state=task.state, assignee_id=task.assignee_id).update(**updates)
    if changed != 1:
        raise TransitionNotAllowed(_("任务状态已被他人更改，请刷新后重试。"))
    before = {"state": task.state, "assignee": task.assignee_id}
    after = {"state": target, "assignee": getattr(updates.get("assignee", task.assignee), "pk", None)}
    case = task.case
    _event(case, kind, task=task, actor=actor, from_state=task.state, to_state=target, reason=reason,
           detail=detail or None)
    audit_record(action=f"workflow.task.{action}", actor=actor, obj=task, before=before, after=after,
                 detail={"case": case.pk, "step": task.step.code, **({"reason": reason} if reason else {})})
    if action == TaskAction.REASSIGN and assignee is not None:
        notification_send(recipient=assignee, title=_("转办给您的任务：%(step)s") % {"step": task.step.name},
                          body=reason, link=_task_url(task))
    elif action == TaskAction.REQUEST_INFO:
        notification_send(recipient=case.applicant, title=_("请补充材料：%(t)s") % {"t": case.title},
                          body=_("%(owner)s：%(reason)s") % {"owner": _owner_label(task), "reason": reason},
                          link=_case_url(case), channels=(NotificationChannel.SMS,))
    elif action == TaskAction.APPROVE:
        stage_done = not Task.objects.filter(case=case, stage=case.stage).exclude(state__in=DONE_TASK_STATES).exists()
        if stage_done and task.stage == case.stage:
            _open_stages_from(case, case.stage + 1, actor=actor, cal=wd.WorkingCalendar())
    elif action == TaskAction.REJECT:
        _end_open_tasks(case, TaskState.CANCELLED, actor=actor,
                        reason=_("“%(step)s”环节未通过，其余环节取消。") % {"step": task.step.name},
                        kind=EventKind.CANCELLED)
        _close_case(case, CaseStatus.REJECTED, actor=actor, reason=reason)


def task_claim(*, task: Task, actor: User) -> Task:
    return _transition(task=task, actor=actor, action=TaskAction.CLAIM)


def task_release(*, task: Task, actor: User, reason: str = "") -> Task:
    return _transition(task=task, actor=actor, action=TaskAction.RELEASE, reason=reason)


def task_reassign(*, task: Task, actor: User, assignee: User, reason: str) -> Task:
    return _transition(task=task, actor=actor, action=TaskAction.REASSIGN, reason=reason, assignee=assignee)


def task_approve(*, task: Task, actor: User, reason: str = "") -> Task:
    return _transition(task=task, actor=actor, action=TaskAction.APPROVE, reason=reason)


def task_reject(*, task: Task, actor: User, reason: str) -> Task:
    return _transition(task=task, actor=actor, action=TaskAction.REJECT, reason=reason)


def task_request_info(*, task: Task, actor: User, reason: str) -> Task:
    return _transition(task=task, actor=actor, action=TaskAction.REQUEST_INFO, reason=reason)


def task_act(*, task: Task, actor: User, action: str, reason: str = "", assignee_id: int | None = None) -> Task:
    """One entry point for views and the API: validate the action name and the assignee, then transition."""
    if action not in TaskAction.values:
        raise ValidationFailed(_("提交的信息有误，请按提示修改。"),
                               field_errors={"action": [_("操作：不支持的操作。")]})
    assignee = None
    if action == TaskAction.REASSIGN and assignee_id is not None:
        assignee = User.objects.filter(pk=assignee_id, is_active=True).first()
        if assignee is None:
            raise ValidationFailed(_("提交的信息有误，请按提示修改。"),
                                   field_errors={"assignee": [_("转办对象：人员不存在。")]})
    return _transition(task=task, actor=actor, action=action, reason=reason, assignee=assignee)


@dataclass
class BulkResult:
    done: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


def tasks_bulk_decide(*, task_ids: Sequence[int], actor: User, action: str, reason: str = "") -> BulkResult:
    """Approve or reject many tasks whose step allows it; each task is its own transaction, failures are listed."""
    if action not in (TaskAction.APPROVE, TaskAction.REJECT):
        raise ValidationFailed(_("提交的信息有误，请按提示修改。"),
                               field_errors={"action": [_("批量操作：只能批量通过或退回。")]})
    if not task_ids:
        raise ValidationFailed(_("提交的信息有误，请按提示修改。"),
                               field_errors={"task_ids": [_("任务：请至少勾选一项。")]})
    reason = _check_reason(action, reason)
    result = BulkResult()
    visible = {t.pk: t for t in Task.objects.select_related(*TASK_RELATED).filter(task_scope_q(actor),
                                                                                   pk__in=list(task_ids))}
    for task_id in task_ids:
        task = visible.get(task_id)
        if task is None:
            result.failed[task_id] = _("任务不存在，或您无权访问。")
            continue
        if not task.step.bulk_allowed:
            result.failed[task_id] = _("“%(step)s”环节不允许批量办理。") % {"step": task.step.name}
            continue
        try:
            _transition(task=task, actor=actor, action=action, reason=reason)
            result.done.append(task_id)
        except ApplicationError as exc:
            result.failed[task_id] = exc.message
    return result


# --- reminders and escalation ----------------------------------------------------------------------------------------

def tasks_send_reminders(*, today: date | None = None) -> int:
    """On a working day, remind whoever handles a task due by the next working day (once per task and deadline)."""
    day = today or wd.today()
    cal = wd.WorkingCalendar()
    if not cal.is_working_day(day):
        return 0
    horizon = cal.next_working_day(day)
    sent = 0
    for task in Task.objects.select_related(*TASK_RELATED).filter(
            state__in=CLOCK_RUNNING_STATES, reminded_at__isnull=True, due_date__gte=day, due_date__lte=horizon,
            case__status=CaseStatus.OPEN):
        with transaction.atomic():
            if Task.objects.filter(pk=task.pk, state=task.state, reminded_at__isnull=True).update(
                    reminded_at=timezone.now()) != 1:
                continue
            _event(task.case, EventKind.REMINDED, task=task, detail={"due_date": str(task.due_date)})
            people = [task.assignee] if task.assignee else list(_task_actors(task))
            for person in people:
                notification_send(recipient=person, title=_("即将到期：%(step)s") % {"step": task.step.name},
                                  body=_("%(title)s 的办理期限为 %(due)s，请及时办理。") % {
                                      "title": task.case.title, "due": str(task.due_date)},
                                  link=_task_url(task))
            sent += 1
    return sent


def tasks_escalate_overdue(*, today: date | None = None) -> int:
    """Mark overdue tasks (deadline passed, clock running) as escalated and tell the department head (for an
    employer task: the employer's administrator) and the assignee. Once per task and deadline."""
    day = today or wd.today()
    escalated = 0
    for task in Task.objects.select_related(*TASK_RELATED).filter(
            state__in=CLOCK_RUNNING_STATES, escalated_at__isnull=True, due_date__lt=day,
            case__status=CaseStatus.OPEN):
        with transaction.atomic():
            if Task.objects.filter(pk=task.pk, state=task.state, escalated_at__isnull=True).update(
                    escalated_at=timezone.now()) != 1:
                continue
            overdue_days = wd.WorkingCalendar().working_days_between(task.due_date, day)  # type: ignore[arg-type]
            _event(task.case, EventKind.ESCALATED, task=task,
                   detail={"due_date": str(task.due_date), "overdue_working_days": overdue_days})
            audit_record(action="workflow.task.escalate", obj=task,
                         after={"escalated": True, "due_date": str(task.due_date)})
            recipients = {u.pk: u for u in _task_supervisors(task)}
            if task.assignee is not None:
                recipients.setdefault(task.assignee.pk, task.assignee)
            for person in recipients.values():
                notification_send(
                    recipient=person, title=_("超期督办：%(step)s") % {"step": task.step.name},
                    body=_("%(title)s 已超过办理期限 %(due)s（%(owner)s，经办人：%(who)s）。") % {
                        "title": task.case.title, "due": str(task.due_date), "owner": _owner_label(task),
                        "who": task.assignee.display_name if task.assignee else _("未认领")},
                    link=_task_url(task), channels=(NotificationChannel.SMS,))
            escalated += 1
    return escalated


def workflow_tick(*, today: date | None = None) -> dict[str, int]:
    """What the scheduler runs: reminders, then escalation. Idempotent; safe to run every hour."""
    return {"reminded": tasks_send_reminders(today=today), "escalated": tasks_escalate_overdue(today=today)}


# --- the sample subject: talent service requests ---------------------------------------------------------------------

SERVICE_DEFINITION = "talent_service"


def service_request_submit(*, applicant: User, kind: str, title: str, detail: str = "",
                           is_demo: bool = False) -> ServiceRequest:
    """A talent asks for a service; the request runs through the ``talent_service`` workflow."""
    from onestop.talents.models import TalentProfile

    if not applicant.has_role(Role.TALENT):
        raise PermissionDenied(_("只有人才账号可以提交人才服务申请。"))
    errors = FieldErrors()
    if kind not in ServiceKind.values:
        errors.add("kind", _("服务事项：请选择有效的服务事项。"))
    title = (title or "").strip()
    if not title:
        errors.add("title", _("标题：请填写申请标题。"))
    elif len(title) > 100:
        errors.add("title", _("标题：不能超过 100 个字符。"))
    if len(detail or "") > 2000:
        errors.add("detail", _("申请说明：不能超过 2000 个字符。"))
    errors.raise_if_any()
    profile = TalentProfile.objects.select_related("employer").filter(user=applicant).first()
    enterprise = profile.employer if profile is not None else None
    context = {
        "kind": kind,
        "nationality": (profile.nationality if profile is not None else "") or "中国",
        "has_employer": enterprise is not None,
        "education": profile.education if profile is not None else "",
    }
    with transaction.atomic():
        request = ServiceRequest.objects.create(kind=kind, applicant=applicant, enterprise=enterprise, title=title,
                                                detail=detail or "", is_demo=is_demo)
        case_start(definition_code=SERVICE_DEFINITION, subject=request, applicant=applicant, enterprise=enterprise,
                   context=context, title=f"{ServiceKind(kind).label}：{title}")
    return request
