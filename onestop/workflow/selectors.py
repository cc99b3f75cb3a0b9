"""Reads of the workflow engine, always scoped to the user asking. A task or case the user may not see is reported
exactly like a missing one (NotFound → 404)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet
from django.utils.translation import gettext as _

from onestop.core.choices import DEPARTMENT_ROLES, Role
from onestop.core.exceptions import NotFound
from onestop.core.models import User
from onestop.core.permissions import Capability, has_capability

from . import calendar as wd
from .choices import CLOCK_RUNNING_STATES, OPEN_TASK_STATES, CaseStatus, EventKind, TaskState
from .models import Case, CaseEvent, Task, WorkflowDefinition
from .permissions import can_see_case, task_policy, task_scope_q

TASK_LIST_RELATED = ("case__definition", "case__applicant", "step", "department", "enterprise", "assignee")
SORTS = {"due": ("due_date", "id"), "-due": ("-due_date", "-id"), "new": ("-created_at", "-id")}


def _overdue_expr(today: date) -> ExpressionWrapper[Q]:
    return ExpressionWrapper(Q(state__in=CLOCK_RUNNING_STATES, due_date__lt=today), output_field=BooleanField())


def tasks_visible_to(*, user: User) -> QuerySet[Task]:
    return Task.objects.filter(task_scope_q(user))


def can_open_queue(*, user: User) -> bool:
    """Tasks belong to departments and enterprises: their staff, heads, admins and HR hold ``workflow.queue`` (the
    queue page's capability). Talents, the leadership, the auditor, partners and the administrators never hold a task
    and get 404 from the API as from the page, not an empty queue."""
    return has_capability(user, Capability.WORKFLOW_QUEUE)


def queue_for(*, user: User, definition: str = "", state: str = "", overdue: bool = False, mine: bool = False,
              sort: str = "due", today: date | None = None) -> QuerySet[Task]:
    """The user's department (or enterprise) queue. Default: open tasks, earliest deadline first."""
    day = today or wd.today()
    qs = tasks_visible_to(user=user).select_related(*TASK_LIST_RELATED).annotate(overdue=_overdue_expr(day))
    if state in TaskState.values:
        qs = qs.filter(state=state)
    elif state == "all":
        qs = qs.exclude(state=TaskState.SKIPPED)
    else:
        qs = qs.filter(state__in=OPEN_TASK_STATES)
    if definition:
        qs = qs.filter(case__definition__code=definition)
    if overdue:
        qs = qs.filter(state__in=CLOCK_RUNNING_STATES, due_date__lt=day)
    if mine:
        qs = qs.filter(assignee=user)
    return qs.order_by(*SORTS.get(sort, SORTS["due"]))


def queue_counts(*, user: User, today: date | None = None) -> dict[str, int]:
    """Open tasks per state in the user's queue, plus overdue and mine. One query."""
    day = today or wd.today()
    totals = tasks_visible_to(user=user).filter(state__in=OPEN_TASK_STATES).aggregate(
        total=Count("id"),
        **{s: Count("id", filter=Q(state=s)) for s in OPEN_TASK_STATES},
        overdue=Count("id", filter=Q(state__in=CLOCK_RUNNING_STATES, due_date__lt=day)),
        mine=Count("id", filter=Q(assignee=user)),
    )
    return {k: int(v or 0) for k, v in totals.items()}


def queue_definitions() -> list[tuple[str, str]]:
    """The task types for the queue filter: one entry per definition code (its current name)."""
    return list(WorkflowDefinition.objects.filter(is_active=True).order_by("name").values_list("code", "name"))


def task_for(*, user: User, task_id: int) -> Task:
    task = (tasks_visible_to(user=user).select_related(*TASK_LIST_RELATED)
            .annotate(overdue=_overdue_expr(wd.today())).filter(pk=task_id).first())
    if task is None:
        raise NotFound(_("任务不存在，或您无权访问。"))
    return task


def assignable_people(*, task: Task) -> list[User]:
    """Who a task may be reassigned to: the people holding an allowed role in its department / enterprise."""
    scope = {"role_assignments__department_id": task.department_id} if task.department_id else {
        "role_assignments__enterprise_id": task.enterprise_id}
    people = User.objects.filter(is_active=True, role_assignments__role__in=task.step.allowed_roles,
                                 **scope).distinct().order_by("real_name", "pk")
    return [p for p in people if p.pk != task.assignee_id]


def can_open_case_list(*, user: User) -> bool:
    """Cases are started by talents (certification, service requests, green card, 一件事), by enterprise users (work
    funding) and by department officials (a visit's problems). Anyone else — the leadership, the auditor, a partner,
    the administrators — never applies for anything and gets 404 like any page outside their role, not an empty list."""
    return any(has_capability(user, c) for c in (Capability.TALENT_CENTRE, Capability.EMPLOYER_CENTRE,
                                                 Capability.ENGAGEMENT_STAFF))


def cases_for_applicant(*, user: User) -> QuerySet[Case]:
    return Case.objects.filter(applicant=user).select_related("definition").order_by("-created_at", "-id")


def case_for(*, user: User, case_id: int) -> Case:
    case = Case.objects.select_related("definition", "applicant", "enterprise").filter(pk=case_id).first()
    if case is None or not can_see_case(user, case):
        raise NotFound(_("办件不存在，或您无权访问。"))
    return case


# --- the timeline ----------------------------------------------------------------------------------------------------

@dataclass
class TimelineStep:
    name: str
    owner: str
    state: str
    state_label: str
    reached: bool
    conditional: bool
    due_date: date | None = None
    overdue: bool = False
    estimated: bool = False
    assignee: str = ""
    decided_at: datetime | None = None
    note: str = ""
    task_id: int | None = None


@dataclass
class TimelineStage:
    index: int
    steps: list[TimelineStep]

    @property
    def parallel(self) -> bool:
        return len(self.steps) > 1


@dataclass
class TimelineEvent:
    when: datetime
    kind: str
    label: str
    step: str
    who: str
    reason: str


@dataclass
class Timeline:
    case: Case
    stages: list[TimelineStage]
    events: list[TimelineEvent] = field(default_factory=list)
    next_action: str = ""
    applicant_must_act: bool = False
    estimated: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "case": {"id": self.case.pk, "reference": self.case.reference, "title": self.case.title,
                     "status": self.case.status, "status_label": CaseStatus(self.case.status).label,
                     "definition": self.case.definition.code, "version": self.case.definition.version,
                     "created_at": self.case.created_at, "closed_at": self.case.closed_at},
            "next_action": self.next_action,
            "applicant_must_act": self.applicant_must_act,
            "deadline_estimated": self.estimated,
            "stages": [{"index": s.index, "parallel": s.parallel, "steps": [{
                "name": t.name, "owner": t.owner, "state": t.state, "state_label": t.state_label,
                "reached": t.reached, "conditional": t.conditional, "due_date": t.due_date, "overdue": t.overdue,
                "deadline_estimated": t.estimated, "assignee": t.assignee, "decided_at": t.decided_at,
                "note": t.note} for t in s.steps]} for s in self.stages],
            "events": [{"when": e.when, "kind": e.kind, "label": e.label, "step": e.step, "who": e.who,
                        "reason": e.reason} for e in self.events],
        }


