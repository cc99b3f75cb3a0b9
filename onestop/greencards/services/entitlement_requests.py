"""Entitlement requests on the generic workflow: submit, add material, take the case's outcome, rate."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.exceptions import Conflict, NotFound
from onestop.core.models import User
from onestop.core.notifications import notification_send
from onestop.core.services import FieldErrors

from .. import events
from ..choices import CardStatus, RequestStatus
from ..models import ClassEntitlement, Entitlement, EntitlementRequest, GreenCard
from .common import GREENCARD_DEFINITION, TransitionNotAllowed

# --- entitlement requests (on the generic workflow) ------------------------------------------------------------------

def entitlement_request_submit(*, holder: User, entitlement_code: str, detail: str = "",
                               is_demo: bool = False) -> EntitlementRequest:
    """The holder asks to use an entitlement of their card; the request runs as a ``greencard_service`` case whose
    definition names the owning department and the deadline in working days (escalated when overdue)."""
    from onestop.workflow.services import case_start

    card = GreenCard.objects.filter(holder=holder, status=CardStatus.ACTIVE).first()
    if card is None:
        raise NotFound(_("您没有有效的人才绿卡。"))
    errors = FieldErrors()
    entitlement = Entitlement.objects.filter(code=entitlement_code, is_active=True).first()
    if entitlement is None or not ClassEntitlement.objects.filter(card_class=card.card_class,
                                                                  entitlement=entitlement).exists():
        errors.add("entitlement", _("服务权益：您的绿卡类别不含此项服务。"))
    detail = (detail or "").strip()
    if len(detail) > 2000:
        errors.add("detail", _("需求说明：不能超过 2000 个字符。"))
    errors.raise_if_any()
    assert entitlement is not None
    profile = getattr(holder, "talent_profile", None)
    context = {"entitlement": entitlement.code, "card_class": card.card_class,
               "nationality": (profile.nationality if profile is not None else "") or "中国"}
    with transaction.atomic():
        try:
            with transaction.atomic():
                request = EntitlementRequest.objects.create(card=card, holder=holder, entitlement=entitlement,
                                                            detail=detail, is_demo=is_demo)
        except IntegrityError:
            raise Conflict(_("该项服务已有办理中的申请，请勿重复提交。"))
        audit_record(action=events.REQUEST_SUBMIT, actor=holder, obj=request,
                     after={"entitlement": entitlement.code, "card": card.card_id})
        case_start(definition_code=GREENCARD_DEFINITION, subject=request, applicant=holder,
                   title=_("人才绿卡·%(name)s") % {"name": entitlement.name}, context=context, actor=holder)
    return request


def request_case(request: EntitlementRequest) -> Any:
    from django.contrib.contenttypes.models import ContentType

    from onestop.workflow.models import Case

    return (Case.objects.filter(subject_type=ContentType.objects.get_for_model(EntitlementRequest),
                                subject_id=request.pk).select_related("definition").order_by("-created_at").first())


def entitlement_request_add_material(*, request: EntitlementRequest, holder: User, message: str) -> EntitlementRequest:
    """The holder answers a department's request for more material: the paused deadline resumes (workflow)."""
    from onestop.workflow.services import case_provide_info

    if request.holder_id != holder.pk:
        raise NotFound(_("申请不存在，或您无权访问。"))
    case = request_case(request)
    if case is None:
        raise NotFound(_("申请不存在，或您无权访问。"))
    with transaction.atomic():
        case_provide_info(case=case, actor=holder, message=message)
        audit_record(action=events.REQUEST_MATERIAL, actor=holder, obj=request, after={"case": case.pk})
    return request


def request_record_outcome(*, case: Any, outcome: str, actor: User | None) -> None:
    """Workflow outcome handler (registered in apps.py): the request takes the case's outcome."""
    status = outcome if outcome in RequestStatus.values else RequestStatus.CANCELLED
    changed = EntitlementRequest.objects.filter(pk=case.subject_id, status=RequestStatus.OPEN).update(
        status=status, closed_at=timezone.now())
    if changed == 1:
        audit_record(action=events.REQUEST_CLOSE, actor=actor, object_type="greencards.entitlementrequest",
                     object_id=str(case.subject_id), before={"status": RequestStatus.OPEN}, after={"status": status})
        transaction.on_commit(partial(_ask_rating, case.subject_id))


def _ask_rating(request_id: int) -> None:
    request = EntitlementRequest.objects.select_related("holder", "entitlement").get(pk=request_id)
    notification_send(recipient=request.holder,
                      title=_("请为“%(name)s”服务评价") % {"name": request.entitlement.name},
                      body=_("您的申请已办结，欢迎对办理服务作出评价。"),
                      link=reverse("greencards:request_detail", kwargs={"pk": request.pk}))


def entitlement_request_rate(*, request: EntitlementRequest, holder: User, rating: int,
                             comment: str = "") -> EntitlementRequest:
    """After the case closes the holder rates the service once (1–5). Satisfaction feeds the dashboard selectors."""
    if request.holder_id != holder.pk:
        raise NotFound(_("申请不存在，或您无权访问。"))
    errors = FieldErrors()
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        errors.add("rating", _("满意度：请选择 1–5 星。"))
    comment = (comment or "").strip()
    if len(comment) > 500:
        errors.add("comment", _("评价：不能超过 500 个字符。"))
    errors.raise_if_any()
    with transaction.atomic():
        changed = EntitlementRequest.objects.filter(pk=request.pk, rating__isnull=True).exclude(
            status=RequestStatus.OPEN).update(rating=rating, rating_comment=comment, rated_at=timezone.now())
        if changed != 1:
            request.refresh_from_db()
            if request.status == RequestStatus.OPEN:
                raise TransitionNotAllowed(_("申请办结后才能评价。"))
            raise TransitionNotAllowed(_("您已评价过此项服务。"))
        audit_record(action=events.REQUEST_RATE, actor=holder, obj=request, after={"rating": rating})
    request.refresh_from_db()
    return request
