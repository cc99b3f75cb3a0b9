"""Reads, always scoped to the user: the talent sees their own applications and offers; staff see near misses and
offers only for policies of their own departments; department queues stay the workflow's (scoped by department).
Whatever a user may not see answers 404."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from onestop.core.choices import DEPARTMENT_ROLES
from onestop.core.exceptions import NotFound
from onestop.core.models import User
from onestop.core.permissions import Capability, has_capability
from onestop.workflow import calendar as wd
from onestop.workflow.choices import OPEN_TASK_STATES, TaskState
from onestop.workflow.models import CaseEvent, Task

from .choices import ApplicationStatus, MatterStatus
from .models import Application, ApplicationMatter, BenefitOffer, HistoryEntry, MatchRun, Matter, NearMiss


def matters_catalogue() -> QuerySet[Matter]:
    return Matter.objects.filter(active=True).select_related("department", "depends_on")


def applications_for(*, user: User) -> QuerySet[Application]:
    return Application.objects.filter(applicant=user).prefetch_related("matters__matter")


def application_for(*, user: User, pk: int) -> Application:
    application = Application.objects.select_related("profile", "applicant").filter(pk=pk, applicant=user).first()
    if application is None:
        raise NotFound(_("申请不存在，或您无权访问。"))
    return application


def matter_for(*, user: User, pk: int) -> ApplicationMatter:
    am = (ApplicationMatter.objects.select_related("application", "matter", "case")
          .filter(pk=pk, application__applicant=user).first())
    if am is None:
        raise NotFound(_("事项不存在，或您无权访问。"))
    return am


# --- the talent's one progress view -----------------------------------------------------------------------------------

@dataclass
class MatterProgress:
    id: int
    code: str
    name: str
    department: str
    status: str
    status_label: str
    due_date: date | None = None
    overdue: bool = False
    next_step: str = ""
    info_requests: list[str] = field(default_factory=list)
    case_id: int | None = None
    can_withdraw: bool = False
    outcome_reason: str = ""


@dataclass
class HistoryLine:
    at: Any
    text: str
    matter: str = ""


def application_progress(*, application: Application, today: date | None = None) -> tuple[list[MatterProgress],
                                                                                            list[HistoryLine]]:
    """Each matter's status, department, deadline and next step, requests for more material from any department,
    and the complete history (the application's and every sub-case's), ordered by time. A fixed number of queries."""
    day = today or wd.today()
    matters = list(application.matters.select_related("matter", "matter__department", "matter__depends_on", "case"))
    case_ids = [am.case_id for am in matters if am.case_id]
    tasks: dict[int, list[Task]] = {}
    for task in (Task.objects.filter(case_id__in=case_ids).select_related("step", "department")
                 .order_by("stage", "id")):
        tasks.setdefault(task.case_id, []).append(task)
    events = list(CaseEvent.objects.filter(case_id__in=case_ids).select_related("task__step", "task__department")
                  .order_by("created_at", "id"))
    requests: dict[int, list[str]] = {}
    for ev in events:
        if ev.kind == "info_requested" and ev.task is not None and ev.task.state == TaskState.INFO_REQUESTED:
            requests.setdefault(ev.case_id, []).append(
                _("%(d)s要求补充材料：%(r)s") % {"d": ev.task.department.name if ev.task.department else "",
                                               "r": ev.reason})
    out = []
    for am in matters:
        open_tasks = [t for t in tasks.get(am.case_id or 0, []) if t.state in OPEN_TASK_STATES]
        dues = [t.due_date for t in open_tasks if t.due_date is not None and t.state != TaskState.INFO_REQUESTED]
        due = min(dues) if dues else None
        departments = "、".join(dict.fromkeys(t.department.name for t in open_tasks if t.department)) \
            or am.matter.department.name
        if am.status == MatterStatus.WAITING:
            step = _("等待“%(p)s”通过后自动转交%(d)s") % {"p": am.matter.depends_on.name if am.matter.depends_on else "",
                                                  "d": am.matter.department.name}
        elif am.status == MatterStatus.RUNNING and requests.get(am.case_id or 0):
            step = _("请补充材料后提交")
        elif am.status == MatterStatus.RUNNING and open_tasks:
            step = _("等待%(d)s办理（%(s)s）") % {"d": departments, "s": "、".join(t.step.name for t in open_tasks)}
        elif am.status == MatterStatus.RUNNING:
            step = am.matter.next_step
        else:
            step = ""
        out.append(MatterProgress(
            id=am.pk, code=am.matter.code, name=am.matter.name, department=departments, status=am.status,
            status_label=str(MatterStatus(am.status).label), due_date=due,
            overdue=bool(due and due < day and any(t.state in (TaskState.PENDING, TaskState.IN_PROGRESS)
                                                   for t in open_tasks)),
            next_step=step, info_requests=requests.get(am.case_id or 0, []), case_id=am.case_id,
            can_withdraw=am.status in (MatterStatus.WAITING, MatterStatus.RUNNING)
            and application.status == ApplicationStatus.SUBMITTED))
    names = {am.case_id: am.matter.name for am in matters if am.case_id}
    history = [HistoryLine(h.created_at, h.get_kind_display() + (f"：{h.note}" if h.note else ""))
               for h in HistoryEntry.objects.filter(application=application).order_by("created_at", "id")]
    for ev in events:
        who = ev.task.department.name if ev.task is not None and ev.task.department else ""
        step = ev.task.step.name if ev.task is not None else ""
        text = " · ".join(p for p in (ev.get_kind_display(), step, who, ev.reason) if p)
        history.append(HistoryLine(ev.created_at, text, names.get(ev.case_id, "")))
    history.sort(key=lambda line: line.at)
    return out, history


# --- 免申即享 ---------------------------------------------------------------------------------------------------------

def offers_for(*, user: User) -> QuerySet[BenefitOffer]:
    return BenefitOffer.objects.filter(profile__user=user).select_related("policy").order_by("-created_at", "-id")


def runs_for(*, user: User) -> QuerySet[MatchRun]:
    if not has_capability(user, Capability.BENEFITS_VIEW):
        return MatchRun.objects.none()
    return MatchRun.objects.select_related("started_by").order_by("-created_at", "-id")


def run_for(*, user: User, pk: int) -> MatchRun:
    run = runs_for(user=user).filter(pk=pk).first()
    if run is None:
        raise NotFound(_("匹配批次不存在，或您无权访问。"))
    return run


def near_misses_for(*, user: User, run: MatchRun, policy_code: str = "") -> QuerySet[NearMiss]:
    """The outreach list of one run, for the policies of the viewer's departments only."""
    if not has_capability(user, Capability.BENEFITS_VIEW):
        return NearMiss.objects.none()
    qs = (NearMiss.objects.filter(run=run, policy__department_id__in=user.department_ids(*DEPARTMENT_ROLES))
          .select_related("policy", "profile__user").order_by("policy__code", "rule_id", "profile_id"))
    return qs.filter(policy__code=policy_code) if policy_code else qs