def case_timeline(*, case: Case, viewer: User, today: date | None = None) -> Timeline:
    """Every step of the case's definition version with its owner, state, deadline; the history; the next action.
    The applicant sees departments, staff see the people too. Three queries."""
    day = today or wd.today()
    staff_view = viewer.pk != case.applicant_id
    steps = list(case.definition.steps.select_related("department").order_by("stage", "position"))
    tasks = {t.step_id: t for t in case.tasks.select_related("assignee", "enterprise", "department")}
    events = list(CaseEvent.objects.filter(case=case).select_related("actor", "task__step", "task__department"))
    last_note: dict[int, str] = {}
    for event in events:
        if event.task_id and event.reason:
            last_note[event.task_id] = event.reason
    stages: dict[int, list[TimelineStep]] = {}
    for step in steps:
        task = tasks.get(step.pk)
        owner = step.department.name if step.department else (
            task.enterprise.name if task and task.enterprise else _("申请人所在单位"))
        if task is None:
            item = TimelineStep(name=step.name, owner=owner, state="", reached=False,
                                state_label=str(_("未开始") if case.is_open else _("未进行")),
                                conditional=step.condition is not None)
        else:
            item = TimelineStep(
                name=step.name, owner=owner, state=task.state, state_label=str(TaskState(task.state).label), reached=True,
                conditional=step.condition is not None, due_date=task.due_date,
                overdue=task.is_overdue_on(day), estimated=task.deadline_estimated and task.is_open,
                assignee=(task.assignee.display_name if task.assignee and staff_view else ""),
                decided_at=task.decided_at, note=last_note.get(task.pk, ""), task_id=task.pk)
        stages.setdefault(step.stage, []).append(item)
    timeline = Timeline(case=case, stages=[TimelineStage(i, s) for i, s in sorted(stages.items())])
    for event in events:
        if event.actor is None:
            who = _("系统")
        elif event.actor_id == case.applicant_id:
            who = _("申请人")
        elif staff_view:
            who = event.actor.display_name
        else:
            task_owner = event.task.department if event.task and event.task.department else None
            who = task_owner.name if task_owner else _("经办单位")
        timeline.events.append(TimelineEvent(
            when=event.created_at, kind=event.kind, label=str(EventKind(event.kind).label),
            step=event.task.step.name if event.task else "", who=who, reason=event.reason))
    open_steps = [s for st in timeline.stages for s in st.steps if s.state in OPEN_TASK_STATES]
    timeline.estimated = any(s.estimated for s in open_steps)
    if not case.is_open:
        timeline.next_action = _("已办结：%(s)s") % {"s": CaseStatus(case.status).label}
    elif any(s.state == TaskState.INFO_REQUESTED for s in open_steps):
        notes = "；".join(s.note for s in open_steps if s.state == TaskState.INFO_REQUESTED and s.note)
        timeline.next_action = _("请申请人补充材料：%(n)s") % {"n": notes}
        timeline.applicant_must_act = True
    elif open_steps:
        due = min((s.due_date for s in open_steps if s.due_date), default=None)
        timeline.next_action = _("等待%(who)s办理%(due)s") % {
            "who": "、".join(sorted({s.owner for s in open_steps})),
            "due": (_("（期限 %(d)s）") % {"d": due.isoformat()}) if due else ""}
    return timeline


