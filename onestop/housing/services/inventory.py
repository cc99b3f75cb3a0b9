"""Inventory: projects, units, warm stations and beds (browser form and Excel import share these)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.choices import NotificationChannel
from onestop.core.exceptions import Conflict, ValidationFailed
from onestop.core.models import User
from onestop.core.notifications import notification_send
from onestop.core.services import FieldErrors
from onestop.workflow import calendar as wd

from ..choices import (
    Layout,
    ProjectKind,
    RoundStatus,
    UnitStatus,
)
from ..errors import TransitionNotAllowed
from ..models import (
    Bed,
    BedNight,
    Building,
    Project,
    Room,
    RoundUnit,
    StayBooking,
    Unit,
    WarmStation,
)
from .common import _require_staff, _station_url, _transition

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
