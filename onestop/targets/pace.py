"""Pace: how much of a yearly target is due by a given day, and whether a figure is ahead of it or behind.

Pure Python (no Django), so it can be tested exhaustively: linear through the year (leap years have 366 days), by
a monthly profile (12 weights; the current month counts in proportion to its days), or a level to hold all year
(ratios and averages, where "due" is the target itself from the first day).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date

LINEAR = "linear"
MONTHLY = "monthly"
LEVEL = "level"
# Within half a percent of the due amount counts as on pace, so a figure is not called "behind" by rounding.
TOLERANCE = 0.005


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def days_in_year(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


def linear_fraction(year: int, as_of: date) -> float:
    """Share of the year elapsed at the end of ``as_of`` (1 Jan → 1/365; 31 Dec → 1)."""
    first, last = year_bounds(year)
    if as_of < first:
        return 0.0
    if as_of >= last:
        return 1.0
    return ((as_of - first).days + 1) / days_in_year(year)


def validate_profile(profile: Sequence[float]) -> list[float]:
    """Twelve non-negative monthly weights with a positive sum; raises ValueError otherwise."""
    if len(profile) != 12:
        raise ValueError("a monthly profile has 12 weights")
    weights = [float(w) for w in profile]
    if any(w < 0 or w != w for w in weights):
        raise ValueError("weights are non-negative numbers")
    if sum(weights) <= 0:
        raise ValueError("the weights must not all be zero")
    return weights


def monthly_fraction(year: int, as_of: date, profile: Sequence[float]) -> float:
    """Share due by the end of ``as_of``: the completed months' weights plus the current month's weight in
    proportion to its elapsed days."""
    weights = validate_profile(profile)
    first, last = year_bounds(year)
    if as_of < first:
        return 0.0
    if as_of >= last:
        return 1.0
    done = sum(weights[: as_of.month - 1])
    month_days = calendar.monthrange(year, as_of.month)[1]
    done += weights[as_of.month - 1] * as_of.day / month_days
    return min(done / sum(weights), 1.0)


def due_fraction(pace: str, year: int, as_of: date, profile: Sequence[float] = ()) -> float:
    if pace == LEVEL:
        return 1.0 if as_of >= date(year, 1, 1) else 0.0
    if pace == MONTHLY:
        return monthly_fraction(year, as_of, profile)
    return linear_fraction(year, as_of)


def status(value: float | None, target: float | None, due: float | None) -> str:
    """achieved / ahead / on_pace / behind for a target; ``indicator`` when there is no target to compare."""
    if target is None or value is None or due is None:
        return "indicator"
    if value >= target:
        return "achieved"
    slack = max(abs(due) * TOLERANCE, 1e-9)
    if value > due + slack:
        return "ahead"
    if value >= due - slack:
        return "on_pace"
    return "behind"
