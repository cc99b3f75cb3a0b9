"""Housing in the JSON API (/api/v1/housing): warm-station stays (book, list, cancel; the desk decides and checks
in/out by the booking's QR token), apartment rounds (apply, published files, results), offers (accept/decline) and
leases. Session auth + CSRF; problems are ``{"code", "message", "errors"}`` with 404/409/422."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from ninja.responses import Status
from ninja.security import django_auth

from onestop.core.models import User
from onestop.core.permissions import Capability, has_capability

from . import selectors, services
from .models import Lease, Offer, StayBooking

router = Router(tags=["housing"], auth=django_auth)


def _user(request: HttpRequest, capability: Capability) -> User:
    user = request.user
    if not isinstance(user, User) or not has_capability(user, capability):
        raise Http404
    return user


class Problem(Schema):
    code: str
    message: str
    errors: dict[str, list[str]]


class StationOut(Schema):
    id: int
    code: str
    name: str
    address: str
    bed_count: int


class StayIn(Schema):
    station: str = Field(..., description="驿站代码 / station code")
    check_in: date
    nights: int = Field(..., ge=1, le=31)
    purpose: str = Field("", max_length=200)


class StayOut(Schema):
    id: int
    reference: str
    station: str
    address: str
    bed: str
    check_in: date
    check_out: date
    nights: int
    status: str
    status_label: str
    decision_due: date
    reason: str


def _stay(b: StayBooking) -> StayOut:
    return StayOut(id=b.pk, reference=b.reference, station=b.station.name, address=b.station.address, bed=str(b.bed),
                   check_in=b.check_in, check_out=b.check_out, nights=b.nights, status=b.status,
                   status_label=str(b.get_status_display()), decision_due=b.decision_due, reason=b.reason)


@router.get("/stations", response=list[StationOut], summary="暖心驿站 / Warm stations")
def stations(request: HttpRequest) -> list[StationOut]:
    _user(request, Capability.TALENT_CENTRE)
    return [StationOut(id=s.pk, code=s.code, name=s.name, address=s.address, bed_count=s.bed_count)  # type: ignore[attr-defined]
            for s in selectors.stations_open()]


@router.get("/stays", response=list[StayOut], summary="我的驿站预订 / My stays")
def stays(request: HttpRequest) -> list[StayOut]:
    user = _user(request, Capability.TALENT_CENTRE)
    return [_stay(b) for b in selectors.stays_for(user=user)[:100]]


@router.post("/stays", response={201: StayOut, 404: Problem, 409: Problem, 422: Problem},
             summary="预订暖心驿站 / Book a warm-station stay")
def stay_book(request: HttpRequest, payload: StayIn) -> Status[StayOut]:
    user = _user(request, Capability.TALENT_CENTRE)
    station = selectors.stations_open().filter(code=payload.station).first()
    if station is None:
        raise Http404
    booking = services.stay_book(guest=user, station=station, check_in=payload.check_in, nights=payload.nights,
                                 purpose=payload.purpose)
    return Status(201, _stay(booking))


@router.post("/stays/{stay_id}/cancel", response={200: StayOut, 404: Problem, 409: Problem},
             summary="取消预订 / Cancel a stay")
def stay_cancel(request: HttpRequest, stay_id: int) -> StayOut:
    user = _user(request, Capability.TALENT_CENTRE)
    booking = selectors.stay_for(user=user, pk=stay_id)
    return _stay(services.stay_cancel(booking=booking, actor=user))


class DecisionIn(Schema):
    approve: bool
    reason: str = Field("", max_length=500)


@router.post("/desk/stays/{stay_id}/decision", response={200: StayOut, 404: Problem, 409: Problem, 422: Problem},
             summary="答复驿站预订（住房部门）/ Decide a stay (housing staff)")
def stay_decide(request: HttpRequest, stay_id: int, payload: DecisionIn) -> StayOut:
    user = _user(request, Capability.HOUSING_DESK)
    booking = selectors.stay_for_staff(user=user, pk=stay_id)
    return _stay(services.stay_decide(booking=booking, actor=user, approve=payload.approve, reason=payload.reason))


class ScanIn(Schema):
    token: str = Field(..., max_length=64)
    action: str = Field(..., pattern="^(check_in|check_out)$")


@router.post("/desk/scan", response={200: StayOut, 404: Problem, 409: Problem, 422: Problem},
             summary="扫码入住/退房（住房部门）/ Check in or out by QR (housing staff)")
def scan(request: HttpRequest, payload: ScanIn) -> StayOut:
    user = _user(request, Capability.HOUSING_DESK)
    booking = services.stay_by_token(actor=user, token=payload.token)
    if payload.action == "check_in":
        return _stay(services.stay_check_in(booking=booking, actor=user))
    return _stay(services.stay_check_out(booking=booking, actor=user))


class RoundOut(Schema):
    code: str
    title: str
    opens_on: date
    closes_on: date
    status: str
    units: int
    seed_sha256: str
    files: list[str]


@router.get("/rounds", response=list[RoundOut], auth=None, summary="配租批次（公开）/ Allocation rounds (public)")
def rounds(request: HttpRequest) -> list[RoundOut]:
    return [RoundOut(code=r.code, title=r.title, opens_on=r.opens_on, closes_on=r.closes_on, status=r.status,
                     units=r.unit_count, seed_sha256=r.seed_sha256,  # type: ignore[attr-defined]
                     files=list(r.publications.values_list("name", flat=True)))
            for r in selectors.rounds_public()]


@router.get("/rounds/{code}/files/{name}", auth=None, response={200: None, 404: Problem},
            summary="批次公示文件（逐字节）/ A published file of a round, byte for byte")
def round_file(request: HttpRequest, code: str, name: str) -> HttpResponse:
    pub = selectors.publication_of(rnd=selectors.round_public(code=code), name=name)
    response = HttpResponse(pub.content.encode("utf-8"), content_type="application/octet-stream")
    response["X-Content-SHA256"] = pub.sha256
    return response


class ResultRow(Schema):
    position: int
    code: str
    name: str
    group: str
    rank: int
    unit: str | None


@router.get("/rounds/{code}/results", auth=None, response={200: list[ResultRow], 404: Problem},
            summary="摇号结果（姓名脱敏）/ Lottery results (masked names)")
def round_results(request: HttpRequest, code: str) -> list[ResultRow]:
    rnd = selectors.round_public(code=code)
    return [ResultRow(**{k: row[k] for k in ("position", "code", "name", "group", "rank", "unit")})
            for row in selectors.round_results(rnd=rnd)]


class ApplyIn(Schema):
    preferences: list[str] = Field(..., min_length=1, max_length=5)


class ApplicationOut(Schema):
    code: str
    round: str
    status: str
    status_label: str
    preferences: list[str]
    group: str
    points: int
    rank: int | None
    position: int | None
    applied_at: datetime


def _application(a: Any) -> ApplicationOut:
    return ApplicationOut(code=a.code, round=a.round.code, status=a.status, status_label=str(a.get_status_display()),
                          preferences=a.preferences, group=a.group_label, points=a.points, rank=a.rank,
                          position=a.position, applied_at=a.applied_at)


@router.post("/rounds/{code}/applications", response={201: ApplicationOut, 404: Problem, 409: Problem,
                                                       422: Problem},
             summary="申请人才公寓 / Apply in a round")
def apply(request: HttpRequest, code: str, payload: ApplyIn) -> Status[ApplicationOut]:
    user = _user(request, Capability.TALENT_CENTRE)
    rnd = selectors.round_public(code=code)
    return Status(201, _application(services.application_submit(rnd=rnd, applicant=user,
                                                                 preferences=payload.preferences)))


@router.get("/applications", response=list[ApplicationOut], summary="我的公寓申请 / My applications")
def applications(request: HttpRequest) -> list[ApplicationOut]:
    user = _user(request, Capability.TALENT_CENTRE)
    return [_application(a) for a in selectors.applications_for(user=user)]


class OfferOut(Schema):
    id: int
    unit: str
    layout: str
    area_m2: str
    payable_rent_fen: int
    deadline: date
    status: str


def _offer(o: Offer) -> OfferOut:
    return OfferOut(id=o.pk, unit=o.unit.code, layout=o.unit.layout, area_m2=str(o.unit.area_m2),
                    payable_rent_fen=o.unit.payable_rent_fen, deadline=o.deadline, status=o.status)


@router.get("/offers", response=list[OfferOut], summary="我的配租通知 / My offers")
def offers(request: HttpRequest) -> list[OfferOut]:
    user = _user(request, Capability.TALENT_CENTRE)
    return [_offer(o) for o in selectors.offers_for(user=user)]


class LeaseOut(Schema):
    id: int
    reference: str
    unit: str
    start_date: date
    end_date: date
    monthly_rent_fen: int
    discount_percent: int
    payable_rent_fen: int
    deposit_fen: int
    status: str
    renewals: int
    review_flag: bool


def _lease(lease: Lease) -> LeaseOut:
    return LeaseOut(id=lease.pk, reference=lease.reference, unit=lease.unit.code, start_date=lease.start_date,
                    end_date=lease.end_date, monthly_rent_fen=lease.monthly_rent_fen,
                    discount_percent=lease.discount_percent, payable_rent_fen=lease.payable_rent_fen,
                    deposit_fen=lease.deposit_fen, status=lease.status, renewals=lease.renewals,
                    review_flag=lease.review_flag)


@router.post("/offers/{offer_id}/accept", response={201: LeaseOut, 404: Problem, 409: Problem},
             summary="接受配租 / Accept an offer")
def offer_accept(request: HttpRequest, offer_id: int) -> Status[LeaseOut]:
    user = _user(request, Capability.TALENT_CENTRE)
    return Status(201, _lease(services.offer_accept(offer=selectors.offer_for(user=user, pk=offer_id), actor=user)))


@router.post("/offers/{offer_id}/decline", response={200: OfferOut, 404: Problem, 409: Problem},
             summary="放弃配租 / Decline an offer")
def offer_decline(request: HttpRequest, offer_id: int) -> OfferOut:
    user = _user(request, Capability.TALENT_CENTRE)
    return _offer(services.offer_decline(offer=selectors.offer_for(user=user, pk=offer_id), actor=user))


@router.get("/leases", response=list[LeaseOut], summary="我的租赁合同 / My leases")
def leases(request: HttpRequest) -> list[LeaseOut]:
    user = _user(request, Capability.TALENT_CENTRE)
    return [_lease(x) for x in selectors.leases_for(user=user)]


@router.post("/desk/rounds/{code}/publish", response={200: RoundOut, 404: Problem, 409: Problem},
             summary="排序公示（住房部门）/ Rank and publish (housing staff)")
def round_publish(request: HttpRequest, code: str) -> RoundOut:
    user = _user(request, Capability.HOUSING_DESK)
    rnd = services.round_publish(rnd=selectors.round_for(user=user, code=code), actor=user)
    return _round(rnd)


@router.post("/desk/rounds/{code}/draw", response={200: RoundOut, 404: Problem, 409: Problem},
             summary="摇号（住房部门）/ Draw (housing staff)")
def round_draw(request: HttpRequest, code: str) -> RoundOut:
    user = _user(request, Capability.HOUSING_DESK)
    rnd = services.round_draw(rnd=selectors.round_for(user=user, code=code), actor=user)
    return _round(rnd)


def _round(rnd: Any) -> RoundOut:
    return RoundOut(code=rnd.code, title=rnd.title, opens_on=rnd.opens_on, closes_on=rnd.closes_on, status=rnd.status,
                    units=rnd.round_units.count(), seed_sha256=rnd.seed_sha256,
                    files=list(rnd.publications.values_list("name", flat=True)))
