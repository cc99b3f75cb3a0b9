"""Working days on the official calendar kept as data: National Day and Spring Festival weeks with their make-up
working weekends, a year without data counted Monday–Friday with a warning, the loader and the admin's page."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command

from onestop.core.exceptions import NotFound, ValidationFailed
from onestop.core.models import AuditEvent
from onestop.workflow import calendar as wd
from onestop.workflow.choices import CalendarSource, DayType
from onestop.workflow.models import CalendarDay, CalendarYear
from onestop.workflow.services import calendar_year_enter, calendar_year_load_package

pytestmark = pytest.mark.django_db

D = date.fromisoformat


# --- National Day 2024: 10-01..10-07 off, Sunday 09-29 and Saturday 10-12 are working days --------------------------

def test_national_day_2024_make_up_sunday_is_a_working_day(official_calendar):
    assert wd.is_working_day(D("2024-09-29"))          # Sunday, 调休上班
    assert not wd.is_working_day(D("2024-09-28"))      # an ordinary Saturday
    assert not wd.is_working_day(D("2024-10-01"))
    assert not wd.is_working_day(D("2024-10-07"))      # Monday, still the holiday
    assert wd.is_working_day(D("2024-10-12"))          # Saturday, 调休上班


def test_national_day_2024_deadlines_skip_the_golden_week(official_calendar):
    assert wd.add_working_days(D("2024-09-27"), 1) == D("2024-09-29")
    assert wd.add_working_days(D("2024-09-27"), 2) == D("2024-09-30")
    assert wd.add_working_days(D("2024-09-27"), 3) == D("2024-10-08")
    assert wd.add_working_days(D("2024-09-30"), 5) == D("2024-10-12")   # 10-08..11 are 4, the make-up Saturday is 5
    assert wd.add_working_days(D("2024-09-30"), 6) == D("2024-10-14")


def test_working_days_between_across_national_day_2024(official_calendar):
    # (09-27, 10-12]: 09-29, 09-30, 10-08, 10-09, 10-10, 10-11, 10-12
    assert wd.working_days_between(D("2024-09-27"), D("2024-10-12")) == 7
    assert wd.working_days_between(D("2024-10-12"), D("2024-09-27")) == -7
    assert wd.working_days_between(D("2024-10-01"), D("2024-10-07")) == 0


# --- Spring Festival 2025: 01-28..02-04 off, Sunday 01-26 and Saturday 02-08 are working days ----------------------

def test_spring_festival_2025_calendar(official_calendar):
    assert wd.is_working_day(D("2025-01-26"))
    assert wd.is_working_day(D("2025-02-08"))
    assert not any(wd.is_working_day(D(f"2025-01-{d}")) for d in (28, 29, 30, 31))
    assert not any(wd.is_working_day(D(f"2025-02-0{d}")) for d in (1, 2, 3, 4))


def test_spring_festival_2025_deadline_of_five_working_days(official_calendar):
    assert wd.add_working_days(D("2025-01-24"), 1) == D("2025-01-26")
    assert wd.add_working_days(D("2025-01-24"), 3) == D("2025-02-05")
    # five working days from Monday 01-27: 02-05, 02-06, 02-07, 02-08 (Saturday, make-up), 02-10
    assert wd.add_working_days(D("2025-01-27"), 5) == D("2025-02-10")
    assert wd.working_days_between(D("2025-01-24"), D("2025-02-10")) == 7


def test_zero_days_is_the_start_and_negative_is_refused(official_calendar):
    assert wd.add_working_days(D("2024-10-01"), 0) == D("2024-10-01")
    with pytest.raises(ValueError):
        wd.add_working_days(D("2024-10-01"), -1)


# --- a year without data --------------------------------------------------------------------------------------------

def test_uncovered_year_counts_monday_to_friday_and_never_fails(official_calendar):
    assert not wd.year_is_covered(2027)
    assert wd.is_working_day(D("2027-01-01"))          # New Year's Day, unknown yet: a Friday counts
    assert not wd.is_working_day(D("2027-01-02"))
    deadline = wd.deadline_after(D("2026-12-30"), 3)
    assert deadline.due_date == D("2027-01-04")         # 12-31, 01-01 (estimated), 01-04
    assert deadline.estimated is True
    assert deadline.uncovered_years == (2027,)


def test_covered_deadline_is_not_estimated(official_calendar):
    deadline = wd.deadline_after(D("2024-09-27"), 3)
    assert (deadline.due_date, deadline.estimated) == (D("2024-10-08"), False)


def test_uncovered_years_ahead_names_the_missing_years(official_calendar):
    assert wd.uncovered_years_ahead(start=D("2026-11-30")) == [2027]
    assert wd.uncovered_years_ahead(start=D("2024-03-01")) == []


def test_the_package_raises_for_a_year_after_its_release_but_the_loader_does_not():
    with pytest.raises(NotImplementedError):
        wd.package_days(2099)
    assert calendar_year_load_package(year=2099) is None
    assert not CalendarYear.objects.filter(year=2099).exists()


# --- the loader command ------------------------------------------------------------------------------------------

def test_load_holidays_command_loads_a_range_and_reports_missing_years(capsys):
    call_command("load_holidays", years="2024-2025,2099")

    out = capsys.readouterr().out
    assert set(CalendarYear.objects.values_list("year", flat=True)) == {2024, 2025}
    assert CalendarYear.objects.get(year=2024).source == CalendarSource.PACKAGE
    assert CalendarDay.objects.get(date=D("2024-10-12")).day_type == DayType.WORKDAY
    assert CalendarDay.objects.get(date=D("2024-10-01")).name == "国庆节"
    assert "2099" in out
    assert AuditEvent.objects.filter(action="workflow.calendar.load").count() == 2


def test_load_holidays_is_idempotent_and_keeps_an_admin_year(sys_admin):
    call_command("load_holidays", years="2024")
    call_command("load_holidays", years="2024")
    assert CalendarDay.objects.filter(calendar_year__year=2024).count() == len(wd.package_days(2024))

    calendar_year_enter(year=2025, holidays=[(D("2025-01-01"), "元旦")], workdays=[], announcement="国办发明电", actor=sys_admin)
    call_command("load_holidays", years="2025")
    assert CalendarYear.objects.get(year=2025).source == CalendarSource.ADMIN


# --- the administrator enters a new year ---------------------------------------------------------------------------

HOLIDAYS_2027 = [(D("2027-01-01"), "元旦"), *[(D(f"2027-02-{d:02d}"), "春节") for d in range(6, 14)]]


def test_admin_enters_2027_and_deadlines_follow_it(official_calendar, sys_admin):
    calendar_year_enter(year=2027, holidays=HOLIDAYS_2027, workdays=[(D("2027-02-20"), "春节调休")],
                        announcement="国务院办公厅关于2027年部分节假日安排的通知", actor=sys_admin)

    assert wd.year_is_covered(2027)
    assert not wd.is_working_day(D("2027-01-01"))
    assert wd.is_working_day(D("2027-02-20"))
    assert wd.deadline_after(D("2026-12-30"), 3) == wd.Deadline(D("2027-01-05"), False, ())
    assert AuditEvent.objects.filter(action="workflow.calendar.enter", actor=sys_admin).exists()


def test_admin_entry_is_validated_with_field_errors(sys_admin):
    with pytest.raises(ValidationFailed) as exc:
        calendar_year_enter(year=2027, holidays=[(D("2026-12-31"), "元旦")],
                            workdays=[(D("2027-02-22"), "调休")], announcement=" ", actor=sys_admin)

    errors = exc.value.field_errors
    assert errors["announcement"] == ["依据文件：请填写国务院办公厅通知的名称或文号。"]
    assert "不在 2027 年内" in errors["holidays"][0]
    assert "不是周六或周日" in errors["workdays"][0]


def test_only_the_system_admin_enters_holidays(staff, sec_admin):
    for user in (staff, sec_admin):
        with pytest.raises(NotFound):
            calendar_year_enter(year=2027, holidays=HOLIDAYS_2027, workdays=[], announcement="x", actor=user)
