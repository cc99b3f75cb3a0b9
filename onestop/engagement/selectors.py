"""Reads of the engagement app, scoped to the user. Out of scope answers ``NotFound`` like a missing record."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet
from django.utils import timezone

from onestop.core.audit import audit_record
from onestop.core.choices import AuditResult
from onestop.core.exceptions import NotFound
from onestop.core.models import User
from onestop.core.permissions import Capability, has_capability
from onestop.employers.models import Enterprise
from onestop.employers.services import in_department
from onestop.workflow import calendar as wd

from . import matching
from .choices import EventKind, EventStatus, NeedStatus, ProblemStatus
from .models import (
    Event,
    EventRegistration,
    ExpertContract,
    Need,
    NeedApplication,
    Problem,
    ResearcherProfile,
    Visit,
    VisitAssignment,
    VisitPlan,
)
from .services.needs import REVIEW_DEPARTMENTS


def _denied(user: User, object_type: str, pk: Any) -> NotFound:
    audit_record(action="engagement.read", actor=user, object_type=object_type, object_id=str(pk),
                 result=AuditResult.DENIED)
    return NotFound("记录不存在，或您无权访问。")


# --- events ----------------------------------------------------------------------------------------------------------

def events_public(*, kind: str = "") -> QuerySet[Event]:
    qs = Event.objects.filter(status__in=[EventStatus.PUBLISHED, EventStatus.FINISHED]).select_related("department")
    return qs.filter(kind=kind) if kind else qs


def event_public(*, pk: int) -> Event:
    event = events_public().filter(pk=pk).first()
    if event is None:
        raise NotFound("活动不存在。")
    return event


def events_for_staff(*, user: User) -> QuerySet[Event]:
    return (Event.objects.filter(department_id__in=user.department_ids()).select_related("department")
            .annotate(attended=Count("registrations", filter=Q(registrations__checked_in_at__isnull=False))))


def event_for_staff(*, user: User, pk: int) -> Event:
    event = events_for_staff(user=user).filter(pk=pk).first()
    if event is None:
        raise _denied(user, "engagement.event", pk)
    return event


def registrations_for(*, user: User) -> QuerySet[EventRegistration]:
    return EventRegistration.objects.filter(user=user).select_related("event")


def registration_for(*, user: User, pk: int) -> EventRegistration:
    registration = registrations_for(user=user).filter(pk=pk).first()
    if registration is None:
        raise _denied(user, "engagement.eventregistration", pk)
    return registration


def event_counts(*, year: int) -> dict[str, dict[str, int]]:
    """Per kind: events held (finished, or published and already started), registrations and attendance in the
    year. The targets module reads these (≥ 10 recruitment, ≥ 20 publicity events)."""
    now = timezone.now()
    held = Q(status=EventStatus.FINISHED) | Q(status=EventStatus.PUBLISHED, starts_at__lte=now)
    out: dict[str, dict[str, int]] = {}
    for kind in EventKind.values:
        qs = Event.objects.filter(kind=kind, starts_at__year=year)
        regs = EventRegistration.objects.filter(event__kind=kind, event__starts_at__year=year)
        out[kind] = {
            "planned": qs.exclude(status=EventStatus.CANCELLED).count(),
            "held": qs.filter(held).count(),
            "registrations": regs.count(),
            "attendance": regs.filter(checked_in_at__isnull=False).count(),
        }
    return out


# --- 需求榜 ----------------------------------------------------------------------------------------------------------

def needs_public(*, field: str = "", q: str = "") -> QuerySet[Need]:
    qs = Need.objects.filter(status=NeedStatus.PUBLISHED).select_related("enterprise")
    if field:
        qs = qs.filter(field=field)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(description__icontains=q))
    return qs.annotate(application_count=Count("applications")).order_by("deadline", "-id")


def needs_for_enterprise(*, user: User) -> QuerySet[Need]:
    return (Need.objects.filter(enterprise_id__in=user.enterprise_ids()).select_related("enterprise")
            .annotate(application_count=Count("applications")).order_by("-created_at"))


def needs_for_review(*, user: User) -> QuerySet[Need]:
    if not in_department(user, *REVIEW_DEPARTMENTS):
        return Need.objects.none()
    return Need.objects.filter(status=NeedStatus.PENDING).select_related("enterprise").order_by("created_at")


def need_for(*, user: User, pk: int) -> Need:
    """Published needs are public; the owner enterprise and the reviewers see theirs in any state."""
    need = Need.objects.select_related("enterprise").filter(pk=pk).first()
    if need is None:
        raise NotFound("需求不存在。")
    if need.status == NeedStatus.PUBLISHED:
        return need
    if not user.is_authenticated:
        raise NotFound("需求不存在。")
    if need.enterprise_id in user.enterprise_ids():
        return need
    if in_department(user, *REVIEW_DEPARTMENTS):
        return need
    if NeedApplication.objects.filter(need=need, researcher__user=user).exists():
        return need
    raise _denied(user, "engagement.need", pk)


def applications_for_need(*, user: User, need: Need) -> QuerySet[NeedApplication]:
    """The enterprise sees all applications to its need; a researcher only their own."""
    qs = NeedApplication.objects.filter(need=need).select_related("researcher__user")
    if need.enterprise_id in user.enterprise_ids():
        return qs
    return qs.filter(researcher__user=user)


def application_for_enterprise(*, user: User, pk: int) -> NeedApplication:
    application = (NeedApplication.objects.select_related("need", "researcher__user")
                   .filter(pk=pk, need__enterprise_id__in=user.enterprise_ids()).first())
    if application is None:
        raise _denied(user, "engagement.needapplication", pk)
    return application


def researcher_of(*, user: User) -> ResearcherProfile | None:
    return ResearcherProfile.objects.filter(user=user).first()


def suggest_researchers(*, user: User, need: Need, limit: int = 5) -> list[tuple[Any, float, list[str]]]:
    """For the owner enterprise and reviewers: researchers whose expertise shares keywords with the need."""
    if need.enterprise_id not in user.enterprise_ids() and not in_department(user, *REVIEW_DEPARTMENTS):
        return []
    return matching.rank(need.keywords, ResearcherProfile.objects.select_related("user"), limit=limit)


def suggest_needs(*, researcher: ResearcherProfile, limit: int = 5) -> list[tuple[Any, float, list[str]]]:
    return matching.rank(researcher.keywords, needs_public().filter(deadline__gte=timezone.localdate()),
                         limit=limit)


def contracts_for(*, user: User) -> QuerySet[ExpertContract]:
    return (ExpertContract.objects.select_related("need__enterprise", "application__researcher__user")
            .filter(Q(need__enterprise_id__in=user.enterprise_ids()) | Q(application__researcher__user=user)))


def contract_for(*, user: User, pk: int) -> ExpertContract:
    contract = contracts_for(user=user).filter(pk=pk).first()
    if contract is None:
        raise _denied(user, "engagement.expertcontract", pk)
    return contract


# --- 万人助万企 ---------------------------------------------------------------------------------------------------------

def enterprises_for_official(*, user: User) -> QuerySet[Enterprise]:
    return Enterprise.objects.filter(visit_assignments__official=user).order_by("name")


def enterprise_for_official(*, user: User, pk: int) -> Enterprise:
    enterprise = enterprises_for_official(user=user).filter(pk=pk).first()
    if enterprise is None:
        raise _denied(user, "employers.enterprise", pk)
    return enterprise


def visit_plans_for(*, user: User, month: date | None = None) -> QuerySet[VisitPlan]:
    qs = VisitPlan.objects.filter(official=user).select_related("enterprise", "visit")
    return qs.filter(month=month.replace(day=1)) if month else qs


def visits_for(*, user: User) -> QuerySet[Visit]:
    """An official: visits to the enterprises assigned to them; an enterprise: visits to itself."""
    return (Visit.objects.select_related("enterprise", "official")
            .filter(Q(enterprise__visit_assignments__official=user) | Q(enterprise_id__in=user.enterprise_ids()))
            .distinct())


def can_open_problem_ledger(*, user: User) -> bool:
    """The ledger serves the departments' officials and the enterprises. Anyone else — a talent, the leadership, the
    auditor, a partner, the administrators — has no rows there and gets 404 like any page outside their role, not
    an empty ledger."""
    return has_capability(user, Capability.ENGAGEMENT_STAFF) or has_capability(user, Capability.EMPLOYER_CENTRE)


def problems_for(*, user: User, status: str = "") -> QuerySet[Problem]:
    """The owner department's staff, the officials assigned to the enterprise, the enterprise itself."""
    assigned = VisitAssignment.objects.filter(official=user).values("enterprise_id")
    qs = (Problem.objects.select_related("enterprise", "owner_department", "visit__official", "case")
          .filter(Q(owner_department_id__in=user.department_ids()) | Q(enterprise_id__in=assigned)
                  | Q(enterprise_id__in=user.enterprise_ids())))
    if status == "overdue":
        qs = qs.filter(status=ProblemStatus.OPEN, reply_due__lt=wd.today())
    elif status:
        qs = qs.filter(status=status)
    return qs


