"""Every write of housing. Each service validates, checks who may do it, changes the data in ``transaction.atomic()``
and writes the audit entry. Status changes are conditional ``UPDATE … WHERE status = <from>`` with a row-count check;
the no-double-booking and one-apartment guarantees are the database's unique constraints (models.py).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, transaction
from django.db.models import F, Min
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.choices import AuditResult, NotificationChannel
from onestop.core.exceptions import Conflict, NotFound, ValidationFailed
from onestop.core.models import User
from onestop.core.notifications import notification_send
from onestop.core.services import FieldErrors
from onestop.workflow import calendar as wd

from . import lottery, ranking, rules
from .choices import (
    ACTIVE_GIFT_STATES,
    ApplicationStatus,
    GiftStatus,
    Layout,
    LeaseStatus,
    OfferStatus,
    ProjectKind,
    RoundStatus,
    RuleSetKind,
    StayStatus,
    UnitStatus,
)
from .errors import BedUnavailable, NotEligible, TransitionNotAllowed
from .models import (
    AllocationRound,
    Application,
    Bed,
    BedNight,
    Building,
    GiftedEntitlement,
    Lease,
    Offer,
    Project,
    Publication,
    Room,
    RoundUnit,
    StayAllowance,
    StayBooking,
    Unit,
    WarmStation,
    payable_rent,
)
from .permissions import housing_staff_users, is_housing_staff


def _require_staff(actor: User, *, action: str, obj: Any = None) -> None:
    """Housing staff only; anyone else is told the thing does not exist (and the attempt is audited)."""
    if not is_housing_staff(actor):
        audit_record(action=action, actor=actor if actor.is_authenticated else None, obj=obj,
                     object_type="" if obj is not None else "housing", result=AuditResult.DENIED)
        raise NotFound(_("记录不存在，或您无权操作。"))


def _transition(model: Any, pk: int, *, field: str = "status", sources: tuple[str, ...], **changes: Any) -> None:
    if model.objects.filter(pk=pk, **{f"{field}__in": [str(s) for s in sources]}).update(**changes) != 1:
        raise TransitionNotAllowed(_("状态已变化，请刷新页面后重试。"))


# --- inventory -------------------------------------------------------------------------------------------------------

def project_save(*, actor: User, code: str, name: str, kind: str, address: str) -> Project:
    _require_staff(actor, action="housing.project.save")
    errors = FieldErrors()
    if not code.strip():
        errors.add("code", _("项目代码：请填写。"))
    if kind not in ProjectKind.values:
        errors.add("kind", _("类型：请选择有效的选项。"))
    errors.raise_if_any()
    with transaction.atomic():
        project, created = Project.objects.update_or_create(
            code=code.strip(), defaults={"name": name.strip(), "kind": kind, "address": address.strip()})
        audit_record(action="housing.project.save", actor=actor, obj=project,
                     after={"created": created, "name": project.name, "kind": kind})
    return project


def unit_code(project_code: str, building: str, number: str) -> str:
    return f"{project_code}-{building}-{number}"


def _unit_errors(errors: FieldErrors, *, floor: Any, area_m2: Any, layout: str, monthly_rent_fen: Any,
                 discount_percent: Any, status: str, prefix: str = "") -> None:
    if layout not in Layout.values:
        errors.add("layout", prefix + _("户型：请选择有效的选项。"))
    if status not in UnitStatus.values:
        errors.add("status", prefix + _("状态：请选择有效的选项。"))
    if not isinstance(area_m2, Decimal) or area_m2 <= 0 or area_m2 > 1000:
        errors.add("area_m2", prefix + _("建筑面积：应为大于 0 的数值（㎡）。"))
    if not isinstance(floor, int) or not -5 <= floor <= 200:
        errors.add("floor", prefix + _("楼层：应为 -5 至 200 的整数。"))
    if not isinstance(monthly_rent_fen, int) or monthly_rent_fen < 0:
        errors.add("monthly_rent_fen", prefix + _("月租金：应为不小于 0 的金额。"))
    if not isinstance(discount_percent, int) or not 0 <= discount_percent <= 100:
        errors.add("discount_percent", prefix + _("租金优惠：应为 0 至 100 的整数。"))


MANUAL_UNIT_STATES = (UnitStatus.VACANT, UnitStatus.MAINTENANCE)
"""The states staff set by hand; 已预留/已入住 follow offers, leases and gifted housing."""


def unit_save(*, actor: User, project: Project, building: str, number: str, floor: int, area_m2: Decimal,
              layout: str, monthly_rent_fen: int, discount_percent: int, status: str = UnitStatus.VACANT) -> Unit:
    """Create or update a unit (by project, building and number) from the inventory page.

    The status follows the same rule as on the unit's own page (``unit_update``): a new unit starts 空闲 or 维修中, and
    an existing unit changes only between 空闲 and 维修中 by hand — 已预留/已入住 follow offers, leases and gifted
    housing. An existing unit in a round that is not finished keeps its layout and area and cannot go into
    maintenance. The update is conditional on the status read, so an offer reserving the unit meanwhile wins."""
    _require_staff(actor, action="housing.unit.save")
    building, number = building.strip(), number.strip()
    errors = FieldErrors()
    if not building:
        errors.add("building", _("楼栋：请填写。"))
    if not number:
        errors.add("number", _("房号：请填写。"))
    _unit_errors(errors, floor=floor, area_m2=area_m2, layout=layout, monthly_rent_fen=monthly_rent_fen,
                 discount_percent=discount_percent, status=status)
    existing = (Unit.objects.filter(building__project=project, building__name=building, number=number).first()
                if building and number else None)
    if status in UnitStatus.values:
        if existing is None and status not in MANUAL_UNIT_STATES:
            errors.add("status", _("状态：新房源只能登记为空闲或维修中；已预留、已入住由配租、租赁和人才住房分配自动维护。"))
        elif existing is not None and status != existing.status and (
                existing.status not in MANUAL_UNIT_STATES or status not in MANUAL_UNIT_STATES):
            errors.add("status", _("状态：已预留、已入住由配租、租赁和人才住房分配自动维护，只能在空闲与维修中之间手工切换。"))
    if existing is not None:
        in_round = (RoundUnit.objects.filter(unit=existing).exclude(round__status=RoundStatus.FINISHED)
                    .values_list("round__code", flat=True).first())
        if in_round is not None:
            if layout != existing.layout:
                errors.add("layout", _("户型：该房源在未结束的批次 %(r)s 中，户型已或将公示，不能修改。") % {"r": in_round})
            if isinstance(area_m2, Decimal) and area_m2 != existing.area_m2:
                errors.add("area_m2", _("建筑面积：该房源在未结束的批次 %(r)s 中，面积已或将公示，不能修改。") % {
                    "r": in_round})
            if status == UnitStatus.MAINTENANCE and existing.status != UnitStatus.MAINTENANCE:
                errors.add("status", _("状态：该房源在未结束的批次 %(r)s 中，不能设为维修中。") % {"r": in_round})
    errors.raise_if_any()
    fields: dict[str, Any] = {"floor": floor, "area_m2": area_m2, "layout": layout,
                              "monthly_rent_fen": monthly_rent_fen, "discount_percent": discount_percent,
                              "status": status}
    with transaction.atomic():
        if existing is None:
            unit = _unit_upsert(project=project, building=building, number=number, **fields)
            before = None
        else:
            before = {"area_m2": str(existing.area_m2), "layout": existing.layout, "rent": existing.monthly_rent_fen,
                      "discount": existing.discount_percent, "status": existing.status}
            _transition(Unit, existing.pk, sources=(existing.status,), **fields)
            unit = existing
            unit.refresh_from_db()
        audit_record(action="housing.unit.save", actor=actor, obj=unit, before=before,
                     after={"area_m2": str(area_m2), "layout": layout, "rent": monthly_rent_fen,
                            "discount": discount_percent, "status": status})
    return unit


def _unit_upsert(*, project: Project, building: str, number: str, **fields: Any) -> Unit:
    bld, _created = Building.objects.get_or_create(project=project, name=building)
    unit, _created = Unit.objects.update_or_create(
        building=bld, number=number, defaults={**fields, "code": unit_code(project.code, building, number)})
    return unit


def station_save(*, actor: User, code: str, name: str, address: str, phone: str = "",
                 is_active: bool = True) -> WarmStation:
    _require_staff(actor, action="housing.station.save")
    errors = FieldErrors()
    if not code.strip():
        errors.add("code", _("驿站代码：请填写。"))
    if not address.strip():
        errors.add("address", _("地址：请填写（确认短信会告知入住地址）。"))
    errors.raise_if_any()
    with transaction.atomic():
        station, created = WarmStation.objects.update_or_create(
            code=code.strip(), defaults={"name": name.strip(), "address": address.strip(), "phone": phone.strip(),
                                         "is_active": is_active})
        audit_record(action="housing.station.save", actor=actor, obj=station, after={"created": created})
    return station


def bed_add(*, actor: User, station: WarmStation, room: str, label: str) -> Bed:
    _require_staff(actor, action="housing.bed.add")
    if not room.strip() or not label.strip():
        raise ValidationFailed(_("提交的信息有误，请按提示修改。"), field_errors={
            **({"room": [_("房间号：请填写。")]} if not room.strip() else {}),
            **({"label": [_("床位：请填写。")]} if not label.strip() else {})})
    with transaction.atomic():
        room_obj, _created = Room.objects.get_or_create(station=station, number=room.strip())
        bed, created = Bed.objects.get_or_create(room=room_obj, label=label.strip())
        if not created:
            raise Conflict(_("该床位已存在。"), field_errors={"label": [_("床位：该房间已有同名床位。")]})
        audit_record(action="housing.bed.add", actor=actor, obj=bed)
    return bed


def unit_update(*, actor: User, unit: Unit, area_m2: Decimal, layout: str, monthly_rent_fen: int,
                discount_percent: int, status: str) -> Unit:
    """Edit a unit's rent, discount, status, layout and area on its page.

    Staff set only 空闲 ↔ 维修中; a unit in a round that is not finished keeps its layout and area (they are, or will
    be, published with the round) and cannot go into maintenance. Rent and discount apply to leases signed afterwards
    (a lease keeps the terms it was signed with). The row is updated only if its status is still the one shown
    (a conditional UPDATE), so an offer reserving the unit meanwhile is not overwritten."""
    _require_staff(actor, action="housing.unit.update", obj=unit)
    errors = FieldErrors()
    _unit_errors(errors, floor=unit.floor, area_m2=area_m2, layout=layout, monthly_rent_fen=monthly_rent_fen,
                 discount_percent=discount_percent, status=status)
    if status != unit.status and (unit.status not in MANUAL_UNIT_STATES or status not in MANUAL_UNIT_STATES):
        errors.add("status", _("状态：已预留、已入住由配租、租赁和人才住房分配自动维护，只能在空闲与维修中之间手工切换。"))
    in_round = (RoundUnit.objects.filter(unit=unit).exclude(round__status=RoundStatus.FINISHED)
                .values_list("round__code", flat=True).first())
    if in_round is not None:
        if layout != unit.layout:
            errors.add("layout", _("户型：该房源在未结束的批次 %(r)s 中，户型已或将公示，不能修改。") % {"r": in_round})
        if area_m2 != unit.area_m2:
            errors.add("area_m2", _("建筑面积：该房源在未结束的批次 %(r)s 中，面积已或将公示，不能修改。") % {
                "r": in_round})
        if status == UnitStatus.MAINTENANCE and unit.status != UnitStatus.MAINTENANCE:
            errors.add("status", _("状态：该房源在未结束的批次 %(r)s 中，不能设为维修中。") % {"r": in_round})
    errors.raise_if_any()
    before = {"area_m2": str(unit.area_m2), "layout": unit.layout, "rent": unit.monthly_rent_fen,
              "discount": unit.discount_percent, "status": unit.status}
    with transaction.atomic():
        _transition(Unit, unit.pk, sources=(unit.status,), status=status, area_m2=area_m2, layout=layout,
                    monthly_rent_fen=monthly_rent_fen, discount_percent=discount_percent)
        unit.refresh_from_db()
        audit_record(action="housing.unit.update", actor=actor, obj=unit, before=before,
                     after={"area_m2": str(area_m2), "layout": layout, "rent": monthly_rent_fen,
                            "discount": discount_percent, "status": status})
    return unit


class _BedOutOfService(Exception):
    """The bed was taken out of service while a booking was being placed on it (rolls the savepoint back)."""


def _hold_active_bed(bed_id: int) -> None:
    """Touch the bed row with a conditional UPDATE: it fails if the bed is out of service, and it locks the row
    (PostgreSQL) until commit, so taking the bed out of service waits and then sees the new nights; on SQLite the
    write transactions are serialised anyway."""
    if Bed.objects.filter(pk=bed_id, is_active=True).update(is_active=True) != 1:
        raise _BedOutOfService


def bed_take_out_of_service(*, actor: User, bed: Bed, reason: str, today: date | None = None) -> Bed:
    """Take a bed out of service (broken, cleaning…) with a reason: it cannot be booked until it is back.

    Bookings that already hold the bed for tonight or later are *moved*, each to another bed of the same station
    that is in service and free on all of its remaining nights (the guest is told the new bed); past nights stay
    where they were. If one of them cannot be moved, nothing changes and the message names the booking and its
    dates, so staff can choose another day or settle it with the guest first."""
    _require_staff(actor, action="housing.bed.out_of_service", obj=bed)
    day = today or wd.today()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("提交的信息有误，请按提示修改。"),
                               field_errors={"reason": [_("停用原因：停用床位时请填写原因。")]})
    with transaction.atomic():
        if Bed.objects.filter(pk=bed.pk, is_active=True).update(
                is_active=False, out_of_service_reason=reason[:200], out_of_service_since=timezone.now()) != 1:
            raise TransitionNotAllowed(_("床位：该床位已停用。"), field_errors={"reason": [_("床位：该床位已停用。")]})
        holding = dict.fromkeys(BedNight.objects.filter(bed=bed, night__gte=day).order_by("night", "booking_id")
                                .values_list("booking_id", flat=True))
        moved = [_move_booking_off(bed, booking_id, day) for booking_id in holding]
        bed.refresh_from_db()
        audit_record(action="housing.bed.out_of_service", actor=actor, obj=bed,
                     before={"is_active": True}, after={"is_active": False},
                     detail={"reason": reason, "moved": [{"booking": b.reference, "to": b.bed_id} for b in moved]})
    for booking in moved:
        notification_send(recipient=booking.guest, title=_("暖心驿站床位已调整：%(r)s") % {"r": booking.reference},
                          body=_("原床位停用，您的预订已调整到 %(b)s，入住日期不变。") % {"b": str(booking.bed)},
                          link=_station_url(booking), channels=(NotificationChannel.SMS,))
    return bed


def _move_booking_off(bed: Bed, booking_id: int, day: date) -> StayBooking:
    booking = StayBooking.objects.select_related("guest").get(pk=booking_id)
    nights = list(BedNight.objects.filter(booking_id=booking_id, bed=bed, night__gte=day)
                  .values_list("night", flat=True))
    candidates = (Bed.objects.filter(room__station_id=booking.station_id, is_active=True)
                  .exclude(nights__night__in=nights).order_by("room__number", "label").values_list("pk", flat=True))
    for target in candidates[:200]:
        try:
            with transaction.atomic():
                _hold_active_bed(target)
                BedNight.objects.filter(booking_id=booking_id, bed=bed, night__gte=day).update(bed_id=target)
                StayBooking.objects.filter(pk=booking_id).update(bed_id=target)
        except (IntegrityError, _BedOutOfService):
            continue
        booking.refresh_from_db()
        audit_record(action="housing.stay.move_bed", obj=booking, before={"bed": bed.pk}, after={"bed": target},
                     detail={"nights": [n.isoformat() for n in nights]})
        return booking
    message = _("床位：预订 %(r)s（%(a)s 至 %(b)s）无法调整到本驿站其他空床，未停用。请先与入住人协商改期或取消后再停用。") % {
        "r": booking.reference, "a": min(nights).isoformat(), "b": (max(nights) + timedelta(days=1)).isoformat()}
    raise Conflict(message, field_errors={"reason": [message]})


def bed_return_to_service(*, actor: User, bed: Bed, note: str = "") -> Bed:
    """Back in service: the bed can be booked again (the reason it was out is kept in the audit trail)."""
    _require_staff(actor, action="housing.bed.in_service", obj=bed)
    with transaction.atomic():
        if Bed.objects.filter(pk=bed.pk, is_active=False).update(
                is_active=True, out_of_service_reason="", out_of_service_since=None) != 1:
            raise TransitionNotAllowed(_("床位：该床位已在使用中。"), field_errors={"reason": [_("床位：该床位已在使用中。")]})
        audit_record(action="housing.bed.in_service", actor=actor, obj=bed,
                     before={"is_active": False, "reason": bed.out_of_service_reason},
                     after={"is_active": True}, detail={"note": (note or "").strip()})
    bed.refresh_from_db()
    return bed


# --- warm stations ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StayTerms:
    max_nights: int
    lead_working_days: int
    decision_working_days: int
    auto_approve: bool
    earliest_check_in: date


def stay_terms(*, today: date | None = None) -> StayTerms:
    day = today or wd.today()
    rule_set = rules.active(RuleSetKind.WARM_STATION)
    lead = int(rules.param(rule_set, "lead_working_days", as_of=day))
    return StayTerms(max_nights=int(rules.param(rule_set, "max_nights", as_of=day)), lead_working_days=lead,
                     decision_working_days=int(rules.param(rule_set, "decision_working_days", as_of=day)),
                     auto_approve=bool(rules.param(rule_set, "auto_approve", as_of=day)),
                     earliest_check_in=wd.add_working_days(day, lead))


def nights_used(*, user: User) -> int:
    return StayAllowance.objects.filter(user=user).values_list("nights_used", flat=True).first() or 0


def _station_url(booking: StayBooking) -> str:
    return reverse("housing:stay_detail", kwargs={"pk": booking.pk})


def _notify_confirmed(booking: StayBooking) -> None:
    station = booking.station
    notification_send(
        recipient=booking.guest, title=_("暖心驿站预订已确认：%(s)s") % {"s": station.name},
        body=_("入住 %(a)s，离店 %(b)s（%(n)d 晚）。地址：%(addr)s；电话：%(tel)s。请到店出示预订二维码办理入住。") % {
            "a": booking.check_in.isoformat(), "b": booking.check_out.isoformat(), "n": booking.nights,
            "addr": station.address, "tel": station.phone or "—"},
        link=_station_url(booking), channels=(NotificationChannel.SMS,))


def stay_book(*, guest: User, station: WarmStation, check_in: date, nights: int, purpose: str = "",
              today: date | None = None) -> StayBooking:
    """Book free nights at a warm station.

    Checks: the rule set's eligibility (refused → the reasons; undetermined → staff decide within the decision
    window), the working-day lead time, the nights limit per person (a conditional UPDATE on the person's allowance,
    so concurrent bookings cannot overshoot), then takes a bed whose nights are all free by inserting one
    ``BedNight`` per night — the unique constraint makes a concurrent taker fail, and the next bed is tried.
    """
    from onestop.talents.facts import facts_for_user

    day = today or wd.today()
    terms = stay_terms(today=day)
    errors = FieldErrors()
    if not station.is_active:
        errors.add("station", _("驿站：该驿站暂停预订。"))
    if check_in < terms.earliest_check_in:
        errors.add("check_in", _("入住日期：须至少提前 %(n)d 个工作日预订，最早可订 %(d)s。") % {
            "n": terms.lead_working_days, "d": terms.earliest_check_in.isoformat()})
    if not isinstance(nights, int) or nights < 1 or nights > terms.max_nights:
        errors.add("nights", _("入住晚数：应为 1 至 %(n)d 晚。") % {"n": terms.max_nights})
    errors.raise_if_any()
    used = nights_used(user=guest)
    if used + nights > terms.max_nights:
        raise ValidationFailed(_("超过免费入住晚数上限。"), field_errors={"nights": [
            _("入住晚数：每人累计免费入住不超过 %(m)d 晚，您已使用或预订 %(u)d 晚，还可预订 %(r)d 晚。") % {
                "m": terms.max_nights, "u": used, "r": max(terms.max_nights - used, 0)}]})
    facts = facts_for_user(guest, as_of=day)
    if facts is None:
        raise ValidationFailed(_("请先建立人才档案。"), field_errors={"eligibility": [_("资格：请先建立人才档案。")]})
    rule_set = rules.active(RuleSetKind.WARM_STATION)
    result = rules.evaluate(rule_set, facts, as_of=day)
    verdict = rules.eligibility(rule_set, result)
    explained = rules.explanation(result, rule_set.ranking.get("eligibility", []))
    if verdict is False:
        audit_record(action="housing.stay.book", actor=guest, obj=station, result=AuditResult.FAILURE,
                     detail={"missing": explained["missing"]})
        reasons = [m for ms in explained["missing"].values() for m in ms]
        raise NotEligible(_("不符合暖心驿站免费入住条件。"), field_errors={
            "eligibility": [_("资格：不满足“%(c)s”。") % {"c": r} for r in reasons]})
    status = StayStatus.CONFIRMED if verdict is True and terms.auto_approve else StayStatus.PENDING
    check_out = check_in + timedelta(days=nights)
    night_list = [check_in + timedelta(days=i) for i in range(nights)]
    StayAllowance.objects.get_or_create(user=guest)
    with transaction.atomic():
        if StayAllowance.objects.filter(user=guest, nights_used__lte=terms.max_nights - nights).update(
                nights_used=F("nights_used") + nights) != 1:
            raise ValidationFailed(_("超过免费入住晚数上限。"), field_errors={"nights": [
                _("入住晚数：每人累计免费入住不超过 %(m)d 晚。") % {"m": terms.max_nights}]})
        if BedNight.objects.filter(guest=guest, night__in=night_list).exists():
            raise Conflict(_("您在所选日期已有驿站预订。"), field_errors={"check_in": [
                _("入住日期：您在所选日期已有驿站预订。")]})
        candidates = list(Bed.objects.filter(room__station=station, is_active=True)
                          .exclude(nights__night__in=night_list).order_by("room__number", "label")
                          .values_list("pk", flat=True)[:200])
        booking = None
        for bed_id in candidates:
            try:
                with transaction.atomic():
                    booking = StayBooking.objects.create(
                        guest=guest, station=station, bed_id=bed_id, check_in=check_in, check_out=check_out,
                        nights=nights, purpose=purpose[:200], status=status, token=secrets.token_urlsafe(18)[:24],
                        decision_due=wd.add_working_days(day, terms.decision_working_days),
                        decided_at=timezone.now() if status == StayStatus.CONFIRMED else None,
                        reason=_("符合条件，系统自动确认。") if status == StayStatus.CONFIRMED
                        else _("部分条件需人工核实，工作人员将在 1 个工作日内答复。"),
                        eligibility={"verdict": verdict, **explained, "rule_set": rule_set.sha256[:12]})
                    BedNight.objects.bulk_create([BedNight(bed_id=bed_id, night=n, booking=booking, guest=guest)
                                                  for n in night_list])
                    _hold_active_bed(bed_id)  # taken out of service meanwhile → the next bed
                break
            except (IntegrityError, _BedOutOfService):
                booking = None
                continue
        if booking is None:
            raise BedUnavailable(_("该驿站在所选日期已满，请更换日期或驿站。"), field_errors={
                "check_in": [_("入住日期：该驿站在所选日期已无空床。")]})
        audit_record(action="housing.stay.book", actor=guest, obj=booking,
                     after={"status": status, "bed": bed_id, "check_in": check_in.isoformat(), "nights": nights})
        if status == StayStatus.CONFIRMED:
            _notify_confirmed(booking)
        else:
            notification_send(recipient=guest, title=_("暖心驿站预订已提交，等待审核"),
                              body=_("工作人员将在 %(d)s 前答复。") % {"d": booking.decision_due.isoformat()},
                              link=_station_url(booking))
            for staff in housing_staff_users():
                notification_send(recipient=staff, title=_("暖心驿站预订待审核：%(r)s") % {"r": booking.reference},
                                  body=_("请在 %(d)s 前答复。") % {"d": booking.decision_due.isoformat()},
                                  link=reverse("housing:desk"))
    return booking


def _release_nights(booking: StayBooking, *, from_night: date | None = None) -> int:
    """Free the booking's beds from ``from_night`` on and give the nights back to the person's allowance."""
    qs = BedNight.objects.filter(booking=booking)
    if from_night is not None:
        qs = qs.filter(night__gte=from_night)
    count, _detail = qs.delete()
    if count:
        StayAllowance.objects.filter(user_id=booking.guest_id, nights_used__gte=count).update(
            nights_used=F("nights_used") - count)
    return count


def stay_decide(*, booking: StayBooking, actor: User, approve: bool, reason: str = "") -> StayBooking:
    _require_staff(actor, action="housing.stay.decide", obj=booking)
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ValidationFailed(_("提交的信息有误，请按提示修改。"),
                               field_errors={"reason": [_("理由：不予确认时请填写理由。")]})
    target = StayStatus.CONFIRMED if approve else StayStatus.REJECTED
    with transaction.atomic():
        _transition(StayBooking, booking.pk, sources=(StayStatus.PENDING,), status=target, decided_by=actor,
                    decided_at=timezone.now(), reason=reason or _("经审核，予以确认。"))
        if not approve:
            _release_nights(booking)
        booking.refresh_from_db()
        audit_record(action="housing.stay.decide", actor=actor, obj=booking, before={"status": StayStatus.PENDING},
                     after={"status": target}, detail={"reason": reason})
        if approve:
            _notify_confirmed(booking)
        else:
            notification_send(recipient=booking.guest, title=_("暖心驿站预订未通过"), body=reason,
                              link=_station_url(booking), channels=(NotificationChannel.SMS,))
    return booking


def stay_cancel(*, booking: StayBooking, actor: User, today: date | None = None) -> StayBooking:
    """The guest cancels before arriving; the nights go back to the allowance."""
    if booking.guest_id != actor.pk:
        raise NotFound(_("预订不存在。"))
    with transaction.atomic():
        _transition(StayBooking, booking.pk, sources=(StayStatus.PENDING, StayStatus.CONFIRMED),
                    status=StayStatus.CANCELLED, reason=_("本人取消。"))
        released = _release_nights(booking)
        audit_record(action="housing.stay.cancel", actor=actor, obj=booking, after={"released": released})
    booking.refresh_from_db()
    return booking


def stay_by_token(*, actor: User, token: str) -> StayBooking:
    _require_staff(actor, action="housing.stay.scan")
    booking = StayBooking.objects.select_related("guest", "station", "bed__room").filter(token=token.strip()).first()
    if booking is None:
        raise NotFound(_("预订二维码无效。"))
    return booking


def stay_check_in(*, booking: StayBooking, actor: User, today: date | None = None) -> StayBooking:
    _require_staff(actor, action="housing.stay.check_in", obj=booking)
    day = today or wd.today()
    if not booking.check_in <= day < booking.check_out:
        raise TransitionNotAllowed(_("只能在预订的入住期间（%(a)s 至 %(b)s）办理入住。") % {
            "a": booking.check_in.isoformat(), "b": (booking.check_out - timedelta(days=1)).isoformat()})
    with transaction.atomic():
        _transition(StayBooking, booking.pk, sources=(StayStatus.CONFIRMED,), status=StayStatus.CHECKED_IN,
                    checked_in_at=timezone.now())
        late = BedNight.objects.filter(booking=booking, night__lt=day).count()
        if late:  # arrived late: the nights already passed are released and given back
            _release_nights_before(booking, day)
        audit_record(action="housing.stay.check_in", actor=actor, obj=booking, detail={"late_nights": late})
    booking.refresh_from_db()
    return booking


def _release_nights_before(booking: StayBooking, day: date) -> None:
    count, _d = BedNight.objects.filter(booking=booking, night__lt=day).delete()
    if count:
        StayAllowance.objects.filter(user_id=booking.guest_id, nights_used__gte=count).update(
            nights_used=F("nights_used") - count)


def stay_check_out(*, booking: StayBooking, actor: User, today: date | None = None) -> StayBooking:
    """Check-out by staff; nights not used (leaving early) are released and given back."""
    _require_staff(actor, action="housing.stay.check_out", obj=booking)
    day = today or wd.today()
    with transaction.atomic():
        _transition(StayBooking, booking.pk, sources=(StayStatus.CHECKED_IN,), status=StayStatus.CHECKED_OUT,
                    checked_out_at=timezone.now())
        released = _release_nights(booking, from_night=day)
        audit_record(action="housing.stay.check_out", actor=actor, obj=booking, detail={"released": released})
    booking.refresh_from_db()
    return booking


def stays_release_no_shows(*, today: date | None = None) -> int:
    """Confirmed bookings whose check-in day has passed without arrival become no-shows: their beds are freed for
    the remaining nights and the nights go back to the person. Idempotent (the scheduler runs it daily)."""
    day = today or wd.today()
    released = 0
    for booking in StayBooking.objects.filter(status=StayStatus.CONFIRMED, check_in__lt=day).select_related("guest"):
        with transaction.atomic():
            if StayBooking.objects.filter(pk=booking.pk, status=StayStatus.CONFIRMED).update(
                    status=StayStatus.NO_SHOW, reason=_("入住当日未到店，床位已释放。")) != 1:
                continue
            nights = _release_nights(booking)
            audit_record(action="housing.stay.no_show", obj=booking, detail={"released": nights})
            notification_send(recipient=booking.guest, title=_("暖心驿站预订已释放"),
                              body=_("您未在 %(d)s 办理入住，床位已释放。") % {"d": booking.check_in.isoformat()},
                              link=_station_url(booking))
            released += 1
    return released


# --- apartment rounds ------------------------------------------------------------------------------------------------

def round_create(*, actor: User, code: str, title: str, opens_on: date, closes_on: date, unit_ids: list[int],
                 offer_days: int = 5, open_now: bool = True, today: date | None = None) -> AllocationRound:
    """A round with its window, the units it offers and the active apartment rule set (kept for the round). It is
    created as a draft (seen by housing staff only); ``open_now`` opens it at once, by the same transition as
    ``round_open``.

    Lifecycle (one service per step, each a conditional ``UPDATE … WHERE status = <from>``): draft → open
    (``round_open``) → closed (``round_close``, or implicitly by publishing after the window) → published
    (``round_publish``) → drawn (``round_draw``) → finished (``round_finish``, once no offer is open)."""
    _require_staff(actor, action="housing.round.create")
    errors = FieldErrors()
    if not code.strip():
        errors.add("code", _("批次编号：请填写。"))
    elif AllocationRound.objects.filter(code=code.strip()).exists():
        errors.add("code", _("批次编号：已存在。"))
    if closes_on < opens_on:
        errors.add("closes_on", _("申请截止：不能早于申请开始。"))
    if not 1 <= offer_days <= 30:
        errors.add("offer_days", _("确认期限：应为 1 至 30 个工作日。"))
    units = list(Unit.objects.filter(pk__in=unit_ids, building__project__kind=ProjectKind.APARTMENT,
                                     status=UnitStatus.VACANT))
    busy = set(RoundUnit.objects.filter(unit_id__in=unit_ids).exclude(
        round__status=RoundStatus.FINISHED).values_list("unit__code", flat=True))
    if not units:
        errors.add("unit_ids", _("房源：请至少选择一套空闲的人才公寓房源。"))
    elif len(units) != len(set(unit_ids)):
        errors.add("unit_ids", _("房源：只能选择空闲的人才公寓房源。"))
    if busy:
        errors.add("unit_ids", _("房源：%(u)s 已在其他未结束的批次中。") % {"u": "、".join(sorted(busy))})
    errors.raise_if_any()
    with transaction.atomic():
        rnd = AllocationRound.objects.create(
            code=code.strip(), title=title.strip() or code.strip(), rule_set=rules.active(RuleSetKind.APARTMENT),
            opens_on=opens_on, closes_on=closes_on, offer_days=offer_days, status=RoundStatus.DRAFT, created_by=actor)
        RoundUnit.objects.bulk_create([RoundUnit(round=rnd, unit=u) for u in units])
        audit_record(action="housing.round.create", actor=actor, obj=rnd,
                     after={"units": len(units), "rule_set": rnd.rule_set.sha256[:12], "status": RoundStatus.DRAFT,
                            "window": [opens_on.isoformat(), closes_on.isoformat()]})
        if open_now:
            _round_open(rnd, actor=actor, today=today)
    return rnd


def _round_transition(rnd: AllocationRound, *, source: str, target: str, doing: str, **changes: Any) -> None:
    """The round's one allowed step from ``source``: a conditional UPDATE whose row count must be 1; otherwise the
    message names the round's current state."""
    if AllocationRound.objects.filter(pk=rnd.pk, status=source).update(status=target, **changes) != 1:
        current = AllocationRound.objects.filter(pk=rnd.pk).values_list("status", flat=True).first() or ""
        label = RoundStatus(current).label if current in RoundStatus.values else current
        message = _("批次状态：当前为“%(s)s”，不能%(a)s。") % {"s": label, "a": doing}
        raise TransitionNotAllowed(message, field_errors={"status": [message]})


