"""The targets part of the JSON API (/api/v1/targets): the dashboard's data endpoint (the same figures as the page,
with how fresh they are), one target with its breakdowns, the records behind a figure (names masked, paginated),
a reported month (multipart with the evidence file), and recomputation on demand. Out of scope answers 404."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from ninja.security import django_auth
from pydantic import Field

from onestop.core.exceptions import NotFound
from onestop.core.models import User
from onestop.core.permissions import Capability, has_capability

from . import selectors, services

router = Router(tags=["targets"], auth=django_auth)


def _viewer(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if not has_capability(user, Capability.TARGETS_VIEW):
        raise NotFound("记录不存在，或您无权访问。")
    return user


class DepartmentOut(Schema):
    id: int
    code: str
    name: str


class BaselineOut(Schema):
    year: int
    title: str
    value: float
    at_least: bool
    unit: str


class TargetOut(Schema):
    id: int
    code: str
    parent: str | None
    title: str
    title_en: str
    measure: str
    kind: str
    reported: bool
    unit: str
    target: float | None
    at_least: bool
    value: float | None
    percent: float | None
    pace: str
    due_fraction: float
    expected: float | None
    status: str
    owner_department: DepartmentOut
    months: list[float | None]
    cumulative: list[float | None]
    due_line: list[float | None]
    baseline: BaselineOut | None


class HistoryOut(Schema):
    year: int
    code: str
    title: str
    title_en: str
    value: float
    at_least: bool
    unit: str
    target_code: str


class DashboardOut(Schema):
    year: int
    as_of: date
    months_elapsed: int
    computed_at: str
    age_seconds: int
    fresh_for_seconds: int
    source: str = Field(description="snapshot: cached figures still fresh; live: computed for this request")
    scope: str
    targets: list[TargetOut]
    history: list[HistoryOut]


class SplitOut(Schema):
    key: str
    label: str
    value: float | None
    records: int


class TargetDetailOut(TargetOut):
    as_of: date
    computed_at: str
    definition: str
    breakdowns: dict[str, list[SplitOut]]


class RecordsOut(Schema):
    count: int
    columns: list[list[str]]
    rows: list[dict[str, Any]]


class ReportedOut(Schema):
    id: int
    target: str
    month: str
    value: float
    source: str
    evidence_sha256: str


class RefreshOut(Schema):
    year: int
    queued: bool


@router.get("/dashboard", response=DashboardOut, summary="看板数据 / The dashboard's figures")
def dashboard(request: HttpRequest, year: Annotated[int, Field(ge=2000, le=2100)] | None = None,
              fresh: bool = False) -> Any:
    """Every target in the caller's scope with value, target, per cent, what is due by the pace and the status,
    the monthly trend and the earlier year's results. Served from the cached snapshot while it is fresh
    (``source: snapshot``, ``age_seconds``); ``fresh=true`` computes now."""
    user = _viewer(request)
    return selectors.dashboard(user=user, year=year or selectors.default_year(), fresh=fresh)


@router.post("/refresh", response={202: RefreshOut}, summary="重新计算 / Recompute the cached figures")
def refresh(request: HttpRequest, year: Annotated[int, Field(ge=2000, le=2100)] | None = None) -> Status[RefreshOut]:
    user = _viewer(request)
    year = year or selectors.default_year()
    services.snapshot_refresh_later(year=year, actor=user)
    return Status(202, RefreshOut(year=year, queued=True))


@router.get("/{target_id}", response=TargetDetailOut, summary="目标明细与分类 / One target with its breakdowns")
def target_detail(request: HttpRequest, target_id: int) -> Any:
    from . import measures

    user = _viewer(request)
    target = selectors.target_for(user=user, pk=target_id)
    row = selectors.figure_of(user=user, target=target)
    measure = measures.MEASURES.get(target.measure)
    return {**row, "definition": str(measure.definition) if measure else "reported",
            "breakdowns": selectors.breakdowns(target=target, as_of=date.fromisoformat(row["as_of"]))}


@router.get("/{target_id}/records", response=RecordsOut, summary="下钻明细 / The records behind a figure")
def target_records(request: HttpRequest, target_id: int, month: Annotated[int, Field(ge=1, le=12)] | None = None,
                   dim: str = "", key: str = "", limit: Annotated[int, Field(ge=1, le=200)] = 50,
                   offset: Annotated[int, Field(ge=0)] = 0) -> Any:
    user = _viewer(request)
    target = selectors.target_for(user=user, pk=target_id)
    drill = selectors.drill_down(user=user, target=target, month=month, dim=dim[:16], key=key[:64])
    page = list(drill.queryset[offset: offset + limit])
    return {"count": drill.queryset.count(), "columns": [list(c) for c in drill.columns], "rows": drill.rows(page)}


@router.post("/{target_id}/reported", response={201: ReportedOut}, summary="填报当月数值 / Report a month's figure")
def reported_enter(request: HttpRequest, target_id: int, month: Form[date], value: Form[str], source: Form[str],
                   evidence: File[UploadedFile], note: Form[str] = "") -> Status[ReportedOut]:
    user = _viewer(request)
    target = selectors.target_for(user=user, pk=target_id)
    figure = services.reported_figure_enter(actor=user, target=target, month=month, value=value, source=source,
                                            evidence=evidence, note=note)
    return Status(201, ReportedOut(id=figure.pk, target=target.code, month=f"{figure.month:%Y-%m}",
                                   value=float(figure.value), source=figure.source,
                                   evidence_sha256=figure.evidence_sha256))