def problem_for(*, user: User, pk: int) -> Problem:
    problem = problems_for(user=user).filter(pk=pk).first()
    if problem is None:
        raise _denied(user, "engagement.problem", pk)
    return problem


def monthly_report(*, user: User, month: date) -> dict[str, Any]:
    """The month's visits and problems within the user's scope: an official's own; a department head's department
    (its officials' visits and the problems it owns)."""
    start = month.replace(day=1)
    end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    heads = user.department_ids("dept_head")
    if heads:
        officials = User.objects.filter(role_assignments__department_id__in=heads).values("pk")
        visits = Visit.objects.filter(official_id__in=officials)
        problems = Problem.objects.filter(Q(visit__official_id__in=officials) | Q(owner_department_id__in=heads))
    else:
        visits = Visit.objects.filter(official=user)
        problems = Problem.objects.filter(visit__official=user)
    visits = visits.filter(visited_on__gte=start, visited_on__lt=end).select_related("enterprise", "official")
    problems = problems.filter(raised_on__gte=start, raised_on__lt=end).select_related(
        "enterprise", "owner_department").distinct()
    plans = VisitPlan.objects.filter(month=start, official_id__in=visits.values("official_id"))
    summary = problems.aggregate(
        total=Count("pk"), closed=Count("pk", filter=Q(status=ProblemStatus.CLOSED)),
        replied_on_time=Count("pk", filter=Q(first_reply_at__isnull=False, first_reply_at__date__lte=F("reply_due"))),
        overdue=Count("pk", filter=Q(first_reply_at__isnull=True, reply_due__lt=wd.today())),
        talent=Count("pk", filter=Q(talent_related=True)), satisfaction=Avg("satisfaction"))
    return {"month": start, "visits": list(visits.order_by("visited_on")), "problems": list(problems.order_by("pk")),
            "plans": plans.count(), "visit_count": visits.count(), "enterprises": visits.values("enterprise").distinct().count(),
            **summary}