def _round_open(rnd: AllocationRound, *, actor: User, today: date | None) -> None:
    day = today or wd.today()
    if day > rnd.closes_on:
        raise TransitionNotAllowed(_("申请截止：%(d)s 已过，不能开放申请。") % {"d": rnd.closes_on.isoformat()},
                                   field_errors={"closes_on": [_("申请截止：%(d)s 已过，不能开放申请。") % {
                                       "d": rnd.closes_on.isoformat()}]})
    _round_transition(rnd, source=RoundStatus.DRAFT, target=RoundStatus.OPEN, doing=_("开放申请"))
    rnd.status = RoundStatus.OPEN
    audit_record(action="housing.round.open", actor=actor, obj=rnd, before={"status": RoundStatus.DRAFT},
                 after={"status": RoundStatus.OPEN})


def round_open(*, rnd: AllocationRound, actor: User, today: date | None = None) -> AllocationRound:
    """Draft → open: the round becomes public and talents apply within its window."""
    _require_staff(actor, action="housing.round.open", obj=rnd)
    with transaction.atomic():
        _round_open(rnd, actor=actor, today=today)
    rnd.refresh_from_db()
    return rnd


def round_close(*, rnd: AllocationRound, actor: User, today: date | None = None) -> AllocationRound:
    """Open → closed: no more applications or withdrawals; the ranks are published afterwards. Closing before the
    window's end moves the closing date to today, so the published window and the assessment date (the closing date)
    say what really happened."""
    _require_staff(actor, action="housing.round.close", obj=rnd)
    day = today or wd.today()
    if day < rnd.opens_on:
        raise TransitionNotAllowed(_("申请开始：%(d)s 之前不能截止申请。") % {"d": rnd.opens_on.isoformat()})
    closes_on = min(rnd.closes_on, day)
    with transaction.atomic():
        _round_transition(rnd, source=RoundStatus.OPEN, target=RoundStatus.CLOSED, doing=_("截止申请"),
                          closes_on=closes_on)
        audit_record(action="housing.round.close", actor=actor, obj=rnd, before={
            "status": RoundStatus.OPEN, "closes_on": rnd.closes_on.isoformat()}, after={
            "status": RoundStatus.CLOSED, "closes_on": closes_on.isoformat()})
    rnd.refresh_from_db()
    return rnd


