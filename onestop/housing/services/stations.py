"""Warm-station stays: booking per night slot, decisions, check-in/out, no-shows and escalation."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
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

from .. import rules
from ..choices import (
    RuleSetKind,
    StayStatus,
)
from ..errors import BedUnavailable, NotEligible, TransitionNotAllowed
from ..models import (
    Bed,
    BedNight,
    StayAllowance,
    StayBooking,
    WarmStation,
)
from ..permissions import housing_staff_users
from .common import _require_staff, _station_url, _transition
from .inventory import _BedOutOfService, _hold_active_bed

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



def stays_escalate_overdue(*, today: date | None = None) -> int:
    """Pending bookings not decided within the decision window go to the housing department's heads (inbox + SMS),
    once per booking."""
    from onestop.core.choices import Role

    from ..permissions import HOUSING_DEPARTMENT

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
