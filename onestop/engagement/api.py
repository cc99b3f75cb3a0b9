"""The engagement part of the JSON API (/api/v1/engagement): events (public list, register, check in, counts for
the targets), the 需求榜 (public list, submit, apply), and the 万人助万企 ledger (log a visit, reply, resolve,
confirm). Same services as the pages; out of scope answers 404."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema
from ninja.responses import Status
from ninja.security import django_auth
from pydantic import Field

from onestop.core.models import User
from onestop.employers.selectors import primary_enterprise

from . import selectors
from .models import Event, Need, Problem
from .services import events, needs, visits

router = Router(tags=["engagement"], auth=django_auth)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


class EventOut(Schema):
    id: int
    kind: str
    title: str
    venue_kind: str
    location: str
    starts_at: datetime
    capacity: int
    registered_count: int
    status: str

    @staticmethod
    def of(e: Event) -> EventOut:
        return EventOut(id=e.pk, kind=e.kind, title=e.title, venue_kind=e.venue_kind, location=e.location,
                        starts_at=e.starts_at, capacity=e.capacity, registered_count=e.registered_count,
                        status=e.status)


class RegistrationOut(Schema):
    id: int
    event_id: int
    checked_in: bool


class CheckinIn(Schema):
    token: str


class NeedIn(Schema):
    title: str
    field: str
    description: str
    budget_fen: int
    deadline: date


class NeedOut(Schema):
    id: int
    enterprise: str
    title: str
    field: str
    budget_fen: int
    deadline: date
    status: str
    keywords: list[str]

    @staticmethod
    def of(n: Need) -> NeedOut:
        return NeedOut(id=n.pk, enterprise=n.enterprise.name, title=n.title, field=n.field, budget_fen=n.budget_fen,
                       deadline=n.deadline, status=n.status, keywords=list(n.keywords))


class ApplyIn(Schema):
    proposal: str
    quote_fen: int


class ProblemIn(Schema):
    title: str
    description: str
    owner_department: str = ""
    talent_related: bool = False


class VisitIn(Schema):
    enterprise_id: int
    visited_on: date
    participants: str
    explained: str
    needs_heard: str = ""
    problems: list[ProblemIn] = []


class ProblemOut(Schema):
    id: int
    reference: str
    enterprise: str
    title: str
    owner_department: str
    talent_related: bool
    status: str
    reply_due: date
    satisfaction: int | None
    case_id: int | None

    @staticmethod
    def of(p: Problem) -> ProblemOut:
        return ProblemOut(id=p.pk, reference=p.reference, enterprise=p.enterprise.name, title=p.title,
                          owner_department=p.owner_department.code, talent_related=p.talent_related,
                          status=p.status, reply_due=p.reply_due, satisfaction=p.satisfaction, case_id=p.case_id)


class VisitOut(Schema):
    id: int
    problems: list[ProblemOut]


class TextIn(Schema):
    text: str


class ConfirmIn(Schema):
    satisfied: bool
    satisfaction: int | None = None
    comment: str = ""


@router.get("/events", response=list[EventOut], auth=None, summary="活动 / Published events")
def event_list(request: HttpRequest, kind: str = "") -> list[EventOut]:
    return [EventOut.of(e) for e in selectors.events_public(kind=kind)[:100]]


@router.get("/events/counts", response=dict[str, dict[str, int]], summary="活动统计 / Event counts for the targets")
def event_counts(request: HttpRequest, year: Annotated[int, Field(ge=2000, le=2100)]) -> Any:
    return selectors.event_counts(year=year)


@router.post("/events/{event_id}/registrations", response={201: RegistrationOut}, summary="报名 / Register")
def event_register(request: HttpRequest, event_id: int) -> Status[RegistrationOut]:
    event = selectors.event_public(pk=event_id)
    reg = events.event_register(actor=_user(request), event=event)
    return Status(201, RegistrationOut(id=reg.pk, event_id=event.pk, checked_in=False))


@router.post("/checkin", response=RegistrationOut, summary="扫码签到 / Check in by QR token")
def checkin(request: HttpRequest, payload: CheckinIn) -> RegistrationOut:
    reg = events.event_checkin(actor=_user(request), token=payload.token)
    return RegistrationOut(id=reg.pk, event_id=reg.event_id, checked_in=True)


@router.get("/needs", response=list[NeedOut], auth=None, summary="需求榜 / Published needs")
def need_list(request: HttpRequest, field: str = "", q: str = "") -> list[NeedOut]:
    return [NeedOut.of(n) for n in selectors.needs_public(field=field, q=q[:50])[:100]]


@router.post("/needs", response={201: NeedOut}, summary="发布技术需求（待审核）/ Submit a need")
def need_submit(request: HttpRequest, payload: NeedIn) -> Status[NeedOut]:
    user = _user(request)
    need = needs.need_submit(actor=user, enterprise=primary_enterprise(user=user), **payload.dict())
    return Status(201, NeedOut.of(need))


@router.post("/needs/{need_id}/applications", response={201: dict[str, int]}, summary="揭榜 / Apply for a need")
def need_apply(request: HttpRequest, need_id: int, payload: ApplyIn) -> Status[dict[str, int]]:
    need = selectors.need_for(user=_user(request), pk=need_id)
    application = needs.need_apply(actor=_user(request), need=need, **payload.dict())
    return Status(201, {"id": application.pk})


@router.get("/problems", response=list[ProblemOut], summary="问题台账 / The problems I may see")
def problem_list(request: HttpRequest, status: str = "") -> list[ProblemOut]:
    user = _user(request)
    if not selectors.can_open_problem_ledger(user=user):
        raise Http404
    return [ProblemOut.of(p) for p in selectors.problems_for(user=user, status=status)[:200]]


@router.post("/visits", response={201: VisitOut}, summary="登记走访 / Log a visit with its problems")
def visit_log(request: HttpRequest, payload: VisitIn) -> Status[VisitOut]:
    user = _user(request)
    enterprise = selectors.enterprise_for_official(user=user, pk=payload.enterprise_id)
    visit = visits.visit_log(actor=user, enterprise=enterprise, visited_on=payload.visited_on,
                             participants=payload.participants, explained=payload.explained,
                             needs_heard=payload.needs_heard, problems=[p.dict() for p in payload.problems])
    return Status(201, VisitOut(id=visit.pk, problems=[ProblemOut.of(p) for p in visit.problems.all()]))


@router.post("/problems/{problem_id}/reply", response=ProblemOut, summary="答复或进展 / Reply")
def problem_reply(request: HttpRequest, problem_id: int, payload: TextIn) -> ProblemOut:
    problem = selectors.problem_for(user=_user(request), pk=problem_id)
    return ProblemOut.of(visits.problem_reply(actor=_user(request), problem=problem, text=payload.text))


@router.post("/problems/{problem_id}/resolve", response=ProblemOut, summary="办结 / Resolve")
def problem_resolve(request: HttpRequest, problem_id: int, payload: TextIn) -> ProblemOut:
    problem = selectors.problem_for(user=_user(request), pk=problem_id)
    return ProblemOut.of(visits.problem_resolve(actor=_user(request), problem=problem, text=payload.text))


@router.post("/problems/{problem_id}/confirm", response=ProblemOut, summary="企业确认销号 / Confirm close-off")
def problem_confirm(request: HttpRequest, problem_id: int, payload: ConfirmIn) -> ProblemOut:
    problem = selectors.problem_for(user=_user(request), pk=problem_id)
    return ProblemOut.of(visits.problem_confirm(actor=_user(request), problem=problem, **payload.dict()))