def round_finish(*, rnd: AllocationRound, actor: User) -> AllocationRound:
    """Drawn → finished, once every offer is settled (accepted, declined or lapsed): the waiting list stops and the
    round's vacant units may go into a new round. The status changes first and the open offers are counted in the
    same transaction, so a decline racing with it either is seen (refused) or has nothing left to cascade."""
    _require_staff(actor, action="housing.round.finish", obj=rnd)
    with transaction.atomic():
        _round_transition(rnd, source=RoundStatus.DRAWN, target=RoundStatus.FINISHED, doing=_("结束批次"))
        still_open = Offer.objects.filter(application__round=rnd, status=OfferStatus.OPEN).count()
        if still_open:
            message = _("配租通知：还有 %(n)d 份待确认，全部接受、放弃或逾期后才能结束批次。") % {"n": still_open}
            raise TransitionNotAllowed(message, field_errors={"round": [message]})
        audit_record(action="housing.round.finish", actor=actor, obj=rnd, before={"status": RoundStatus.DRAWN},
                     after={"status": RoundStatus.FINISHED})
    rnd.refresh_from_db()
    return rnd


def round_layouts(rnd: AllocationRound) -> list[str]:
    return sorted(set(rnd.round_units.values_list("unit__layout", flat=True)))


def _application_code() -> str:
    return "H" + "".join(secrets.choice("23456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(7))


def _tie_keys(user: User) -> tuple[str, date | None]:
    """Certification batch (the issue date of the valid standard-track certificate: one publicity batch closes on
    one day) and the first month of local pension contributions."""
    from onestop.talents.choices import CertificateStatus, CertTrack
    from onestop.talents.models import Certificate, SocialInsuranceMonth

    batch = (Certificate.objects.filter(profile__user=user, track=CertTrack.STANDARD, status=CertificateStatus.VALID)
             .values_list("valid_from", flat=True).first())
    pension = SocialInsuranceMonth.objects.filter(profile__user=user).aggregate(m=Min("month"))["m"]
    return (batch.isoformat() if batch else ""), pension


def _assess(rnd: AllocationRound, user: User, *, as_of: date) -> dict[str, Any]:
    """Eligibility, priority group and points of one applicant from the round's rule set. The groups are rules
    (``ranking.groups[].rule``), the first granted one wins; eligible = the base rules granted and some group
    granted; refused when a base rule or every group rule is refused; otherwise undetermined (a fact is unknown)."""
    from onestop.talents.facts import facts_for_user

    facts = facts_for_user(user, as_of=as_of) or {}
    rule_set = rnd.rule_set
    ranking = rule_set.ranking
    groups = ranking.get("groups", [])
    result = rules.evaluate(rule_set, facts, as_of=as_of)
    base = rules.eligibility(rule_set, result)
    statuses = [result[g["rule"]].status for g in groups]
    group = next(((i, g) for i, g in enumerate(groups) if statuses[i] is True), None)
    verdict: bool | None
    if base is False or all(s is False for s in statuses):
        verdict = False
    elif base is True and group is not None:
        verdict = True
    else:
        verdict = None
    points = result[ranking["points_rule"]].points if ranking.get("points_rule") else 0
    batch, pension = _tie_keys(user)
    explained_rules = list(ranking.get("eligibility", [])) + ([] if group is not None else [g["rule"] for g in groups])
    return {"verdict": verdict, "group": group, "points": int(points or 0), "cert_batch": batch,
            "pension_start": pension, "explanation": rules.explanation(result, explained_rules)}


def application_submit(*, rnd: AllocationRound, applicant: User, preferences: list[str],
                       today: date | None = None) -> Application:
    day = today or wd.today()
    if rnd.status != RoundStatus.OPEN or not rnd.opens_on <= day <= rnd.closes_on:
        raise TransitionNotAllowed(_("该批次当前不在申请期内（%(a)s 至 %(b)s）。") % {
            "a": rnd.opens_on.isoformat(), "b": rnd.closes_on.isoformat()})
    offered = round_layouts(rnd)
    errors = FieldErrors()
    prefs = [p for i, p in enumerate(preferences) if p and p not in preferences[:i]]
    if not prefs:
        errors.add("preferences", _("户型意向：请至少选择一种户型。"))
    elif any(p not in offered for p in prefs):
        errors.add("preferences", _("户型意向：只能选择本批次提供的户型。"))
    if Lease.objects.filter(tenant=applicant, status=LeaseStatus.ACTIVE).exists():
        errors.add("round", _("批次：您已承租人才公寓，每人只能承租一套。"))
    if Application.objects.filter(round=rnd, applicant=applicant).exists():
        errors.add("round", _("批次：您已申请本批次。"))
    errors.raise_if_any()
    assessed = _assess(rnd, applicant, as_of=day)
    if assessed["verdict"] is False:
        reasons = [m for ms in assessed["explanation"]["missing"].values() for m in ms] or [_("不属于任何优先组")]
        raise NotEligible(_("不符合人才公寓申请条件。"), field_errors={
            "eligibility": [_("资格：不满足“%(c)s”。") % {"c": r} for r in reasons]})
    for _attempt in range(5):
        try:
            with transaction.atomic():
                app = Application.objects.create(round=rnd, applicant=applicant, code=_application_code(),
                                                 preferences=prefs, explanation=assessed["explanation"])
                audit_record(action="housing.application.submit", actor=applicant, obj=app,
                             after={"round": rnd.code, "preferences": prefs})
            break
        except IntegrityError:
            if Application.objects.filter(round=rnd, applicant=applicant).exists():
                raise Conflict(_("您已申请本批次。"), field_errors={"round": [_("批次：您已申请本批次。")]})
    else:  # pragma: no cover - seven random characters colliding five times
        raise Conflict(_("请稍后重试。"))
    notification_send(recipient=applicant, title=_("人才公寓申请已提交：%(r)s") % {"r": rnd.title},
                      body=_("申请编号 %(c)s。申请截止后按规则排序并公示，摇号结果将通知您。") % {"c": app.code},
                      link=reverse("housing:round_detail", kwargs={"code": rnd.code}))
    return app


def application_withdraw(*, application: Application, actor: User) -> Application:
    if application.applicant_id != actor.pk:
        raise NotFound(_("申请不存在。"))
    if application.round.status != RoundStatus.OPEN:
        raise TransitionNotAllowed(_("申请截止后不能撤回，可在配租后放弃。"))
    with transaction.atomic():
        _transition(Application, application.pk, sources=(ApplicationStatus.SUBMITTED,),
                    status=ApplicationStatus.WITHDRAWN)
        audit_record(action="housing.application.withdraw", actor=actor, obj=application)
    application.refresh_from_db()
    return application


def _assess_batch(rnd: AllocationRound, apps: list[Application]) -> dict[int, ranking.Assessed]:
    """Every application at once: the registry's polars frame on the closing date, the round's rule set in batch
    (``evaluate_frame``), the tie keys in two queries. Keys are application ids."""
    from onestop.talents.choices import CertificateStatus, CertTrack
    from onestop.talents.facts import registry_frame
    from onestop.talents.models import Certificate, SocialInsuranceMonth, TalentProfile

    if not apps:
        return {}
    profile_of = dict(TalentProfile.objects.filter(user_id__in=[a.applicant_id for a in apps])
                      .values_list("user_id", "pk"))
    profiles = list(profile_of.values())
    frame = registry_frame(as_of=rnd.closes_on, profile_ids=profiles)
    out = rules.engine_for(rnd.rule_set).evaluate_frame(frame, as_of=rnd.closes_on, keep=["person_id"])
    by_profile = ranking.assess_frame(out, rnd.rule_set.ranking)
    batches = dict(Certificate.objects.filter(profile_id__in=profiles, track=CertTrack.STANDARD,
                                              status=CertificateStatus.VALID).values_list("profile_id", "valid_from"))
    pensions = dict(SocialInsuranceMonth.objects.filter(profile_id__in=profiles).values("profile_id")
                    .annotate(first=Min("month")).values_list("profile_id", "first"))
    result: dict[int, ranking.Assessed] = {}
    for app in apps:
        profile_id = profile_of.get(app.applicant_id)
        item = by_profile.get(profile_id) if profile_id is not None else None
        if item is None or profile_id is None:
            continue
        batch, pension = batches.get(profile_id), pensions.get(profile_id)
        item.key = app.pk
        item.cert_batch = batch.isoformat() if batch else ""
        item.pension_start = pension.isoformat() if pension else ""
        item.applied_on = timezone.localtime(app.applied_at).date().isoformat()
        item.applied_at = app.applied_at.isoformat()
        result[app.pk] = item
    return result


def preferences_bytes(rnd: AllocationRound, apps: list[Application]) -> bytes:
    return lottery.canonical_bytes({"round": rnd.code, "preferences": {a.code: list(a.preferences) for a in apps}})


def round_publish(*, rnd: AllocationRound, actor: User, today: date | None = None) -> AllocationRound:
    """After the window: assess every application with the round's rule set on the closing date, rank them (group,
    then the group's tie-breakers; equal keys share a rank), commit to a secret seed and publish the masked list, the
    ranks, the units, the preferences' digest and the seed's SHA-256."""
    _require_staff(actor, action="housing.round.publish", obj=rnd)
    day = today or wd.today()
    if day <= rnd.closes_on:
        raise TransitionNotAllowed(_("申请期 %(d)s 结束后才能排序公示。") % {"d": rnd.closes_on.isoformat()})
    groups = rnd.rule_set.ranking.get("groups", [])
    seed = secrets.token_hex(32)
    with transaction.atomic():
        _transition(AllocationRound, rnd.pk, sources=(RoundStatus.OPEN, RoundStatus.CLOSED),
                    status=RoundStatus.PUBLISHED, seed=seed, seed_sha256=lottery.sha256_hex(seed),
                    published_at=timezone.now())
        apps = list(Application.objects.filter(round=rnd, status=ApplicationStatus.SUBMITTED)
                    .select_related("applicant").order_by("code"))
        assessed = _assess_batch(rnd, apps)
        ranks = ranking.dense_ranks(assessed.values(), groups)
        ranked: list[Application] = []
        for app in apps:
            item = assessed.get(app.pk)
            if item is None or not item.eligible or item.group_order is None:
                app.status = ApplicationStatus.INELIGIBLE
                app.explanation = _assess(rnd, app.applicant, as_of=rnd.closes_on)["explanation"]
                continue
            group = groups[item.group_order]
            app.group_order, app.group_tier = item.group_order, group["tier"]
            app.group_label, app.guaranteed = group.get("label", group["tier"]), bool(group.get("guaranteed"))
            app.points, app.cert_batch = item.points, item.cert_batch
            app.pension_start = date.fromisoformat(item.pension_start) if item.pension_start else None
            app.rank = ranks[app.pk]
            app.status = ApplicationStatus.RANKED
            ranked.append(app)
        Application.objects.bulk_update(apps, ["status", "explanation", "group_order", "group_tier", "group_label",
                                               "guaranteed", "points", "cert_batch", "pension_start", "rank"])
        rnd.refresh_from_db()
        prefs = preferences_bytes(rnd, ranked)
        units = list(rnd.round_units.select_related("unit").order_by("unit__code"))
        doc = {
            "algorithm": lottery.ALGORITHM, "round": rnd.code, "title": rnd.title,
            "rule_set": {"code": rnd.rule_set.code, "version": rnd.rule_set.version,
                         "sha256": rnd.rule_set.sha256},
            "seed_sha256": rnd.seed_sha256, "preferences_sha256": lottery.sha256_hex(prefs),
            "units": [{"code": ru.unit.code, "layout": ru.unit.layout, "area_m2": str(ru.unit.area_m2)}
                      for ru in units],
            "applicants": [_public_applicant(a, groups[a.group_order or 0])
                           for a in sorted(ranked, key=lambda x: (x.rank or 0, x.code))],
        }
        _publish(rnd, "applicants.json", lottery.canonical_bytes(doc))
        audit_record(action="housing.round.publish", actor=actor, obj=rnd,
                     after={"ranked": len(ranked), "ineligible": len(apps) - len(ranked),
                            "seed_sha256": rnd.seed_sha256})
        guaranteed = sum(1 for a in ranked if a.guaranteed)
        if guaranteed > len(units):
            audit_record(action="housing.round.guarantee_shortfall", actor=actor, obj=rnd,
                         detail={"guaranteed": guaranteed, "units": len(units)})
    return rnd


def surname_only(name: str | None) -> str:
    """张* — the public lists carry the surname only: with the given name's length or last character, a few
    applicants of a small group could be recognised by colleagues."""
    return (name or "").strip()[:1] + "*" if (name or "").strip() else ""


def _public_applicant(app: Application, group: dict[str, Any]) -> dict[str, Any]:
    """One line of ``applicants.json``: what is needed to check the ranks and no more. The tie keys are published
    only for the group that uses them (``ranking.groups[].order``); the pension start only as a year (the exact
    month decides the rank, so two applicants of one year may have different ranks; each applicant sees their own
    exact keys on their page); the name with the surname only."""
    keys = {name.lstrip("-") for name in group.get("order", [])}
    row: dict[str, Any] = {"code": app.code, "name": surname_only(app.applicant.real_name), "group": app.group_label,
                           "guaranteed": app.guaranteed, "rank": app.rank}
    if "points" in keys:
        row["points"] = app.points
    if "cert_batch" in keys:
        row["cert_batch"] = app.cert_batch
    if "pension_start" in keys:
        row["pension_start"] = f"{app.pension_start:%Y}" if app.pension_start else ""
    if "applied_on" in keys:
        row["applied_on"] = timezone.localtime(app.applied_at).date().isoformat()
    if "applied_at" in keys:
        row["applied_at"] = app.applied_at.isoformat()
    return row


def _publish(rnd: AllocationRound, name: str, content: bytes) -> Publication:
    return Publication.objects.create(round=rnd, name=name, content=content.decode("utf-8"),
                                      sha256=lottery.sha256_hex(content))


def publication_bytes(rnd: AllocationRound, name: str) -> bytes:
    pub = Publication.objects.filter(round=rnd, name=name).first()
    if pub is None:
        raise NotFound(_("该文件尚未公布。"))
    return pub.content.encode("utf-8")


def round_draw(*, rnd: AllocationRound, actor: User, today: date | None = None) -> AllocationRound:
    """Reveal the seed and allocate with the pure function over the *published* files; create offers in order and
    put everyone else on the waiting list."""
    _require_staff(actor, action="housing.round.draw", obj=rnd)
    day = today or wd.today()
    rnd.refresh_from_db()
    with transaction.atomic():
        _transition(AllocationRound, rnd.pk, sources=(RoundStatus.PUBLISHED,), status=RoundStatus.DRAWN,
                    drawn_at=timezone.now())
        ranked = list(Application.objects.filter(round=rnd, status=ApplicationStatus.RANKED).order_by("code"))
        prefs = preferences_bytes(rnd, ranked)
        applicants_doc = json.loads(publication_bytes(rnd, "applicants.json"))
        result = lottery.recompute(applicants_doc=applicants_doc, preferences_bytes=prefs, seed=rnd.seed)
        _publish(rnd, "preferences.json", prefs)
        _publish(rnd, "seed.txt", rnd.seed.encode())
        _publish(rnd, "result.json", result)
        order = json.loads(result)["order"]
        by_code = {a.code: a for a in ranked}
        units = {u.code: u for u in Unit.objects.filter(round_offers__round=rnd)}
        deadline = wd.add_working_days(day, rnd.offer_days)
        for row in order:
            app = by_code[row["code"]]
            app.position = row["position"]
            app.status = ApplicationStatus.OFFERED if row["unit"] else ApplicationStatus.WAITLISTED
        Application.objects.bulk_update(ranked, ["position", "status"])
        for row in order:
            if row["unit"]:
                _make_offer(by_code[row["code"]], units[row["unit"]], deadline, rnd)
            else:
                notification_send(recipient=by_code[row["code"]].applicant,
                                  title=_("人才公寓摇号结果：轮候第 %(p)d 位") % {"p": row["position"]},
                                  body=_("本批次房源已配完，您在轮候名单中，有人放弃时将依次递补。"),
                                  link=reverse("housing:round_detail", kwargs={"code": rnd.code}))
        audit_record(action="housing.round.draw", actor=actor, obj=rnd,
                     after={"allocated": sum(1 for r in order if r["unit"]), "result_sha256": lottery.sha256_hex(result)})
    rnd.refresh_from_db()
    return rnd


def _make_offer(app: Application, unit: Unit, deadline: date, rnd: AllocationRound) -> Offer:
    offer = Offer.objects.create(application=app, unit=unit, deadline=deadline)
    Unit.objects.filter(pk=unit.pk).update(status=UnitStatus.RESERVED)
    notification_send(recipient=app.applicant, title=_("人才公寓配租通知：%(u)s") % {"u": unit.code},
                      body=_("请在 %(d)s 前确认是否接受（%(l)s，%(a)s ㎡，实付月租金 %(r)s 元）。") % {
                          "d": deadline.isoformat(), "l": unit.get_layout_display(), "a": unit.area_m2,
                          "r": f"{unit.payable_rent_fen / 100:.2f}"},
                      link=reverse("housing:offer_detail", kwargs={"pk": offer.pk}),
                      channels=(NotificationChannel.SMS,))
    return offer


def _offer_next(rnd: AllocationRound, unit: Unit, *, today: date) -> Offer | None:
    """The freed unit goes to the first waiting applicant (in draw order) who wants its layout, or to a waiting
    guaranteed applicant; with nobody waiting the unit becomes vacant again."""
    for app in (Application.objects.filter(round=rnd, status=ApplicationStatus.WAITLISTED)
                .select_related("applicant").order_by("position")):
        if unit.layout in app.preferences or app.guaranteed:
            if Application.objects.filter(pk=app.pk, status=ApplicationStatus.WAITLISTED).update(
                    status=ApplicationStatus.OFFERED) != 1:
                continue
            offer = _make_offer(app, unit, wd.add_working_days(today, rnd.offer_days), rnd)
            audit_record(action="housing.offer.cascade", obj=offer, detail={"to": app.code, "unit": unit.code})
            return offer
    Unit.objects.filter(pk=unit.pk, status=UnitStatus.RESERVED).update(status=UnitStatus.VACANT)
    return None


def offer_accept(*, offer: Offer, actor: User, today: date | None = None) -> Lease:
    """Accept within the deadline: the lease starts (term, rent, discount and deposit from the unit and the round's
    rule set). The database refuses a second active talent apartment for the same person."""
    day = today or wd.today()
    app = offer.application
    if app.applicant_id != actor.pk:
        raise NotFound(_("配租通知不存在。"))
    if offer.deadline < day:
        raise TransitionNotAllowed(_("已超过确认期限 %(d)s。") % {"d": offer.deadline.isoformat()})
    rule_set = app.round.rule_set
    months = int(rules.param(rule_set, "lease_months", as_of=day))
    deposit_months = int(rules.param(rule_set, "deposit_months", as_of=day))
    unit = offer.unit
    try:
        with transaction.atomic():
            _transition(Offer, offer.pk, sources=(OfferStatus.OPEN,), status=OfferStatus.ACCEPTED,
                        decided_at=timezone.now())
            _transition(Application, app.pk, sources=(ApplicationStatus.OFFERED,), status=ApplicationStatus.ACCEPTED)
            payable = payable_rent(unit.monthly_rent_fen, unit.discount_percent)
            start = day + timedelta(days=1)
            lease = Lease.objects.create(
                tenant=actor, unit=unit, offer=offer, start_date=start, end_date=start + relativedelta(months=months),
                monthly_rent_fen=unit.monthly_rent_fen, discount_percent=unit.discount_percent,
                payable_rent_fen=payable, deposit_fen=payable * deposit_months)
            Unit.objects.filter(pk=unit.pk).update(status=UnitStatus.OCCUPIED)
            audit_record(action="housing.offer.accept", actor=actor, obj=offer, after={"lease": lease.pk})
    except IntegrityError:
        raise Conflict(_("每人只能承租一套人才公寓，您已有在租的人才公寓。"),
                       field_errors={"offer": [_("配租：您已有在租的人才公寓。")]})
    notification_send(recipient=actor, title=_("人才公寓租赁合同已生成"),
                      body=_("%(u)s，租期 %(a)s 至 %(b)s。") % {"u": unit.code, "a": lease.start_date.isoformat(),
                                                             "b": lease.end_date.isoformat()},
                      link=reverse("housing:lease_detail", kwargs={"pk": lease.pk}))
    return lease


def offer_decline(*, offer: Offer, actor: User, today: date | None = None) -> Offer:
    day = today or wd.today()
    app = offer.application
    if app.applicant_id != actor.pk:
        raise NotFound(_("配租通知不存在。"))
    with transaction.atomic():
        _transition(Offer, offer.pk, sources=(OfferStatus.OPEN,), status=OfferStatus.DECLINED,
                    decided_at=timezone.now())
        _transition(Application, app.pk, sources=(ApplicationStatus.OFFERED,), status=ApplicationStatus.DECLINED)
        audit_record(action="housing.offer.decline", actor=actor, obj=offer)
        _offer_next(app.round, offer.unit, today=day)
    offer.refresh_from_db()
    return offer


def offers_lapse(*, today: date | None = None) -> int:
    """Open offers past their deadline lapse and go to the next in line. Idempotent; run daily."""
    day = today or wd.today()
    lapsed = 0
    for offer in Offer.objects.filter(status=OfferStatus.OPEN, deadline__lt=day).select_related(
            "application__round", "unit", "application__applicant"):
        with transaction.atomic():
            if Offer.objects.filter(pk=offer.pk, status=OfferStatus.OPEN).update(
                    status=OfferStatus.LAPSED, decided_at=timezone.now()) != 1:
                continue
            Application.objects.filter(pk=offer.application_id, status=ApplicationStatus.OFFERED).update(
                status=ApplicationStatus.LAPSED)
            audit_record(action="housing.offer.lapse", obj=offer)
            notification_send(recipient=offer.application.applicant, title=_("人才公寓配租已逾期"),
                              body=_("您未在 %(d)s 前确认，房源已依次递补。") % {"d": offer.deadline.isoformat()})
            _offer_next(offer.application.round, offer.unit, today=day)
            lapsed += 1
    return lapsed


# --- leases ----------------------------------------------------------------------------------------------------------

def lease_renew(*, lease: Lease, actor: User, today: date | None = None) -> Lease:
    _require_staff(actor, action="housing.lease.renew", obj=lease)
    day = today or wd.today()
    rule_set = (lease.offer.application.round.rule_set if lease.offer is not None
                else rules.active(RuleSetKind.APARTMENT))
    months = int(rules.param(rule_set, "lease_months", as_of=day))
    max_renewals = int(rules.param(rule_set, "max_renewals", as_of=day))
    if lease.review_flag:
        raise TransitionNotAllowed(_("该合同待复核（人才认定已撤销），复核完成前不能续租。"))
    if lease.renewals >= max_renewals:
        raise TransitionNotAllowed(_("已续租 %(n)d 次，达到上限。") % {"n": lease.renewals})
    with transaction.atomic():
        if Lease.objects.filter(pk=lease.pk, status=LeaseStatus.ACTIVE, renewals=lease.renewals,
                                review_flag=False).update(end_date=lease.end_date + relativedelta(months=months),
                                                          renewals=F("renewals") + 1) != 1:
            raise TransitionNotAllowed(_("状态已变化，请刷新页面后重试。"))
        lease.refresh_from_db()
        audit_record(action="housing.lease.renew", actor=actor, obj=lease,
                     after={"end_date": lease.end_date.isoformat(), "renewals": lease.renewals})
        notification_send(recipient=lease.tenant, title=_("人才公寓已续租"),
                          body=_("新的到期日：%(d)s。") % {"d": lease.end_date.isoformat()},
                          link=reverse("housing:lease_detail", kwargs={"pk": lease.pk}))
    return lease


def lease_move_out(*, lease: Lease, actor: User, moved_out_on: date, deposit_returned_fen: int,
                   deposit_note: str = "") -> Lease:
    _require_staff(actor, action="housing.lease.move_out", obj=lease)
    errors = FieldErrors()
    if moved_out_on < lease.start_date:
        errors.add("moved_out_on", _("退租日：不能早于起租日。"))
    if not 0 <= deposit_returned_fen <= lease.deposit_fen:
        errors.add("deposit_returned_fen", _("退还押金：应在 0 至押金金额之间。"))
    if deposit_returned_fen < lease.deposit_fen and not deposit_note.strip():
        errors.add("deposit_note", _("押金扣减说明：扣减押金时请说明原因。"))
    errors.raise_if_any()
    with transaction.atomic():
        _transition(Lease, lease.pk, sources=(LeaseStatus.ACTIVE,), status=LeaseStatus.ENDED,
                    moved_out_on=moved_out_on, deposit_returned_fen=deposit_returned_fen,
                    deposit_note=deposit_note.strip()[:200])
        Unit.objects.filter(pk=lease.unit_id).update(status=UnitStatus.VACANT)
        lease.refresh_from_db()
        audit_record(action="housing.lease.move_out", actor=actor, obj=lease,
                     after={"moved_out_on": moved_out_on.isoformat(), "deposit_returned_fen": deposit_returned_fen})
        notification_send(recipient=lease.tenant, title=_("人才公寓退租已办结"),
                          body=_("退还押金 %(m)s 元。%(n)s") % {"m": f"{deposit_returned_fen / 100:.2f}",
                                                            "n": deposit_note},
                          link=reverse("housing:lease_detail", kwargs={"pk": lease.pk}))
    return lease


def lease_review_clear(*, lease: Lease, actor: User, note: str) -> Lease:
    _require_staff(actor, action="housing.lease.review", obj=lease)
    if not note.strip():
        raise ValidationFailed(_("提交的信息有误，请按提示修改。"), field_errors={"note": [_("复核意见：请填写。")]})
    with transaction.atomic():
        _transition(Lease, lease.pk, field="review_flag", sources=(True,), review_flag=False,  # type: ignore[arg-type]
                    review_reason=f"{lease.review_reason}\n{_('复核意见')}：{note.strip()}"[:2000])
        audit_record(action="housing.lease.review", actor=actor, obj=lease, detail={"note": note})
    lease.refresh_from_db()
    return lease


def leases_flag_for_revocation(*, talent_user_id: int, certificate_number: str, reason: str) -> int:
    """The talent's certification was revoked: active leases are flagged for review (never ended automatically:
    a person decides), housing staff are told."""
    flagged = 0
    text = _("人才认定（证书 %(n)s）已撤销：%(r)s") % {"n": certificate_number, "r": reason}
    for lease in Lease.objects.filter(tenant_id=talent_user_id, status=LeaseStatus.ACTIVE):
        Lease.objects.filter(pk=lease.pk).update(review_flag=True, review_reason=text[:2000])
        audit_record(action="housing.lease.flag", obj=lease, detail={"certificate": certificate_number})
        flagged += 1
        for staff in housing_staff_users():
            notification_send(recipient=staff, title=_("人才公寓合同待复核：%(u)s") % {"u": lease.unit.code},
                              body=text, link=reverse("housing:lease_detail", kwargs={"pk": lease.pk}))
    return flagged


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


def stays_escalate_overdue(*, today: date | None = None) -> int:
    """Pending bookings not decided within the decision window go to the housing department's heads (inbox + SMS),
    once per booking."""
    from onestop.core.choices import Role

    from .permissions import HOUSING_DEPARTMENT

    day = today or wd.today()
    heads = list(User.objects.filter(role_assignments__department__code=HOUSING_DEPARTMENT,
                                     role_assignments__role=Role.DEPT_HEAD, is_active=True).distinct())
    recipients = heads or housing_staff_users()
    escalated = 0
    for booking in StayBooking.objects.filter(status=StayStatus.PENDING, decision_due__lt=day,
                                              escalated_at__isnull=True):
        with transaction.atomic():
            if StayBooking.objects.filter(pk=booking.pk, status=StayStatus.PENDING,
                                          escalated_at__isnull=True).update(escalated_at=timezone.now()) != 1:
                continue
            audit_record(action="housing.stay.escalate", obj=booking, detail={"due": booking.decision_due.isoformat()})
            for person in recipients:
                notification_send(recipient=person, title=_("暖心驿站预订超期未答复：%(r)s") % {"r": booking.reference},
                                  body=_("答复期限 %(d)s 已过，请尽快处理。") % {"d": booking.decision_due.isoformat()},
                                  link=reverse("housing:desk"), channels=(NotificationChannel.SMS,))
            escalated += 1
    return escalated


def housing_tick(*, today: date | None = None) -> dict[str, int]:
    """What the scheduler runs daily: release no-shows, escalate undecided bookings, lapse overdue offers (cascading
    to the next in line). Idempotent."""
    day = today or wd.today()
    return {"no_shows": stays_release_no_shows(today=day), "escalated": stays_escalate_overdue(today=day),
            "offers_lapsed": offers_lapse(today=day)}

