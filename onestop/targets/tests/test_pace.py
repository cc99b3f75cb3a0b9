"""The pace: what is due by a given day (linear, by monthly profile, a level), start and end of the year, leap years,
and the status it gives a figure."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.targets import pace

SEASON = [4, 4, 6, 6, 8, 12, 16, 14, 10, 8, 6, 6]


def test_linear_pace_counts_days_and_knows_leap_years():
    assert pace.linear_fraction(2024, date(2024, 1, 1)) == 1 / 366
    assert pace.linear_fraction(2023, date(2023, 1, 1)) == 1 / 365
    assert pace.linear_fraction(2024, date(2024, 2, 29)) == 60 / 366
    assert pace.linear_fraction(2024, date(2024, 7, 1)) == 183 / 366
    assert pace.linear_fraction(2024, date(2024, 12, 31)) == 1.0
    assert pace.linear_fraction(2024, date(2023, 12, 31)) == 0.0  # before the year
    assert pace.linear_fraction(2024, date(2025, 3, 1)) == 1.0  # after it


def test_monthly_profile_counts_completed_months_and_the_current_one_by_its_days():
    total = sum(SEASON)
    assert pace.monthly_fraction(2024, date(2024, 1, 31), SEASON) == pytest.approx(4 / total)
    assert pace.monthly_fraction(2024, date(2024, 2, 29), SEASON) == pytest.approx(8 / total)  # leap February
    assert pace.monthly_fraction(2023, date(2023, 2, 14), SEASON) == pytest.approx((4 + 4 * 14 / 28) / total)
    assert pace.monthly_fraction(2024, date(2024, 7, 16), SEASON) == pytest.approx((40 + 16 * 16 / 31) / total)
    assert pace.monthly_fraction(2024, date(2024, 12, 31), SEASON) == 1.0
    assert pace.monthly_fraction(2024, date(2023, 6, 1), SEASON) == 0.0
    flat = [1] * 12
    assert pace.monthly_fraction(2024, date(2024, 6, 30), flat) == pytest.approx(0.5)


@pytest.mark.parametrize("bad", [[1] * 11, [0] * 12, [1] * 11 + [-1], [1] * 11 + [float("nan")]])
def test_a_monthly_profile_needs_twelve_non_negative_weights(bad):
    with pytest.raises(ValueError):
        pace.validate_profile(bad)


def test_level_pace_is_due_in_full_from_the_first_day():
    assert pace.due_fraction("level", 2024, date(2024, 1, 1)) == 1.0
    assert pace.due_fraction("level", 2024, date(2023, 12, 31)) == 0.0


def test_status_of_a_figure():
    assert pace.status(100, 100, 50) == "achieved"
    assert pace.status(60, 100, 50) == "ahead"
    assert pace.status(50.1, 100, 50) == "on_pace"  # within half a per cent of the due amount
    assert pace.status(49.9, 100, 50) == "on_pace"
    assert pace.status(40, 100, 50) == "behind"
    assert pace.status(0, 100, 0) == "on_pace"  # nothing due yet
    assert pace.status(5, None, None) == "indicator"


@given(st.integers(2000, 2100), st.integers(0, 400), st.lists(st.integers(0, 50), min_size=12, max_size=12))
def test_due_fractions_never_decrease_and_stay_within_zero_and_one(year, offset, weights):
    day = date(year, 1, 1) + timedelta(days=offset - 10)
    later = day + timedelta(days=1)
    lin, lin2 = pace.linear_fraction(year, day), pace.linear_fraction(year, later)
    assert 0.0 <= lin <= lin2 <= 1.0
    if sum(weights) > 0:
        m, m2 = pace.monthly_fraction(year, day, weights), pace.monthly_fraction(year, later, weights)
        assert 0.0 <= m <= m2 + 1e-12 and m2 <= 1.0 + 1e-12
        if later >= date(year, 12, 31):
            assert m2 == 1.0


def test_the_dashboard_marks_ahead_and_behind_from_the_pace(org):
    from onestop.targets import figures
    from onestop.targets.models import Target

    from .conftest import TODAY

    data = {t["code"]: t for t in figures.compute(2024, TODAY)["targets"]}
    employed = data["employed_new"]
    assert employed["due_fraction"] == round(pace.linear_fraction(2024, TODAY), 4)
    assert employed["expected"] == round(100000 * pace.linear_fraction(2024, TODAY), 2)
    assert employed["status"] == "behind"
    graduates = data["graduates_employed"]
    assert graduates["pace"] == "monthly"
    assert graduates["due_line"][11] == 50000 and graduates["due_line"][0] == round(50000 * 4 / 100, 2)
    assert data["certifications"]["status"] == "indicator" and data["certifications"]["expected"] is None
    Target.objects.filter(year=2024, code="phd_recruited").update(target_value=0)
    assert figures.compute(2024, TODAY)["targets"][3]["status"] == "achieved"
