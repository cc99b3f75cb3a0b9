"""万人助万企: officials are assigned enterprises, plan monthly visits, log visits with the problems raised. Each
problem has an owner department and a first-reply deadline of 7 working days on the official calendar
(``onestop.workflow.calendar``); it is closed off (销号) only when the enterprise confirms, with its satisfaction.
A talent-related problem also opens a workflow case at the talent office, which links back to the ledger."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.choices import AuditResult
from onestop.core.exceptions import Conflict, NotFound
from onestop.core.models import Department, User
from onestop.core.notifications import notification_send
from onestop.core.permissions import Capability, has_capability
from onestop.core.services import FieldErrors
from onestop.employers.models import Enterprise
from onestop.workflow import calendar as wd

from ..choices import ProblemStatus, ProblemUpdateKind
from ..models import Problem, ProblemUpdate, Visit, VisitAssignment, VisitPlan

PROBLEM_DEFINITION = "visit_talent_problem"
TALENT_DEPARTMENT = "talent_office"
FIRST_REPLY_WORKING_DAYS = 7


def assigned(official: User, enterprise_id: int) -> bool:
    return VisitAssignment.objects.filter(official=official, enterprise_id=enterprise_id).exists()


def _assigned_or_404(actor: User, enterprise: Enterprise) -> None:
    if not has_capability(actor, Capability.ENGAGEMENT_STAFF) or not assigned(actor, enterprise.pk):
        audit_record(action="visit.access", actor=actor, obj=enterprise, result=AuditResult.DENIED)
        raise NotFound(_("企业不存在，或不是您包联的企业。"))


def visit_assign(*, actor: User, official: User, enterprise: Enterprise) -> VisitAssignment:
    """A department head assigns an enterprise to an official of the same department."""
    if not has_capability(actor, Capability.VISITS_ASSIGN) or not (
            set(actor.department_ids()) & set(official.department_ids())):
        raise NotFound(_("人员不存在，或您无权分配。"))
    try:
        with transaction.atomic():
            assignment = VisitAssignment.objects.create(official=official, enterprise=enterprise, assigned_by=actor)
            audit_record(action="visit.assign", actor=actor, obj=enterprise, after={"official": official.pk})
    except IntegrityError:
        raise Conflict(_("该企业已分配给此人。"))
    return assignment


def visit_plan_create(*, actor: User, enterprise: Enterprise, planned_date: date | None, topic: str,
                      is_demo: bool = False) -> VisitPlan:
    _assigned_or_404(actor, enterprise)
    errors = FieldErrors()
    if planned_date is None:
        errors.add("planned_date", _("计划走访日期：请填写日期。"))
    if not (topic or "").strip():
        errors.add("topic", _("走访主题：请填写走访主题。"))
    errors.raise_if_any()
    assert planned_date is not None
    try:
        with transaction.atomic():
            plan = VisitPlan.objects.create(official=actor, enterprise=enterprise, month=planned_date.replace(day=1),
                                            planned_date=planned_date, topic=topic.strip(), is_demo=is_demo)
            audit_record(action="visit.plan", actor=actor, obj=enterprise, after={"month": f"{planned_date:%Y-%m}"})
    except IntegrityError:
        raise Conflict(_("计划走访日期：本月已有对该企业的走访计划。"),
                       field_errors={"planned_date": [_("计划走访日期：本月已有对该企业的走访计划。")]})
    return plan


def _check_problems(errors: FieldErrors, problems: Sequence[dict[str, Any]]) -> dict[str, Department]:
    codes = {str(p.get("owner_department") or "") for p in problems}
    departments = {d.code: d for d in Department.objects.filter(code__in=codes | {TALENT_DEPARTMENT})}
    for i, p in enumerate(problems, start=1):
        if not str(p.get("title") or "").strip():
            errors.add(f"problems.{i}.title", _("问题 %(i)d：请填写问题。") % {"i": i})
        if not str(p.get("description") or "").strip():
            errors.add(f"problems.{i}.description", _("问题 %(i)d：请填写问题描述。") % {"i": i})
        if not p.get("talent_related") and str(p.get("owner_department") or "") not in departments:
            errors.add(f"problems.{i}.owner_department", _("问题 %(i)d：请选择责任部门。") % {"i": i})
    return departments


def visit_log(*, actor: User, enterprise: Enterprise, visited_on: date | None, participants: str, explained: str,
              needs_heard: str = "", problems: Sequence[dict[str, Any]] = (), plan: VisitPlan | None = None,
              today: date | None = None, is_demo: bool = False) -> Visit:
    """Log a visit and the problems raised, all or nothing."""
    _assigned_or_404(actor, enterprise)
    today = today or wd.today()
    errors = FieldErrors()
    if visited_on is None:
        errors.add("visited_on", _("走访日期：请填写日期。"))
    elif visited_on > today:
        errors.add("visited_on", _("走访日期：不能晚于今天。"))
    if not (participants or "").strip():
        errors.add("participants", _("参加人员：请填写参加人员。"))
    if not (explained or "").strip():
        errors.add("explained", _("宣讲的政策：请填写宣讲的政策。"))
    if plan is not None and (plan.official_id != actor.pk or plan.enterprise_id != enterprise.pk):
        errors.add("plan", _("走访计划：只能选择本人对该企业的计划。"))
    departments = _check_problems(errors, problems)
    errors.raise_if_any()
    assert visited_on is not None
    calendar = wd.WorkingCalendar()
    if plan is None:  # the month's plan for this enterprise, if any, is fulfilled by this visit
        plan = VisitPlan.objects.filter(official=actor, enterprise=enterprise, month=visited_on.replace(day=1),
                                        visit__isnull=True).first()
    with transaction.atomic():
        visit = Visit.objects.create(plan=plan, official=actor, enterprise=enterprise, visited_on=visited_on,
                                     participants=participants.strip(), explained=explained.strip(),
                                     needs_heard=(needs_heard or "").strip(), is_demo=is_demo)
        for p in problems:
            _problem_raise(actor=actor, visit=visit, spec=p, departments=departments, calendar=calendar,
                           is_demo=is_demo)
        audit_record(action="visit.log", actor=actor, obj=enterprise,
                     after={"visit": visit.pk, "problems": len(problems)})
    return visit


def _problem_raise(*, actor: User, visit: Visit, spec: dict[str, Any], departments: dict[str, Department],
                   calendar: wd.WorkingCalendar, is_demo: bool) -> Problem:
    talent = bool(spec.get("talent_related"))
    department = departments[TALENT_DEPARTMENT if talent else str(spec["owner_department"])]
    deadline = calendar.deadline(visit.visited_on, FIRST_REPLY_WORKING_DAYS)
    problem = Problem.objects.create(
        visit=visit, enterprise=visit.enterprise, title=str(spec["title"]).strip(),
        description=str(spec["description"]).strip(), owner_department=department, talent_related=talent,
        raised_on=visit.visited_on, reply_due=deadline.due_date, reply_due_estimated=deadline.estimated,
        is_demo=is_demo)
    ProblemUpdate.objects.create(problem=problem, kind=ProblemUpdateKind.RAISED, text=problem.description,
                                 actor=actor)
    if talent:
        from onestop.workflow.services import case_start

        case = case_start(definition_code=PROBLEM_DEFINITION, subject=problem, applicant=actor,
                          enterprise=None, actor=actor,
                          title=_("万人助万企人才诉求：%(e)s · %(t)s") % {"e": visit.enterprise.name, "t": problem.title},
                          context={"enterprise": visit.enterprise_id})
        Problem.objects.filter(pk=problem.pk).update(case=case)
        problem.case = case
    elif not is_demo:
        from django.db.models import Q

        for user in User.objects.filter(Q(role_assignments__department=department)).distinct():
            notification_send(recipient=user, title=_("万人助万企新问题：%(t)s（%(d)s 前首次答复）")
                              % {"t": problem.title, "d": problem.reply_due.isoformat()},
                              link=f"/engagement/problems/{problem.pk}/")
    return problem


def _owner_or_404(actor: User, problem: Problem) -> None:
    if problem.owner_department_id not in actor.department_ids():
        audit_record(action="problem.access", actor=actor, obj=problem, result=AuditResult.DENIED)
        raise NotFound(_("问题不存在，或您无权操作。"))


def _update(problem: Problem, *, actor: User | None, kind: str, text: str, to: str, allowed: Sequence[str],
            extra: dict[str, Any] | None = None) -> Problem:
    with transaction.atomic():
        changed = Problem.objects.filter(pk=problem.pk, status__in=list(allowed)).update(status=to, **(extra or {}))
        if changed != 1:
            raise Conflict(_("问题当前状态（%(s)s）不允许该操作。") % {"s": problem.get_status_display()})
        ProblemUpdate.objects.create(problem=problem, kind=kind, text=text, actor=actor)
        audit_record(action=f"problem.{kind}", actor=actor, obj=problem, before={"status": problem.status},
                     after={"status": to})
    problem.refresh_from_db()
    return problem


def _text(field: str, label: str, text: str) -> str:
    errors = FieldErrors()
    if not (text or "").strip():
        errors.add(field, _("%(l)s：请填写此项。") % {"l": label})
    errors.raise_if_any()
    return text.strip()


def problem_reply(*, actor: User, problem: Problem, text: str) -> Problem:
    """The owner department's first reply (counts against the 7-working-day deadline) or a progress note."""
    _owner_or_404(actor, problem)
    text = _text("text", _("答复内容"), text)
    if problem.status == ProblemStatus.OPEN:
        return _update(problem, actor=actor, kind=ProblemUpdateKind.REPLY, text=text, to=ProblemStatus.REPLIED,
                       allowed=[ProblemStatus.OPEN], extra={"first_reply_at": timezone.now()})
    return _update(problem, actor=actor, kind=ProblemUpdateKind.PROGRESS, text=text, to=ProblemStatus.IN_PROGRESS,
                   allowed=[ProblemStatus.REPLIED, ProblemStatus.IN_PROGRESS])