def flagged_offers_for(*, user: User) -> QuerySet[BenefitOffer]:
    """Offers whose holder stopped being eligible, for the policies of the viewer's departments."""
    if not has_capability(user, Capability.BENEFITS_VIEW):
        return BenefitOffer.objects.none()
    return (BenefitOffer.objects.filter(ineligible_since__isnull=False,
                                        policy__department_id__in=user.department_ids(*DEPARTMENT_ROLES))
            .select_related("policy", "profile__user").order_by("-ineligible_since", "id"))


def benefit_policies_for(*, user: User) -> list[dict[str, Any]]:
    """The talent policies of the viewer's departments (heads) with their 免申即享 mode."""
    from onestop.core.choices import Role
    from onestop.policies.models import Policy

    from .choices import BenefitMode

    if not has_capability(user, Capability.BENEFITS_MANAGE):
        return []
    rows = []
    for policy in (Policy.objects.filter(department_id__in=user.department_ids(Role.DEPT_HEAD), subject="talent")
                   .select_related("benefit_setting").order_by("code")):
        setting = getattr(policy, "benefit_setting", None) if hasattr(policy, "benefit_setting") else None
        mode = setting.mode if setting is not None else BenefitMode.OFF
        rows.append({"policy": policy, "mode": mode, "mode_label": BenefitMode(mode).label})
    return rows
