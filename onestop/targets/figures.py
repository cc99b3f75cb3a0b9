"""The dashboard's numbers for one year as of one day: for each target its value (live from the records, or the sum
of the reported months), monthly trend and running total, the target, per cent done, what is due by the pace, and
whether it is ahead or behind; plus the earlier year's results. One aggregate query per source (measures.monthly),
one for the reported figures, one for the history. The same dictionary feeds the page, the API, the Excel export,
the PDF report and the cached snapshot."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from django.utils import timezone

from onestop.workflow import calendar as wd

from . import measures, pace, partials
from .choices import REPORTED
from .models import HistoricalFigure, ReportedFigure, Target


def as_of_for(year: int, today: date | None = None) -> date:
    """The day a year's figures are counted to: today, or 31 December for a past year."""
    today = today or wd.today()
    return min(today, date(year, 12, 31))


def months_elapsed(year: int, as_of: date) -> int:
    if as_of < date(year, 1, 1):
        return 0
    return 12 if as_of.year > year else as_of.month


def number(value: float | None) -> float | int | None:
    """Whole numbers as int in the JSON (2 not 2.0); others rounded to two places."""
    if value is None:
        return None
    if float(value).is_integer():
        return int(value)
    return round(float(value), 2)


def _reported_monthly(targets: list[Target], as_of: date) -> dict[int, measures.Monthly]:
    ids = [t.pk for t in targets if t.is_reported]
    out = {pk: measures.Monthly(measures.COUNT) for pk in ids}
    if not ids:
        return out
    for target_id, month, value in ReportedFigure.objects.filter(
            target_id__in=ids, month__lte=as_of).values_list("target_id", "month", "value"):
        out[target_id].a[month.month - 1] += float(value)
    return out


def _running(m: measures.Monthly, upto: int) -> list[float | int | None]:
    out: list[float | int | None] = []
    for i in range(12):
        out.append(number(m.value(i + 1)) if i < upto else None)
    return out


def _due_line(target: Target, year: int) -> list[float | int | None]:
    if target.target_value is None:
        return [None] * 12
    value = float(target.target_value)
    line: list[float | int | None] = []
    for month in range(1, 13):
        month_end = date(year, month, calendar.monthrange(year, month)[1])
        line.append(number(value * pace.due_fraction(target.pace, year, month_end, target.monthly_profile)))
    return line


def entry(target: Target, m: measures.Monthly, year: int, as_of: date,
          baseline: HistoricalFigure | None = None) -> dict[str, Any]:
    upto = months_elapsed(year, as_of)
    value = m.value(upto)
    goal = float(target.target_value) if target.target_value is not None else None
    fraction = pace.due_fraction(target.pace, year, as_of, target.monthly_profile)
    expected = goal * fraction if goal is not None else None
    measure = measures.MEASURES.get(target.measure)
    return {
        "id": target.pk,
        "code": target.code,
        "parent": target.parent.code if target.parent_id and target.parent else None,
        "title": target.title,
        "title_en": target.title_en,
        "measure": target.measure,
        "kind": measure.kind if measure else measures.COUNT,
        "reported": target.measure == REPORTED,
        "unit": target.unit,
        "target": number(goal),
        "at_least": target.at_least,
        "value": number(value),
        "percent": round(100.0 * value / goal, 1) if goal and value is not None else None,
        "pace": target.pace,
        "due_fraction": round(fraction, 4),
        "expected": number(round(expected, 2)) if expected is not None else None,
        "status": pace.status(value, goal, expected),
        "owner_department": {"id": target.owner_department_id, "code": target.owner_department.code,
                             "name": target.owner_department.name},
        "months": [number(m.month_value(i)) if i < upto else None for i in range(12)],
        "cumulative": _running(m, upto),
        "due_line": _due_line(target, year),
        "baseline": {"year": baseline.year, "title": baseline.title, "value": number(float(baseline.value)),
                     "at_least": baseline.at_least, "unit": baseline.unit} if baseline else None,
    }


def live_monthly(keys: list[str], year: int, as_of: date, *, reference: bool = False) -> dict[str, measures.Monthly]:
    """The measures' monthly aggregates counted from the records: from the stored day partials plus a live count
    of the changed days (partials.monthly), or — as the ``reference``, or where no partials are stored — every
    record counted again (measures.monthly). Both give the same figures (tests and the bench's check)."""
    if not reference and partials.enabled():
        stats: dict[str, int] = {}
        found = partials.monthly(keys, year, as_of, stats)
        if found is not None:
            if stats.get("stale_days"):
                partials.refresh_soon(year)
            return found
    return measures.monthly(keys, year, as_of)


def compute(year: int, as_of: date | None = None, *, reference: bool = False) -> dict[str, Any]:
    """Every active target of ``year`` (all departments; callers narrow to the viewer's scope)."""
    as_of = as_of or as_of_for(year)
    targets = list(Target.objects.filter(year=year, is_active=True).select_related("owner_department", "parent")
                   .order_by("sort_order", "id"))
    live = live_monthly([t.measure for t in targets if not t.is_reported], year, as_of, reference=reference)
    reported = _reported_monthly(targets, as_of)
    history = list(HistoricalFigure.objects.filter(year=year - 1).order_by("sort_order", "id"))
    comparable = {h.target_code: h for h in history if h.target_code}
    rows = []
    for t in targets:
        m = reported[t.pk] if t.is_reported else live.get(t.measure, measures.Monthly(measures.COUNT))
        rows.append(entry(t, m, year, as_of, comparable.get(t.code)))
    return {
        "year": year,
        "as_of": as_of.isoformat(),
        "months_elapsed": months_elapsed(year, as_of),
        "computed_at": timezone.now().isoformat(),
        "targets": rows,
        "history": [{"year": h.year, "code": h.code, "title": h.title, "title_en": h.title_en,
                     "value": number(float(h.value)), "at_least": h.at_least, "unit": h.unit,
                     "target_code": h.target_code} for h in history],
    }