# --- the department head's load chart ----------------------------------------------------------------------------

def department_load(*, user: User, today: date | None = None) -> dict[str, Any]:
    """Open tasks of the head's departments per person: running on time, overdue, paused (more information).
    Returns the table rows and an ECharts option (stacked bars). One query."""
    day = today or wd.today()
    depts = user.department_ids(Role.DEPT_HEAD)
    rows = (Task.objects.filter(department_id__in=depts, state__in=OPEN_TASK_STATES)
            .values("department__name", "department__short_name", "assignee__real_name", "assignee__username")
            .annotate(open=Count("id"),
                      overdue=Count("id", filter=Q(state__in=CLOCK_RUNNING_STATES, due_date__lt=day)),
                      paused=Count("id", filter=Q(state=TaskState.INFO_REQUESTED)))
            .order_by("department__name", "assignee__real_name"))
    table = []
    for row in rows:
        person = row["assignee__real_name"] or row["assignee__username"] or _("未认领")
        short = row["department__short_name"] or row["department__name"]
        table.append({"department": row["department__name"], "label": f"{short} · {person}", "open": row["open"],
                      "overdue": row["overdue"], "paused": row["paused"],
                      "on_time": row["open"] - row["overdue"] - row["paused"]})
    option = {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"data": [_("按期办理"), _("已超期"), _("待补充材料")]},
        "grid": {"left": 16, "right": 16, "top": 40, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {"type": "category", "data": [r["label"] for r in table]},
        "series": [
            {"name": _("按期办理"), "type": "bar", "stack": "load", "data": [r["on_time"] for r in table]},
            {"name": _("已超期"), "type": "bar", "stack": "load", "data": [r["overdue"] for r in table],
             "itemStyle": {"color": "#dc3545"}},
            {"name": _("待补充材料"), "type": "bar", "stack": "load", "data": [r["paused"] for r in table],
             "itemStyle": {"color": "#adb5bd"}},
        ],
    }
    totals = {"open": sum(r["open"] for r in table), "overdue": sum(r["overdue"] for r in table),
              "paused": sum(r["paused"] for r in table)}
    return {"rows": table, "option": option, "totals": totals}


def queue_summary(*, user: User) -> dict[str, Any]:
    """For the workbench card: the counts, the three most urgent open tasks, and whether a calendar year is missing."""
    if not (user.department_ids(*DEPARTMENT_ROLES) or user.enterprise_ids()):
        return {"counts": None, "urgent": [], "uncovered": []}
    return {
        "counts": queue_counts(user=user),
        "urgent": list(queue_for(user=user).filter(state__in=CLOCK_RUNNING_STATES)[:3]),
        "uncovered": wd.uncovered_years_ahead(),
        "is_head": bool(user.department_ids(Role.DEPT_HEAD)),
    }


def actions_for(*, user: User, task: Task) -> list[str]:
    return task_policy.allowed_actions(user, task)
