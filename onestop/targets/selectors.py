"""Reads of the targets module, scoped to the viewer. Out of scope answers ``NotFound`` like a missing record.

Scope: the talent office (人才工作领导小组办公室, the leadership's office), the leadership (领导) and the read-only
auditor see every target; other department staff and heads see the targets their own department owns, the records
behind them and their reported figures. Talents, employers, partners and the administrators hold no targets
capability at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from onestop.core.audit import audit_record
from onestop.core.choices import AuditResult, Role
from onestop.core.exceptions import NotFound, ValidationFailed
from onestop.core.masking import mask_name
from onestop.core.models import Department, User
from onestop.core.permissions import Capability, has_capability
from onestop.workflow import calendar as wd

from . import figures, measures
from .choices import REPORTED
from .models import FigureSnapshot, MonthlyReport, ReportedFigure, Target

ZONE_WIDE_DEPARTMENTS = ("talent_office",)
DEFAULT_SNAPSHOT_SECONDS = 900


@dataclass(frozen=True)
class Scope:
    everything: bool
    department_ids: frozenset[int]

    def covers(self, department_id: int | None) -> bool:
        return self.everything or (department_id is not None and department_id in self.department_ids)

    @property
    def empty(self) -> bool:
        return not self.everything and not self.department_ids


NO_SCOPE = Scope(False, frozenset())


def scope_of(user: User) -> Scope:
    if not user.is_authenticated or not has_capability(user, Capability.TARGETS_VIEW):
        return NO_SCOPE
    if user.has_role(Role.AUDITOR, Role.LEADER):
        return Scope(True, frozenset())
    ids = frozenset(user.department_ids())
    if ids and Department.objects.filter(pk__in=ids, code__in=ZONE_WIDE_DEPARTMENTS).exists():
        return Scope(True, ids)
    return Scope(False, ids)


def _denied(user: User, object_type: str, pk: Any) -> NotFound:
    audit_record(action="targets.read", actor=user, object_type=object_type, object_id=str(pk),
                 result=AuditResult.DENIED)
    return NotFound("记录不存在，或您无权访问。")


def snapshot_seconds() -> int:
    return int(getattr(settings, "TARGETS_SNAPSHOT_SECONDS", DEFAULT_SNAPSHOT_SECONDS))


# --- targets -----------------------------------------------------------------------------------------------------------

def years_available() -> list[int]:
    return sorted(set(Target.objects.filter(is_active=True).values_list("year", flat=True)), reverse=True)


def default_year(today: date | None = None) -> int:
    """This year if it has targets, else the latest year that has."""
    today = today or wd.today()
    years = years_available()
    if not years or today.year in years:
        return today.year
    past = [y for y in years if y <= today.year]
    return past[0] if past else years[-1]


def targets_for(*, user: User, year: int | None = None, scope: Scope | None = None) -> QuerySet[Target]:
    scope = scope or scope_of(user)
    qs = Target.objects.filter(is_active=True).select_related("owner_department", "parent")
    if year is not None:
        qs = qs.filter(year=year)
    if scope.everything:
        return qs
    return qs.filter(owner_department_id__in=scope.department_ids)


def target_for(*, user: User, pk: int) -> Target:
    target = targets_for(user=user).filter(pk=pk).first()
    if target is None:
        raise _denied(user, "targets.target", pk)
    return target


# --- figures (cached snapshot or live) ---------------------------------------------------------------------------------

def _snapshot_fresh(snapshot: FigureSnapshot | None, as_of: date, now: Any) -> bool:
    if snapshot is None or snapshot.as_of != as_of:
        return False
    return bool((now - snapshot.computed_at).total_seconds() <= snapshot_seconds())


def year_figures(*, year: int, fresh: bool = False, today: date | None = None) -> dict[str, Any]:
    """All of a year's figures with their freshness: the snapshot while it is fresh (same day counted to, younger
    than ``TARGETS_SNAPSHOT_SECONDS``), else computed live now and stored as the new snapshot."""
    from .services import snapshot_store

    as_of = figures.as_of_for(year, today)
    now = timezone.now()
    snapshot = None if fresh else FigureSnapshot.objects.filter(year=year).first()
    if snapshot is not None and _snapshot_fresh(snapshot, as_of, now):
        payload = dict(snapshot.payload)
        payload["source"] = "snapshot"
    else:
        started = timezone.now()
        payload = figures.compute(year, as_of)
        snapshot_store(year=year, as_of=as_of, payload=payload, started=started)
        payload["source"] = "live"
    computed = parse_datetime(payload["computed_at"])
    payload["age_seconds"] = max(0, int((now - computed).total_seconds())) if computed else 0
    payload["computed_local"] = timezone.localtime(computed).strftime("%Y-%m-%d %H:%M:%S") if computed else ""
    payload["fresh_for_seconds"] = snapshot_seconds()
    return payload


def dashboard(*, user: User, year: int, fresh: bool = False, today: date | None = None) -> dict[str, Any]:
    """The year's figures narrowed to the viewer's targets (the same numbers for everyone who may see a target)."""
    scope = scope_of(user)
    if scope.empty:
        raise NotFound("记录不存在，或您无权访问。")
    data = year_figures(year=year, fresh=fresh, today=today)
    if not scope.everything:
        data["targets"] = [t for t in data["targets"] if t["owner_department"]["id"] in scope.department_ids]
    data["scope"] = "zone" if scope.everything else "department"
    return data


def figure_of(*, user: User, target: Target, fresh: bool = False, today: date | None = None) -> dict[str, Any]:
    data = year_figures(year=target.year, fresh=fresh, today=today)
    for row in data["targets"]:
        if row["id"] == target.pk:
            return {**row, "as_of": data["as_of"], "computed_at": data["computed_at"], "source": data["source"],
                    "age_seconds": data["age_seconds"]}
    # A target added after the snapshot was taken: count it now.
    data = year_figures(year=target.year, fresh=True, today=today)
    row = next(r for r in data["targets"] if r["id"] == target.pk)
    return {**row, "as_of": data["as_of"], "computed_at": data["computed_at"], "source": data["source"],
            "age_seconds": data["age_seconds"]}


# --- breakdowns and drill-down ---------------------------------------------------------------------------------------

def breakdowns(*, target: Target, as_of: date) -> dict[str, list[dict[str, Any]]]:
    """Every breakdown the target's measure supports, counted live (key industries, tier, employer, department)."""
    measure = measures.MEASURES.get(target.measure)
    if measure is None:
        return {}
    return {dim: measures.breakdown(measure, target.year, as_of, dim) for dim in measures.dimensions_of(measure)}


