"""Retention of housing data (see onestop/core/retention.py): warm-station stays after check-out.

The free nights a person has used are counted in ``StayAllowance``, not from old bookings, so removing a booking
never gives nights back."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from onestop.core.retention import RetentionRule, register

from .choices import StayStatus
from .models import StayBooking

ENDED_UNUSED = (StayStatus.REJECTED, StayStatus.CANCELLED, StayStatus.NO_SHOW)


def _day(cutoff: datetime) -> object:
    return timezone.localdate(cutoff)


register(RetentionRule(
    key="housing.stay_unused", model=StayBooking, label="未入住的驿站预订（未通过、已取消、未到店）", days=365,
    basis="PIPL 第 19 条、第 47 条；申请目的未实现，保留一年供复核和投诉",
    expired=lambda cutoff: StayBooking.objects.filter(status__in=ENDED_UNUSED, check_out__lt=_day(cutoff))))
register(RetentionRule(
    key="housing.stay_completed", model=StayBooking, label="已退房的驿站入住记录", days=3 * 365,
    basis="PIPL 第 19 条；财政免费住宿的核查期 3 年（入住晚数另计在额度中）",
    expired=lambda cutoff: StayBooking.objects.filter(status=StayStatus.CHECKED_OUT, check_out__lt=_day(cutoff))))