def problem_resolve(*, actor: User | None, problem: Problem, text: str) -> Problem:
    """The department reports the problem solved; it waits for the enterprise to confirm (销号)."""
    if actor is not None:
        _owner_or_404(actor, problem)
    text = _text("text", _("办结说明"), text)
    problem = _update(problem, actor=actor, kind=ProblemUpdateKind.RESOLVE, text=text, to=ProblemStatus.RESOLVED,
                      allowed=[ProblemStatus.REPLIED, ProblemStatus.IN_PROGRESS],
                      extra={"resolved_at": timezone.now()})
    for user in User.objects.filter(role_assignments__enterprise=problem.enterprise).distinct():
        notification_send(recipient=user, title=_("请确认问题是否已解决：%(t)s") % {"t": problem.title},
                          link=f"/engagement/problems/{problem.pk}/")
    return problem


def problem_confirm(*, actor: User, problem: Problem, satisfied: bool, satisfaction: int | None,
                    comment: str = "") -> Problem:
    """The enterprise confirms (销号, with satisfaction 1–5) or sends the problem back to the department."""
    if problem.enterprise_id not in actor.enterprise_ids():
        audit_record(action="problem.access", actor=actor, obj=problem, result=AuditResult.DENIED)
        raise NotFound(_("问题不存在，或您无权操作。"))
    comment = (comment or "").strip()
    errors = FieldErrors()
    if satisfied and (satisfaction is None or not 1 <= satisfaction <= 5):
        errors.add("satisfaction", _("满意度：请选择 1 到 5 分。"))
    if not satisfied and not comment:
        errors.add("comment", _("评价：退回时请写明仍未解决的地方。"))
    errors.raise_if_any()
    if satisfied:
        return _update(problem, actor=actor, kind=ProblemUpdateKind.CONFIRM,
                       text=comment or _("企业确认已解决，满意度 %(s)d 分。") % {"s": satisfaction},
                       to=ProblemStatus.CLOSED, allowed=[ProblemStatus.RESOLVED],
                       extra={"closed_at": timezone.now(), "confirmed_by": actor, "satisfaction": satisfaction,
                              "satisfaction_comment": comment})
    return _update(problem, actor=actor, kind=ProblemUpdateKind.REOPEN, text=comment, to=ProblemStatus.IN_PROGRESS,
                   allowed=[ProblemStatus.RESOLVED])


