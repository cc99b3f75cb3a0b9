"""Exact partial counts per day: the dashboard's figures from stored per-day aggregates plus a live count of the days
that changed since (ADR 0009).

For each source and each local day before today, the refresh (``targets_tick``, or on demand) stores every measure's
aggregates (``DayPartial``), counted by the measure's own query restricted to that day, and how far the stored days
reach (``PartialCoverage``). Database triggers (migration 0005) mark a (source, day) dirty (``DirtyDay``) in the same
transaction as any write that can change that day's counts. A figure is then the sum of the stored days that carry no
mark plus a live count — with the same queryset and conditions as ``measures.monthly`` — of the marked days, the days
past the coverage (today among them) and everything of a source whose definition changed (its fingerprint). The
reads run in one snapshot (REPEATABLE READ on PostgreSQL, one transaction on SQLite), so the answer equals a
from-scratch recount at one moment; ``measures.monthly`` stays the reference and the tests compare the two.

The refresh deletes only the marks at the version it read, after counting: a write that commits meanwhile either
was counted or leaves a mark (a higher version, or a new row) that survives. Refreshes are serialised (an advisory
lock on PostgreSQL, the write lock SQLite takes at BEGIN IMMEDIATE).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import ExtractMonth, TruncDate
from django.utils import timezone

from onestop.workflow import calendar as wd

from . import measures
from .models import DayPartial, DirtyDay, PartialCoverage

# The tables whose triggers mark days dirty (migration 0005), checked by a test on both databases.
DIRECT_TABLES = ("talents_talentprofile", "talents_certificate", "talents_certificationapplication", "engagement_event",
                 "engagement_visit", "housing_staybooking", "housing_lease", "workflow_task", "engagement_problem")
INDIRECT_TABLES = ("talents_employment", "employers_employmentdecision", "talents_educationrecord")
LOCK_KEY = 7_310_009  # pg_advisory_xact_lock: one refresh at a time
Range = tuple[date, date]


def expected_triggers() -> set[str]:
    """The trigger names migration 0005 creates on this database."""
    names = {f"{t}_dirty_{op}" for t in DIRECT_TABLES + INDIRECT_TABLES for op in ("ins", "upd", "del")}
    if connection.vendor == "sqlite":
        names |= {"talents_talentprofile_dirty_facts", "talents_talentprofile_dirty_user"}
    return names


def installed_triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE %s AND NOT tgisinternal", ["%_dirty_%"])
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_dirty_%'")
        return {row[0] for row in cursor.fetchall()}


def enabled() -> bool:
    return bool(getattr(settings, "TARGETS_PARTIALS", True)) and connection.vendor in ("postgresql", "sqlite")


def limit_day(today: date | None = None) -> date:
    """Days before this one can be stored: never today (it still changes, and events count only once started) nor a
    day the real clock has not finished."""
    return min(today or wd.today(), timezone.localdate())


def _local_days(source: measures.Source, year: int) -> tuple[int, ...]:
    """The local days a mark can stand for, as offsets from its day. A date-time source's mark holds the UTC date
    of the value: in a zone ahead of UTC all year (Asia/Shanghai, +8) that is the local day itself or the next one;
    behind UTC, the day itself or the one before; otherwise (a zone crossing UTC) any of the three."""
    if not measures._is_datetime(source):
        return (0,)
    zone = timezone.get_current_timezone()
    offsets = {datetime(y, m, 1, 12, tzinfo=zone).utcoffset() for y in (year - 1, year, year + 1) for m in range(1, 13)}
    if all(o is not None and timedelta(0) < o < timedelta(days=1) for o in offsets):
        return (0, 1)
    if all(o is not None and -timedelta(days=1) < o < timedelta(0) for o in offsets):
        return (-1, 0)
    if offsets == {timedelta(0)}:
        return (0,)
    return (-1, 0, 1)


def _sources_measures(keys: Iterable[str] | None = None) -> dict[str, list[measures.Measure]]:
    by_source: dict[str, list[measures.Measure]] = {}
    for m in measures.MEASURES.values():
        if keys is None or m.key in keys:
            by_source.setdefault(m.source, []).append(m)
    return by_source


def _aggs(ms: list[measures.Measure], year: int) -> dict[str, Any]:
    aggs: dict[str, Any] = {}
    for i, m in enumerate(ms):
        aggs.update(measures._aggregates(m, year, f"m{i}", whole=True))
    return aggs


def _day_of(source: measures.Source) -> Any:
    return TruncDate(source.date_field) if measures._is_datetime(source) else F(source.date_field)


@lru_cache(maxsize=64)
def _fingerprint(source_key: str, vendor: str, zone: str) -> str:
    """The text of the source's per-day aggregate query over every one of its measures (for a fixed year): a changed
    definition, measure list or time zone gives another fingerprint, and the stored partials are then not used."""
    source = measures.SOURCES[source_key]
    ms = _sources_measures()[source_key]
    qs = (source.base(date(2000, 1, 1), date(2000, 1, 2)).annotate(_day=_day_of(source)).values("_day")
          .annotate(**_aggs(ms, 2000)))
    text = "|".join([vendor, zone, ",".join(m.key for m in ms), str(qs.query)])
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprint(source_key: str) -> str:
    return _fingerprint(source_key, connection.vendor, str(timezone.get_current_timezone()))


def _ranges(days: Iterable[date]) -> list[Range]:
    """Sorted days as [start, end) runs of consecutive days."""
    out: list[Range] = []
    for d in sorted(set(days)):
        if out and out[-1][1] == d:
            out[-1] = (out[-1][0], d + timedelta(days=1))
        else:
            out.append((d, d + timedelta(days=1)))
    return out


def _in_ranges(source: measures.Source, ranges: list[Range]) -> Q:
    q = Q()
    for start, end in ranges:
        if measures._is_datetime(source):
            q |= Q(**{f"{source.date_field}__gte": measures.aware(start), f"{source.date_field}__lt": measures.aware(end)})
        else:
            q |= Q(**{f"{source.date_field}__gte": start, f"{source.date_field}__lt": end})
    return q


@contextmanager
def _snapshot() -> Iterator[None]:
    """One consistent view of the records, the marks and the stored partials for all the reads of one figure."""
    if connection.vendor != "postgresql":
        with transaction.atomic():
            yield
        return
    outermost = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if outermost:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL random_page_cost = 1.1")
        yield


# --- the figure --------------------------------------------------------------------------------------------------------

def monthly(keys: Iterable[str], year: int, as_of: date,
            stats: dict[str, int] | None = None) -> dict[str, measures.Monthly] | None:
    """The same as ``measures.monthly`` (equal by construction and by test), from the stored partials where they
    are valid; None when no source of the wanted measures has any (the caller counts everything live). ``stats``
    receives ``stale_days``: the finished days counted live (marked, or past the coverage) over all sources."""
    first, end = measures.period(year, as_of)
    wanted = [measures.MEASURES[k] for k in dict.fromkeys(keys) if k in measures.MEASURES]
    out = {m.key: measures.Monthly(m.kind) for m in wanted}
    if end <= first or not wanted:
        return out
    by_source: dict[str, list[measures.Measure]] = {}
    for m in wanted:
        by_source.setdefault(m.source, []).append(m)
    limit = limit_day()
    with _snapshot():
        covered: dict[str, date] = {}
        for source_key, upto, fp in PartialCoverage.objects.filter(year=year, source__in=list(by_source)).values_list(
                "source", "upto", "fingerprint"):
            if fp == fingerprint(source_key):
                covered[source_key] = min(upto, end)
        if not covered:
            return None
        marked: dict[str, set[date]] = {}
        shifts = {key: _local_days(measures.SOURCES[key], year) for key in covered}
        for source_key, day in DirtyDay.objects.filter(
                source__in=list(covered), day__gte=first - timedelta(days=1), day__lt=end + timedelta(days=1)
        ).values_list("source", "day"):
            marked.setdefault(source_key, set()).update(day + timedelta(days=k) for k in shifts[source_key])
        stored = Q()
        live: dict[str, list[Range]] = {}
        for source_key in by_source:
            upto = covered.get(source_key, first)
            dirty = {d for d in marked.get(source_key, ()) if first <= d < upto}
            if upto > first:
                days = Q(source=source_key, day__gte=first, day__lt=upto)
                stored |= days & ~Q(day__in=sorted(dirty)) if dirty else days
            ranges = _ranges(dirty) + ([(upto, end)] if upto < end else [])
            if stats is not None:
                past = min(end, limit)
                stats["stale_days"] = stats.get("stale_days", 0) + len(dirty) + max(0, (past - upto).days)
            if ranges:
                live[source_key] = ranges
        if stored:
            for key, month, a, b in (DayPartial.objects.filter(stored, measure__in=list(out))
                                     .annotate(_month=ExtractMonth("day")).values("measure", "_month")
                                     .annotate(sa=Sum("a"), sb=Sum("b")).order_by()
                                     .values_list("measure", "_month", "sa", "sb")):
                out[key].a[int(month) - 1] += measures._num(a)
                out[key].b[int(month) - 1] += measures._num(b)
        for source_key, ranges in live.items():
            ms = by_source[source_key]
            source = measures.SOURCES[source_key]
            rows = (source.base(first, end).filter(_in_ranges(source, ranges))
                    .annotate(_month=measures.month_of(source, year)).values("_month")
                    .annotate(**_aggs(ms, year)).order_by())
            for row in rows:
                month = int(row["_month"]) - 1
                for i, m in enumerate(ms):
                    out[m.key].a[month] += measures._num(row.get(f"m{i}_a"))
                    out[m.key].b[month] += measures._num(row.get(f"m{i}_b"))
    return out


# --- the refresh ---------------------------------------------------------------------------------------------------------

def _count_days(source_key: str, ms: list[measures.Measure], year: int, upto: date, ranges: list[Range]) -> Any:
    source = measures.SOURCES[source_key]
    return (source.base(date(year, 1, 1), upto).filter(_in_ranges(source, ranges)).annotate(_day=_day_of(source))
            .values("_day").annotate(**_aggs(ms, year)).order_by())


def refresh(year: int, *, today: date | None = None, sources: Iterable[str] | None = None) -> dict[str, int]:
    """Store (or bring up to date) the partials of ``year``'s days before today: the days past the coverage and
    the marked days within it, each source in its own transaction. Returns the number of days counted per source."""
    first = date(year, 1, 1)
    upto = min(limit_day(today), date(year + 1, 1, 1))
    if upto <= first or not enabled():
        return {}
    if not expected_triggers() <= installed_triggers():
        reset()  # without its triggers a stored day cannot be known to be current (see apps._partials_guard)
        return {}
    by_source = _sources_measures()
    return {key: _refresh_source(key, by_source[key], year, upto)
            for key in (sources or measures.SOURCES) if key in by_source}


def _refresh_source(source_key: str, ms: list[measures.Measure], year: int, upto: date) -> int:
    source = measures.SOURCES[source_key]
    first = date(year, 1, 1)
    shifts = _local_days(source, year)
    before, after = timedelta(days=-min(shifts)), timedelta(days=max(shifts))
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SET LOCAL work_mem = '32MB'")
        fp = fingerprint(source_key)
        coverage = PartialCoverage.objects.filter(source=source_key, year=year).first()
        marks = list(DirtyDay.objects.filter(source=source_key, day__gte=first - after,
                                             day__lt=max(upto, coverage.upto if coverage else upto) + before)
                     .values_list("pk", "day", "version"))
        if coverage is None or coverage.fingerprint != fp:
            new_upto, days = upto, None  # every day again
            ranges = [(first, upto)]
        else:
            new_upto = max(coverage.upto, upto)
            dirty = {d + timedelta(days=k) for _, d, _ in marks for k in shifts}
            days = {d for d in dirty if first <= d < coverage.upto}
            ranges = _ranges(days) + ([(coverage.upto, new_upto)] if coverage.upto < new_upto else [])
        counted = sum((r[1] - r[0]).days for r in ranges)
        if ranges:
            rows = list(_count_days(source_key, ms, year, new_upto, ranges))
            stale = DayPartial.objects.filter(source=source_key)
            stale = stale.filter(day__gte=first, day__lt=new_upto) if days is None else stale.filter(
                Q(day__in=sorted(days)) | Q(day__gte=coverage.upto if coverage else first, day__lt=new_upto))
            stale.delete()
            fresh = []
            for row in rows:
                for i, m in enumerate(ms):
                    a, b = measures._num(row.get(f"m{i}_a")), measures._num(row.get(f"m{i}_b"))
                    if a or b:
                        fresh.append(DayPartial(source=source_key, day=row["_day"], measure=m.key, a=a, b=b))
            DayPartial.objects.bulk_create(fresh, batch_size=2000)
        PartialCoverage.objects.update_or_create(source=source_key, year=year, defaults={
            "upto": new_upto, "fingerprint": fp, "computed_at": timezone.now()})
        # Only the marks whose every day was counted just now, and only at the version read before counting.
        done = [(pk, version) for pk, d, version in marks if first <= d - before and d + after < new_upto]
        for i in range(0, len(done), 500):
            chunk = Q()
            for pk, version in done[i:i + 500]:
                chunk |= Q(pk=pk, version=version)
            DirtyDay.objects.filter(chunk).delete()
    return counted


def refresh_soon(year: int) -> bool:
    """Ask the worker to bring ``year``'s partials up to date (after the transaction commits), at most once a
    minute per year and process: a request that had to count changed days live does, so the next ones need not."""
    from django.core.cache import cache

    from .tasks import partials_refresh_task

    if not cache.add(f"targets:partials-refresh:{year}", 1, 60):
        return False
    transaction.on_commit(lambda: partials_refresh_task.enqueue(year))
    return True


def reset() -> None:
    """Forget every stored partial (after a bulk load that bypassed the triggers, e.g. session_replication_role)."""
    with transaction.atomic():
        PartialCoverage.objects.all().delete()
        DayPartial.objects.all().delete()
