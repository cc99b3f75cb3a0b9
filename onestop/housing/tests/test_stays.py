"""Warm-station stays: eligibility from the rule set, working-day lead time, the nights limit across bookings, the
decision within one working day, check-in/out by QR token, no-show release."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction

from onestop.core.exceptions import Conflict, NotFound, ValidationFailed
from onestop.housing import services
from onestop.housing.choices import StayStatus
from onestop.housing.errors import BedUnavailable, NotEligible, TransitionNotAllowed
from onestop.housing.models import BedNight, StayAllowance

from .conftest import TODAY, graduate, make_station

pytestmark = pytest.mark.django_db

THURSDAY = TODAY + timedelta(days=3)  # three working days after Monday


def test_lead_time_counts_working_days_not_calendar_days(station):
    guest = graduate()
    with pytest.raises(ValidationFailed) as exc:
        services.stay_book(guest=guest, station=station, check_in=TODAY + timedelta(days=2), nights=1)
    assert "至少提前 3 个工作日" in exc.value.field_errors["check_in"][0]
    assert "2026-03-05" in exc.value.field_errors["check_in"][0]
    booking = services.stay_book(guest=guest, station=station, check_in=THURSDAY, nights=1)
    assert booking.status == StayStatus.CONFIRMED


def test_lead_time_skips_the_weekend_and_official_holidays(station, clock):
    from onestop.workflow.models import CalendarDay, CalendarYear

    clock.today = date(2026, 3, 6)  # a Friday: Mon 9, Tue 10, Wed 11 are the next three working days
    guest = graduate()
    with pytest.raises(ValidationFailed):
        services.stay_book(guest=guest, station=station, check_in=date(2026, 3, 10), nights=1)
    year = CalendarYear.objects.create(year=2026, source="admin")
    CalendarDay.objects.create(calendar_year=year, date=date(2026, 3, 9), day_type="holiday", name="测试假日")
    with pytest.raises(ValidationFailed) as exc:
        services.stay_book(guest=guest, station=station, check_in=date(2026, 3, 11), nights=1)
    assert "2026-03-12" in exc.value.field_errors["check_in"][0]
    assert services.stay_book(guest=guest, station=station, check_in=date(2026, 3, 12), nights=1).pk


def test_nights_limit_holds_across_bookings_and_cancelling_gives_nights_back(station):
    guest = graduate()
    first = services.stay_book(guest=guest, station=station, check_in=THURSDAY, nights=4)
    services.stay_book(guest=guest, station=station, check_in=THURSDAY + timedelta(days=10), nights=3)
    assert services.nights_used(user=guest) == 7
    with pytest.raises(ValidationFailed) as exc:
        services.stay_book(guest=guest, station=station, check_in=THURSDAY + timedelta(days=20), nights=1)
    assert "还可预订 0 晚" in exc.value.field_errors["nights"][0]
    services.stay_cancel(booking=first, actor=guest)
    assert services.nights_used(user=guest) == 3
    assert services.stay_book(guest=guest, station=station, check_in=THURSDAY + timedelta(days=20), nights=4).pk
    with pytest.raises(ValidationFailed):
        services.stay_book(guest=guest, station=station, check_in=THURSDAY + timedelta(days=30), nights=8)


def test_the_allowance_update_itself_refuses_to_overshoot(station):
    """Even if the pre-check were raced, the conditional UPDATE keeps nights_used ≤ the limit."""
    guest = graduate()
    StayAllowance.objects.create(user=guest, nights_used=6)
    with pytest.raises(ValidationFailed):
        services.stay_book(guest=guest, station=station, check_in=THURSDAY, nights=2)
    assert StayAllowance.objects.get(user=guest).nights_used == 6
    assert not BedNight.objects.exists()


def test_a_bed_night_cannot_be_inserted_twice_by_the_database(station):
    guest, other = graduate(), graduate()
    booking = services.stay_book(guest=guest, station=station, check_in=THURSDAY, nights=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        BedNight.objects.create(bed=booking.bed, night=THURSDAY, booking=booking, guest=other)


def test_full_station_and_second_bed(station):
    a, b, c = graduate(), graduate(), graduate()
    first = services.stay_book(guest=a, station=station, check_in=THURSDAY, nights=2)
    second = services.stay_book(guest=b, station=station, check_in=THURSDAY + timedelta(days=1), nights=2)
    assert first.bed != second.bed
    with pytest.raises(BedUnavailable):
        services.stay_book(guest=c, station=station, check_in=THURSDAY + timedelta(days=1), nights=1)
    assert services.nights_used(user=c) == 0  # the refused booking used no nights
    assert services.stay_book(guest=c, station=station, check_in=THURSDAY + timedelta(days=3), nights=1).pk


def test_ineligible_graduate_is_refused_with_the_rules_reasons(station):
    guest = graduate(graduation_date=date(2022, 6, 30), job_seeking=False)
    with pytest.raises(NotEligible) as exc:
        services.stay_book(guest=guest, station=station, check_in=THURSDAY, nights=1)
    text = " ".join(exc.value.field_errors["eligibility"])
    assert "毕业不超过两年" in text and "持面试通知来港求职" in text


def test_skilled_worker_from_outside_is_eligible(station):
    guest = graduate(education="junior_college", skill_level="technician")
    assert services.stay_book(guest=guest, station=station, check_in=THURSDAY, nights=1).status == "confirmed"


def test_unknown_fact_goes_to_staff_who_decide_within_one_working_day(station, desk):
    guest = graduate(homes_declared=False)  # "owns a home in the city" is unknown → a person decides
    booking = services.stay_book(guest=guest, station=station, check_in=THURSDAY, nights=2)
    assert booking.status == StayStatus.PENDING
    assert booking.decision_due == TODAY + timedelta(days=1)
    assert BedNight.objects.filter(booking=booking).count() == 2  # the bed is held meanwhile
    assert desk.notifications.filter(title__contains="待审核").exists()
    decided = services.stay_decide(booking=booking, actor=desk, approve=True)
    assert decided.status == StayStatus.CONFIRMED
    note = guest.notifications.get(title__contains="已确认")
    assert "航空港区迎宾大道 8 号" in note.body and note.deliveries.filter(channel="sms").exists()
    with pytest.raises(TransitionNotAllowed):
        services.stay_decide(booking=booking, actor=desk, approve=False, reason="重复")


def test_rejection_needs_a_reason_and_releases_the_bed(station, desk):
    guest = graduate(homes_declared=False)
    booking = services.stay_book(guest=guest, station=station, check_in=THURSDAY, nights=2)
    with pytest.raises(ValidationFailed):
        services.stay_decide(booking=booking, actor=desk, approve=False)
    services.stay_decide(booking=booking, actor=desk, approve=False, reason="在郑州有自有住房")
    assert not BedNight.objects.filter(booking=booking).exists()
    assert services.nights_used(user=guest) == 0


def test_only_housing_staff_decide(station, staff):
    booking = services.stay_book(guest=graduate(homes_declared=False), station=station, check_in=THURSDAY, nights=1)
    with pytest.raises(NotFound):
        services.stay_decide(booking=booking, actor=staff, approve=True)  # talent-office staff: not housing


def test_check_in_and_out_by_the_bookings_token(station, desk, clock):
    guest = graduate()
    booking = services.stay_book(guest=guest, station=station, check_in=THURSDAY, nights=3)
    found = services.stay_by_token(actor=desk, token=booking.token)
    with pytest.raises(TransitionNotAllowed):
        services.stay_check_in(booking=found, actor=desk)  # not yet the check-in day
    clock.today = THURSDAY
    services.stay_check_in(booking=found, actor=desk)
    clock.today = THURSDAY + timedelta(days=1)  # leaves after one night
    out = services.stay_check_out(booking=found, actor=desk)
    assert out.status == StayStatus.CHECKED_OUT
    assert BedNight.objects.filter(booking=booking).count() == 1
    assert services.nights_used(user=guest) == 1
    with pytest.raises(NotFound):
        services.stay_by_token(actor=desk, token="nope")


def test_no_show_releases_the_bed(station, clock):
    guest, late = graduate(), graduate()
    booking = services.stay_book(guest=guest, station=station, check_in=THURSDAY, nights=2)
    services.stay_book(guest=graduate(), station=station, check_in=THURSDAY, nights=2)
    with pytest.raises(BedUnavailable):
        services.stay_book(guest=late, station=station, check_in=THURSDAY + timedelta(days=1), nights=1,
                           today=THURSDAY - timedelta(days=4))
    clock.today = THURSDAY + timedelta(days=1)
    assert services.housing_tick()["no_shows"] == 2
    booking.refresh_from_db()
    assert booking.status == StayStatus.NO_SHOW
    assert services.nights_used(user=guest) == 0
    assert services.housing_tick()["no_shows"] == 0  # idempotent


def test_one_person_one_bed_per_night(db):
    big = make_station(beds=3, code="big")
    guest = graduate()
    services.stay_book(guest=guest, station=big, check_in=THURSDAY, nights=1)
    with pytest.raises(Conflict):
        services.stay_book(guest=guest, station=big, check_in=THURSDAY, nights=1)


def test_undecided_booking_is_escalated_to_the_head_once(station, desk, desk_head, clock):
    booking = services.stay_book(guest=graduate(homes_declared=False), station=station, check_in=THURSDAY, nights=1)
    clock.today = TODAY + timedelta(days=1)
    assert services.housing_tick()["escalated"] == 0  # due today: not yet overdue
    clock.today = TODAY + timedelta(days=2)
    assert services.housing_tick()["escalated"] == 1
    assert services.housing_tick()["escalated"] == 0
    assert desk_head.notifications.filter(title__contains=booking.reference).exists()