def problems_escalate_overdue(*, today: date | None = None) -> int:
    """Problems still without a first reply after their 7-working-day deadline go to the owner department's heads
    (inbox + SMS), once per problem (a conditional UPDATE on ``escalated_at`` makes reruns and racing workers
    harmless). Run by ``manage.py engagement_tick`` from the scheduler."""
    today = today or wd.today()
    count = 0
    overdue = Problem.objects.select_related("enterprise", "owner_department").filter(
        status=ProblemStatus.OPEN, reply_due__lt=today, escalated_at__isnull=True)
    for problem in overdue:
        with transaction.atomic():
            if Problem.objects.filter(pk=problem.pk, status=ProblemStatus.OPEN,
                                      escalated_at__isnull=True).update(escalated_at=timezone.now()) != 1:
                continue
            heads = User.objects.filter(role_assignments__department=problem.owner_department,
                                        role_assignments__role="dept_head").distinct()
            for head in heads:
                notification_send(recipient=head, channels=("sms",), link=f"/engagement/problems/{problem.pk}/",
                                  title=_("万人助万企问题超期未答复：%(t)s（%(e)s，期限 %(d)s）") % {
                                      "t": problem.title, "e": problem.enterprise.name,
                                      "d": problem.reply_due.isoformat()})
            audit_record(action="problem.escalate", obj=problem, detail={"reply_due": problem.reply_due.isoformat()})
            count += 1
    return count


# --- the workflow case of a talent-related problem -------------------------------------------------------------------

def on_problem_case_done(*, case: Any, outcome: str, actor: User | None) -> None:
    """The talent office finished the case: the ledger records a first reply if none yet, then waits for the
    enterprise's confirmation."""
    problem = Problem.objects.get(pk=case.subject_id)
    if problem.status == ProblemStatus.OPEN:
        problem = _update(problem, actor=actor, kind=ProblemUpdateKind.REPLY, text=_("人才办已受理并办理。"),
                          to=ProblemStatus.REPLIED, allowed=[ProblemStatus.OPEN],
                          extra={"first_reply_at": timezone.now()})
    if problem.status in (ProblemStatus.REPLIED, ProblemStatus.IN_PROGRESS):
        problem_resolve(actor=None, problem=problem, text=_("办件 %(r)s 已办结。") % {"r": case.reference})


def on_problem_case_ended(*, case: Any, outcome: str, actor: User | None) -> None:
    problem = Problem.objects.get(pk=case.subject_id)
    ProblemUpdate.objects.create(problem=problem, kind=ProblemUpdateKind.CASE, actor=actor,
                                 text=_("办件 %(r)s 未办结（%(o)s），请责任部门继续跟进。") % {"r": case.reference, "o": outcome})
