"""Gifted housing for certified talents: entitlement, assignment, delivery."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.choices import NotificationChannel
from onestop.core.exceptions import Conflict
from onestop.core.models import User
from onestop.core.notifications import notification_send
from onestop.core.services import FieldErrors
from onestop.workflow import calendar as wd

from .. import rules
from ..choices import (
    ACTIVE_GIFT_STATES,
    GiftStatus,
    ProjectKind,
    RuleSetKind,
    UnitStatus,
)
from ..errors import TransitionNotAllowed
from ..models import (
    GiftedEntitlement,
    Unit,
)
from .common import _require_staff, _transition

# --- gifted housing --------------------------------------------------------------------------------------------------

def gift_entitle(*, holder: User, certificate_number: str, medical_class: str,
                 today: date | None = None) -> GiftedEntitlement | None:
    """Create the entitlement of a medical-science-city certificate; the area comes from the gifted rule set.
    Idempotent per certificate. An unassigned entitlement of an earlier certificate is replaced."""
    day = today or wd.today()
    rule_set = rules.active(RuleSetKind.GIFTED)
    result = rules.evaluate(rule_set, {"medical_class": medical_class}, as_of=day)
    outcome = result[rule_set.ranking["area_rule"]]
    if not outcome.eligible or not outcome.points:
        return None
    with transaction.atomic():
        GiftedEntitlement.objects.filter(holder=holder, status=GiftStatus.ENTITLED).exclude(
            certificate_number=certificate_number).update(status=GiftStatus.CANCELLED,
                                                          note=_("新的认定证书已取代。"))
        gift, created = GiftedEntitlement.objects.get_or_create(
            certificate_number=certificate_number,
            defaults={"holder": holder, "medical_class": medical_class, "max_area_m2": int(outcome.points)})
        if created:
            audit_record(action="housing.gift.entitle", obj=gift,
                         after={"class": medical_class, "max_area_m2": gift.max_area_m2})
            notification_send(recipient=holder, title=_("您已获得人才住房待遇"),
                              body=_("%(c)s人才，住房面积不超过 %(a)d ㎡，住房部门将为您分配房源。") % {
                                  "c": medical_class, "a": gift.max_area_m2},
                              link=reverse("housing:home"))
    return gift


def gift_assign(*, gift: GiftedEntitlement, unit: Unit, actor: User) -> GiftedEntitlement:
    _require_staff(actor, action="housing.gift.assign", obj=gift)
    errors = FieldErrors()
    if unit.building.project.kind != ProjectKind.GIFTED:
        errors.add("unit", _("房源：请选择人才住房项目的房源。"))
    if unit.area_m2 > gift.max_area_m2:
        errors.add("unit", _("房源：面积 %(a)s ㎡ 超过上限 %(m)d ㎡。") % {"a": unit.area_m2, "m": gift.max_area_m2})
    if unit.status != UnitStatus.VACANT:
        errors.add("unit", _("房源：该房源不是空闲状态。"))
    errors.raise_if_any()
    try:
        with transaction.atomic():
            _transition(GiftedEntitlement, gift.pk, sources=(GiftStatus.ENTITLED,), status=GiftStatus.ASSIGNED,
                        unit=unit, assigned_at=timezone.now())
            if Unit.objects.filter(pk=unit.pk, status=UnitStatus.VACANT).update(status=UnitStatus.RESERVED) != 1:
                raise TransitionNotAllowed(_("房源状态已变化，请重新选择。"))
            audit_record(action="housing.gift.assign", actor=actor, obj=gift, after={"unit": unit.code})
    except IntegrityError:
        raise Conflict(_("该房源已分配给其他人才。"), field_errors={"unit": [_("房源：已分配给其他人才。")]})
    gift.refresh_from_db()
    notification_send(recipient=gift.holder, title=_("人才住房已分配房源：%(u)s") % {"u": unit.code},
                      body=_("%(a)s ㎡，%(l)s。") % {"a": unit.area_m2, "l": unit.get_layout_display()},
                      link=reverse("housing:home"), channels=(NotificationChannel.SMS,))
    return gift


def gift_deliver(*, gift: GiftedEntitlement, actor: User, delivered_on: date) -> GiftedEntitlement:
    _require_staff(actor, action="housing.gift.deliver", obj=gift)
    with transaction.atomic():
        _transition(GiftedEntitlement, gift.pk, sources=(GiftStatus.ASSIGNED,), status=GiftStatus.DELIVERED,
                    delivered_on=delivered_on)
        Unit.objects.filter(pk=gift.unit_id or 0).update(status=UnitStatus.OCCUPIED)
        audit_record(action="housing.gift.deliver", actor=actor, obj=gift,
                     after={"delivered_on": delivered_on.isoformat()})
    gift.refresh_from_db()
    notification_send(recipient=gift.holder, title=_("人才住房已交付"),
                      body=_("房源 %(u)s 已于 %(d)s 交付。") % {"u": gift.unit.code if gift.unit else "",
                                                          "d": delivered_on.isoformat()},
                      link=reverse("housing:home"))
    return gift


def gifts_flag_for_revocation(*, certificate_number: str, reason: str) -> int:
    return GiftedEntitlement.objects.filter(certificate_number=certificate_number,
                                            status__in=ACTIVE_GIFT_STATES).exclude(
        status=GiftStatus.REVIEW).update(status=GiftStatus.REVIEW, note=_("人才认定已撤销：%(r)s") % {"r": reason})