@dataclass(frozen=True)
class DrillDown:
    target: Target
    columns: list[tuple[str, str]]
    queryset: QuerySet[Any]
    month: int | None
    dim: str
    key: str
    as_of: date
    reported: bool

    def rows(self, records: Any) -> list[dict[str, Any]]:
        if self.reported:
            return [{"month": f"{r.month:%Y-%m}", "value": figures.number(float(r.value)), "source": r.source,
                     "entered_by": mask_name(r.entered_by.real_name),
                     "entered_at": timezone.localtime(r.entered_at).strftime("%Y-%m-%d %H:%M"),
                     "revisions": r.revisions, "id": r.pk} for r in records]
        measure = measures.MEASURES[self.target.measure]
        return [measures.row_of(measure, r) for r in records]


REPORTED_COLUMNS = [("month", "月份"), ("value", "当月数值"), ("source", "数据来源"), ("entered_by", "填报人"),
                    ("entered_at", "填报时间"), ("revisions", "更正次数")]


def drill_down(*, user: User, target: Target, month: int | None = None, dim: str = "", key: str = "",
               today: date | None = None) -> DrillDown:
    """The records behind a target's figure (or behind one month or one breakdown bar), for a viewer who may see the
    target. Personal names are masked; the viewing is audited."""
    if target.pk not in set(targets_for(user=user, year=target.year).values_list("pk", flat=True)):
        raise _denied(user, "targets.target", target.pk)
    as_of = figures.as_of_for(target.year, today)
    if month is not None and not 1 <= month <= 12:
        raise ValidationFailed("月份无效。", field_errors={"month": ["月份：应为 1–12。"]})
    if target.measure == REPORTED:
        if dim:
            raise ValidationFailed("填报数据不分类。", field_errors={"dim": ["分类：填报数据不支持分类下钻。"]})
        qs = ReportedFigure.objects.filter(target=target, month__lte=as_of).select_related("entered_by").order_by("month")
        if month is not None:
            qs = qs.filter(month__month=month)
        columns = [(k, str(label)) for k, label in REPORTED_COLUMNS]
        reported = True
    else:
        measure = measures.MEASURES.get(target.measure)
        if measure is None:
            raise NotFound("该目标的统计口径不存在。")
        if dim and dim not in measures.dimensions_of(measure):
            raise ValidationFailed("分类无效。", field_errors={"dim": ["分类：该指标不支持此分类。"]})
        qs = measures.records(measure, target.year, as_of, month=month, dim=dim, key=key)
        columns = [(k, str(label)) for k, label in measures.SOURCES[measure.source].columns]
        reported = False
    audit_record(action="targets.records.view", actor=user, obj=target,
                 detail={"month": month, "dim": dim, "key": key[:40]})
    return DrillDown(target, columns, qs, month, dim, key, as_of, reported)


# --- reported figures and reports -------------------------------------------------------------------------------------

def reported_figures_for(*, user: User, target: Target) -> QuerySet[ReportedFigure]:
    if not scope_of(user).covers(target.owner_department_id):
        return ReportedFigure.objects.none()
    return ReportedFigure.objects.filter(target=target).select_related("entered_by", "revised_by").order_by("month")


def reported_figure_for(*, user: User, pk: int) -> ReportedFigure:
    figure = ReportedFigure.objects.select_related("target__owner_department").filter(pk=pk).first()
    if figure is None or not scope_of(user).covers(figure.target.owner_department_id):
        raise _denied(user, "targets.reportedfigure", pk)
    return figure


def can_report(*, user: User, target: Target) -> bool:
    """Only the owner department's own staff enter a reported target's figures (not the zone-wide viewers)."""
    return bool(target.measure == REPORTED and has_capability(user, Capability.TARGETS_REPORT)
                and target.owner_department_id in user.department_ids())


def reports_for(*, user: User) -> QuerySet[MonthlyReport]:
    scope = scope_of(user)
    qs = MonthlyReport.objects.select_related("department", "requested_by")
    if scope.everything:
        return qs
    return qs.filter(department_id__in=scope.department_ids)


def report_for(*, user: User, pk: int) -> MonthlyReport:
    report = reports_for(user=user).filter(pk=pk).first()
    if report is None:
        raise _denied(user, "targets.monthlyreport", pk)
    return report
