"""The green card part of the JSON API (/api/v1/greencards): verification for partner checkers, the holder's card,
scan log and entitlement requests. The public key set and the revocation list are plain documents under
``/.well-known/greencard/`` (views.py), not API calls."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from ninja.responses import Status
from ninja.security import django_auth

from onestop.core.context import client_ip
from onestop.core.exceptions import NotFound
from onestop.core.models import User
from onestop.core.permissions import Capability, has_capability

from . import selectors, services
from .choices import CardClass, CardStatus, RequestStatus, VerifyReason
from .models import EntitlementRequest, GreenCard, Verification

router = Router(tags=["greencards"], auth=django_auth)


def _user(request: HttpRequest, capability: Capability) -> User:
    user = request.user
    if not isinstance(user, User) or not has_capability(user, capability):
        raise Http404
    return user


class Problem(Schema):
    code: str
    message: str
    errors: dict[str, list[str]]


class VerifyIn(Schema):
    token: str = Field(..., max_length=600)
    partner: str = ""
    channel: str = "api"


class PartnerOut(Schema):
    code: str
    name: str
    kind: str


class VerifyOut(Schema):
    result: str
    reason: str
    message: str
    verification_id: int
    checked_at: datetime
    partner: PartnerOut
    card: dict[str, Any] | None = Field(None, description="只含本机构服务所需的字段 / only this partner's fields")


@router.post("/verify", response={200: VerifyOut, 404: Problem, 422: Problem, 429: Problem},
             summary="核验人才绿卡 / Verify a green card (partner checkers)")
def verify(request: HttpRequest, payload: VerifyIn) -> Any:
    user = _user(request, Capability.GREENCARD_VERIFY)
    try:
        outcome = services.card_verify(token=payload.token, checker=user, channel=payload.channel,
                                       partner_code=payload.partner, source_ip=client_ip(request))
    except services.RateLimited as exc:
        from config.api import api

        response: HttpResponse = api.create_response(request, exc.as_problem(), status=429)
        response["Retry-After"] = "60"
        return response
    v = outcome.verification
    return VerifyOut(result=v.result, reason=v.reason, message=outcome.message, verification_id=v.pk,
                     checked_at=v.checked_at,
                     partner=PartnerOut(code=outcome.partner.code, name=outcome.partner.name, kind=outcome.partner.kind),
                     card=outcome.fields if outcome.valid else None)


class CardOut(Schema):
    card_id: str
    card_class: str
    card_class_label: str
    status: str
    status_label: str
    valid_from: date
    valid_until: date
    token: str
    entitlements: list[str]


@router.get("/card", response={200: CardOut, 404: Problem}, summary="我的人才绿卡 / My green card")
def my_card(request: HttpRequest) -> CardOut:
    user = _user(request, Capability.TALENT_CENTRE)
    card = selectors.current_card_for(user=user)
    if card is None:
        raise Http404
    return CardOut(card_id=card.card_id, card_class=card.card_class,
                   card_class_label=str(CardClass(card.card_class).label), status=card.status,
                   status_label=str(CardStatus(card.status).label), valid_from=card.valid_from,
                   valid_until=card.valid_until, token=card.token,
                   entitlements=[e.code for e in selectors.entitlements_for_card(card=card)])


class ScanOut(Schema):
    checked_at: datetime
    partner: str
    partner_kind: str
    result: str
    reason: str
    message: str

    @staticmethod
    def of(v: Verification) -> ScanOut:
        return ScanOut(checked_at=v.checked_at, partner=v.partner.name, partner_kind=v.partner.kind, result=v.result,
                       reason=v.reason, message=str(VerifyReason(v.reason).label))


@router.get("/card/scans", response=list[ScanOut], summary="谁核验了我的绿卡 / Who checked my card")
def my_scans(request: HttpRequest) -> list[ScanOut]:
    user = _user(request, Capability.TALENT_CENTRE)
    return [ScanOut.of(v) for v in selectors.verifications_for_holder(user=user)]


class ReissueIn(Schema):
    reason: str


@router.post("/card/reissue", response={201: CardOut, 404: Problem, 409: Problem, 422: Problem},
             summary="挂失补办 / Report loss and reissue")
def reissue(request: HttpRequest, payload: ReissueIn) -> Status[CardOut]:
    user = _user(request, Capability.TALENT_CENTRE)
    card = selectors.current_card_for(user=user)
    if card is None:
        raise Http404
    services.card_reissue(card=card, reason=payload.reason, actor=user)
    return Status(201, my_card(request))


class RequestIn(Schema):
    entitlement: str
    detail: str = ""


class RequestOut(Schema):
    id: int
    reference: str
    entitlement: str
    entitlement_name: str
    status: str
    status_label: str
    created_at: datetime
    closed_at: datetime | None
    rating: int | None
    case_id: int | None
    timeline: dict[str, Any] | None = None

    @staticmethod
    def of(item: EntitlementRequest, *, with_timeline: bool = False, viewer: User | None = None) -> RequestOut:
        case = services.request_case(item)
        timeline = None
        if with_timeline and case is not None and viewer is not None:
            from onestop.workflow.selectors import case_timeline

            timeline = case_timeline(case=case, viewer=viewer).as_dict()
        return RequestOut(id=item.pk, reference=item.reference, entitlement=item.entitlement.code,
                          entitlement_name=item.entitlement.name, status=item.status,
                          status_label=str(RequestStatus(item.status).label), created_at=item.created_at,
                          closed_at=item.closed_at, rating=item.rating, case_id=case.pk if case else None,
                          timeline=timeline)


@router.get("/requests", response=list[RequestOut], summary="我的绿卡服务申请 / My entitlement requests")
def my_requests(request: HttpRequest) -> list[RequestOut]:
    user = _user(request, Capability.TALENT_CENTRE)
    return [RequestOut.of(r) for r in selectors.requests_for(user=user)[:100]]


@router.post("/requests", response={201: RequestOut, 404: Problem, 409: Problem, 422: Problem},
             summary="申请绿卡服务 / Request an entitlement")
def request_submit(request: HttpRequest, payload: RequestIn) -> Status[RequestOut]:
    user = _user(request, Capability.TALENT_CENTRE)
    item = services.entitlement_request_submit(holder=user, entitlement_code=payload.entitlement,
                                               detail=payload.detail)
    return Status(201, RequestOut.of(item))


def _request(user: User, pk: int) -> EntitlementRequest:
    try:
        return selectors.request_for(user=user, request_id=pk)
    except NotFound:
        raise Http404


@router.get("/requests/{pk}", response={200: RequestOut, 404: Problem}, summary="申请进度 / Progress")
def request_detail(request: HttpRequest, pk: int) -> RequestOut:
    user = _user(request, Capability.TALENT_CENTRE)
    return RequestOut.of(_request(user, pk), with_timeline=True, viewer=user)


class MaterialIn(Schema):
    message: str


@router.post("/requests/{pk}/material", response={200: RequestOut, 404: Problem, 409: Problem, 422: Problem},
             summary="补充材料 / Add material")
def request_material(request: HttpRequest, pk: int, payload: MaterialIn) -> RequestOut:
    user = _user(request, Capability.TALENT_CENTRE)
    item = services.entitlement_request_add_material(request=_request(user, pk), holder=user, message=payload.message)
    return RequestOut.of(item, with_timeline=True, viewer=user)


class RatingIn(Schema):
    rating: int
    comment: str = ""


@router.post("/requests/{pk}/rating", response={200: RequestOut, 404: Problem, 409: Problem, 422: Problem},
             summary="服务评价 / Rate the service")
def request_rating(request: HttpRequest, pk: int, payload: RatingIn) -> RequestOut:
    user = _user(request, Capability.TALENT_CENTRE)
    item = services.entitlement_request_rate(request=_request(user, pk), holder=user, rating=payload.rating,
                                             comment=payload.comment)
    return RequestOut.of(item)


# --- the talent office: suspend and reinstate a card ----------------------------------------------------------------

class CardStatusIn(Schema):
    reason: str = Field(..., max_length=500)


class ManagedCardOut(Schema):
    id: int
    card_id: str
    card_class: str
    status: str
    status_label: str
    status_reason: str
    valid_from: date
    valid_until: date

    @staticmethod
    def of(card: GreenCard) -> ManagedCardOut:
        return ManagedCardOut(id=card.pk, card_id=card.card_id, card_class=card.card_class, status=card.status,
                              status_label=str(CardStatus(card.status).label), status_reason=card.status_reason,
                              valid_from=card.valid_from, valid_until=card.valid_until)


def _managed(user: User, pk: int) -> GreenCard:
    try:
        return selectors.card_for_manager(user=user, pk=pk)
    except NotFound:
        raise Http404


@router.post("/cards/{pk}/suspend", response={200: ManagedCardOut, 404: Problem, 409: Problem, 422: Problem},
             summary="暂停绿卡（人才办） / Suspend a card (talent office)")
def card_suspend(request: HttpRequest, pk: int, payload: CardStatusIn) -> ManagedCardOut:
    user = _user(request, Capability.GREENCARD_MANAGE)
    card = services.card_suspend(card=_managed(user, pk), reason=payload.reason, actor=user)
    card.refresh_from_db()
    return ManagedCardOut.of(card)


@router.post("/cards/{pk}/reinstate", response={200: ManagedCardOut, 404: Problem, 409: Problem, 422: Problem},
             summary="恢复绿卡（人才办） / Reinstate a suspended card (talent office)")
def card_reinstate(request: HttpRequest, pk: int, payload: CardStatusIn) -> ManagedCardOut:
    user = _user(request, Capability.GREENCARD_MANAGE)
    card = services.card_reinstate(card=_managed(user, pk), reason=payload.reason, actor=user)
    card.refresh_from_db()
    return ManagedCardOut.of(card)
