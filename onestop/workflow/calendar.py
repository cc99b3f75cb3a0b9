"""Working-day arithmetic on the official Chinese calendar, kept as data (``CalendarYear`` / ``CalendarDay``).

A year with a ``CalendarYear`` row is counted from its rows: an official holiday is a rest day even on a weekday, a
make-up working weekend (调休) is a working day. A year without data — the chinese-calendar package stops at its
release year and the State Council announces the next year in November — is counted Monday–Friday, and every result
that touched such a year says so (``estimated``), so staff see a warning. Nothing here ever raises for a missing year.

Conventions: ``add_working_days(d, n)`` is the n-th working day *after* d (d itself does not count; n=0 gives d);
``working_days_between(a, b)`` counts the working days in (a, b], negative when b is before a.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from .choices import DayType

MAX_SPAN_DAYS = 3660  # ten years: a guard against a runaway loop, far beyond any deadline


def today() -> date:
    """The platform's current date (Asia/Shanghai). One function, so tests can move the clock."""
    return timezone.localdate()


@dataclass(frozen=True)
class Deadline:
    due_date: date
    estimated: bool
    uncovered_years: tuple[int, ...] = ()


class WorkingCalendar:
    """Reads each year's rows once (one query per year touched). Create one per operation; cheap to discard."""

    def __init__(self) -> None:
        self._years: dict[int, dict[date, str] | None] = {}
        self.uncovered: set[int] = set()

    def preload(self, years: Iterable[int]) -> None:
        from .models import CalendarDay, CalendarYear

        wanted = [y for y in set(years) if y not in self._years]
        if not wanted:
            return
        covered = set(CalendarYear.objects.filter(year__in=wanted).values_list("year", flat=True))
        days: dict[int, dict[date, str]] = {y: {} for y in covered}
        for day, kind, year in CalendarDay.objects.filter(calendar_year__year__in=covered).values_list(
                "date", "day_type", "calendar_year__year"):
            days[year][day] = kind
        for y in wanted:
            self._years[y] = days.get(y)

    def _exceptions(self, year: int) -> dict[date, str] | None:
        if year not in self._years:
            self.preload([year])
        exceptions = self._years[year]
        if exceptions is None:
            self.uncovered.add(year)
        return exceptions

    def covers(self, year: int) -> bool:
        if year not in self._years:
            self.preload([year])
        return self._years[year] is not None

    def is_working_day(self, day: date) -> bool:
        exceptions = self._exceptions(day.year)
        if exceptions is not None and day in exceptions:
            return exceptions[day] == DayType.WORKDAY
        return day.weekday() < 5

    def add_working_days(self, start: date, n: int) -> date:
        if n < 0:
            raise ValueError("n must be >= 0")
        day = start
        remaining = n
        for _ in range(MAX_SPAN_DAYS):
            if remaining == 0:
                return day
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        raise ValueError("deadline too far in the future")

    def next_working_day(self, start: date) -> date:
        return self.add_working_days(start, 1)

    def working_days_between(self, start: date, end: date) -> int:
        if end < start:
            return -self.working_days_between(end, start)
        if (end - start).days > MAX_SPAN_DAYS:
            raise ValueError("span too long")
        self.preload(range(start.year, end.year + 1))
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count

    def deadline(self, start: date, n: int) -> Deadline:
        """The due date n working days after ``start``, flagged as estimated if it crossed a year without data."""
        self.preload(range(start.year, start.year + 2))
        due = self.add_working_days(start, n)
        missing = tuple(y for y in range(start.year, due.year + 1) if not self.covers(y))
        return Deadline(due_date=due, estimated=bool(missing), uncovered_years=missing)


# Module-level helpers for callers that need one answer.

def add_working_days(start: date, n: int) -> date:
    return WorkingCalendar().add_working_days(start, n)


def working_days_between(start: date, end: date) -> int:
    return WorkingCalendar().working_days_between(start, end)


def is_working_day(day: date) -> bool:
    return WorkingCalendar().is_working_day(day)


def year_is_covered(year: int) -> bool:
    return WorkingCalendar().covers(year)


def deadline_after(start: date, n: int) -> Deadline:
    return WorkingCalendar().deadline(start, n)


def uncovered_years_ahead(*, start: date | None = None, years: int = 2) -> list[int]:
    """The years from ``start`` on (this year and next by default) with no holiday data: staff see a warning."""
    first = (start or today()).year
    cal = WorkingCalendar()
    cal.preload(range(first, first + years))
    return [y for y in range(first, first + years) if not cal.covers(y)]


# --- the chinese-calendar package ------------------------------------------------------------------------------------

PACKAGE_NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def package_years() -> range:
    """The years the installed chinese-calendar package knows."""
    import chinese_calendar
    from chinese_calendar import constants

    del chinese_calendar
    first = min(constants.holidays).year
    last = max(max(constants.holidays), max(constants.workdays)).year
    return range(first, last + 1)


def package_days(year: int) -> list[tuple[date, str, str]]:
    """The days of ``year`` that differ from Monday–Friday, read from the package: (date, day type, name).
    Raises ``NotImplementedError`` (the package's own error) for a year it does not know."""
    import chinese_calendar

    out: list[tuple[date, str, str]] = []
    day = date(year, 1, 1)
    while day.year == year:
        working = chinese_calendar.is_workday(day)
        _is_holiday, name = chinese_calendar.get_holiday_detail(day)
        label = PACKAGE_NAMES.get(name or "", name or "")
        weekday = day.weekday() < 5
        if not working and (weekday or name):
            out.append((day, DayType.HOLIDAY, label))
        elif working and not weekday:
            out.append((day, DayType.WORKDAY, f"{label}调休" if label else ""))
        day += timedelta(days=1)
    return out
