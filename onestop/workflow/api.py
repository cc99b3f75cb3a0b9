"""The workflow part of the JSON API (/api/v1/workflow): my tasks, act on a task, a case's timeline, my cases, and
the sample service request. Scoped by role: department staff see their department's tasks, employer users their
enterprise's, applicants their own cases; anything else answers 404."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.responses import Status
from ninja.security import django_auth

from onestop.core.models import User

from . import calendar as wd
from . import selectors, services
from .choices import ServiceKind, TaskAction, TaskState
from .models import Case, Task

router = Router(tags=["workflow"], auth=django_auth)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


class TaskOut(Schema):
    id: int
    case_id: int
    case_reference: str
    case_title: str
    definition: str
    definition_version: int
    step: str
    step_name: str
    owner: str
    state: TaskState
    state_label: str
    assignee: str | None
    due_date: date | None
    overdue: bool
    deadline_estimated: bool
    bulk_allowed: bool
    created_at: datetime

    @staticmethod
    def from_task(task: Task, today: date) -> TaskOut:
        return TaskOut(
            id=task.pk, case_id=task.case_id, case_reference=task.case.reference, case_title=task.case.title,
            definition=task.case.definition.code, definition_version=task.case.definition.version,
            step=task.step.code, step_name=task.step.name,
            owner=task.department.name if task.department else (task.enterprise.name if task.enterprise else ""),
            state=TaskState(task.state), state_label=str(TaskState(task.state).label),
            assignee=task.assignee.display_name if task.assignee else None, due_date=task.due_date,
            overdue=task.is_overdue_on(today), deadline_estimated=task.deadline_estimated,
            bulk_allowed=task.step.bulk_allowed, created_at=task.created_at)


class TaskDetailOut(TaskOut):
    allowed_actions: list[str]


class ActionIn(Schema):
    action: TaskAction
    reason: str = ""
    assignee_id: int | None = None


class CaseOut(Schema):
    id: int
    reference: str
    title: str
    definition: str
    definition_version: int
    status: str
    created_at: datetime
    closed_at: datetime | None

    @staticmethod
    def from_case(case: Case) -> CaseOut:
        return CaseOut(id=case.pk, reference=case.reference, title=case.title, definition=case.definition.code,
                       definition_version=case.definition.version, status=case.status, created_at=case.created_at,
                       closed_at=case.closed_at)


class TimelineStepOut(Schema):
    name: str
    owner: str
    state: str
    state_label: str
    reached: bool
    conditional: bool
    due_date: date | None
    overdue: bool
    deadline_estimated: bool
    assignee: str
    decided_at: datetime | None
    note: str


class TimelineStageOut(Schema):
    index: int
    parallel: bool
    steps: list[TimelineStepOut]


class TimelineEventOut(Schema):
    when: datetime
    kind: str
    label: str
    step: str
    who: str
    reason: str


class TimelineOut(Schema):
    case: dict[str, Any]
    next_action: str
    applicant_must_act: bool
    deadline_estimated: bool
    stages: list[TimelineStageOut]
    events: list[TimelineEventOut]


class InfoIn(Schema):
    message: str


class ServiceRequestIn(Schema):
    kind: ServiceKind
    title: str
    detail: str = ""


class Problem(Schema):
    code: str
    message: str
    errors: dict[str, list[str]]


def _task_detail(task: Task, user: User) -> TaskDetailOut:
    base = TaskOut.from_task(task, wd.today())
    return TaskDetailOut(**base.dict(), allowed_actions=selectors.actions_for(user=user, task=task))


@router.get("/tasks", response=list[TaskOut], summary="我的待办 / My tasks (my department's or enterprise's queue)")
@paginate(LimitOffsetPagination)
def list_tasks(request: HttpRequest, state: str = "", definition: str = "", overdue: bool = False,
               mine: bool = False) -> list[TaskOut]:
    user = _user(request)
    if not selectors.can_open_queue(user=user):
        raise Http404
    today = wd.today()
    qs = selectors.queue_for(user=user, state=state, definition=definition, overdue=overdue, mine=mine)
    return [TaskOut.from_task(t, today) for t in qs]


@router.get("/tasks/{task_id}", response={200: TaskDetailOut, 404: Problem}, summary="任务详情 / A task")
def get_task(request: HttpRequest, task_id: int) -> TaskDetailOut:
    user = _user(request)
    return _task_detail(selectors.task_for(user=user, task_id=task_id), user)


@router.post("/tasks/{task_id}/actions", response={200: TaskDetailOut, 403: Problem, 404: Problem, 409: Problem,
                                                   422: Problem},
             summary="办理任务 / Act on a task (claim, release, reassign, approve, reject, request_info)")
def act_on_task(request: HttpRequest, task_id: int, payload: ActionIn) -> TaskDetailOut:
    user = _user(request)
    task = selectors.task_for(user=user, task_id=task_id)
    task = services.task_act(task=task, actor=user, action=payload.action, reason=payload.reason,
                             assignee_id=payload.assignee_id)
    return _task_detail(selectors.task_for(user=user, task_id=task.pk), user)


@router.get("/cases", response=list[CaseOut], summary="我的办件 / My cases (as applicant)")
@paginate(LimitOffsetPagination)
def list_cases(request: HttpRequest) -> list[CaseOut]:
    user = _user(request)
    if not selectors.can_open_case_list(user=user):
        raise Http404
    return [CaseOut.from_case(c) for c in selectors.cases_for_applicant(user=user)]


@router.get("/cases/{case_id}/timeline", response={200: TimelineOut, 404: Problem},
            summary="办理进度 / A case's timeline")
def case_timeline(request: HttpRequest, case_id: int) -> dict[str, Any]:
    user = _user(request)
    case = selectors.case_for(user=user, case_id=case_id)
    return selectors.case_timeline(case=case, viewer=user).as_dict()


@router.post("/cases/{case_id}/info", response={200: CaseOut, 404: Problem, 409: Problem, 422: Problem},
             summary="补充材料 / The applicant answers a request for more information")
def provide_info(request: HttpRequest, case_id: int, payload: InfoIn) -> CaseOut:
    user = _user(request)
    case = selectors.case_for(user=user, case_id=case_id)
    return CaseOut.from_case(services.case_provide_info(case=case, actor=user, message=payload.message))


@router.post("/service-requests", response={201: CaseOut, 403: Problem, 422: Problem},
             summary="申请人才服务 / Submit a talent service request (starts a case)")
def submit_service_request(request: HttpRequest, payload: ServiceRequestIn) -> Status[CaseOut]:
    user = _user(request)
    sr = services.service_request_submit(applicant=user, kind=payload.kind, title=payload.title,
                                         detail=payload.detail)
    case = selectors.cases_for_applicant(user=user).get(subject_id=sr.pk, definition__code="talent_service")
    return Status(201, CaseOut.from_case(case))
