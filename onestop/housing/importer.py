"""Inventory import from an Excel workbook (openpyxl): sheet 「房源」 for apartment / gifted-housing units, sheet
「驿站床位」 for warm-station beds. Every row is checked first; any error → nothing is written and the report lists each
one by sheet, row and column. Units follow the inventory form's rules (new units 空闲 or 维修中 only, existing units
only between those two, a unit in an unfinished round keeps layout and area). Otherwise everything is written in one
transaction (upsert by natural keys)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from onestop.core.audit import audit_record
from onestop.core.models import User

from .choices import Layout, ProjectKind, RoundStatus, UnitStatus
from .errors import TransitionNotAllowed
from .models import Bed, Project, Room, RoundUnit, Unit, WarmStation
from .services import MANUAL_UNIT_STATES, _require_staff, _transition, _unit_upsert

UNIT_SHEET = "房源"
BED_SHEET = "驿站床位"
UNIT_COLUMNS = ["项目代码", "项目名称", "项目类型", "项目地址", "楼栋", "房号", "楼层", "建筑面积（㎡）", "户型",
                "月租金（元）", "租金优惠（%）", "状态"]
BED_COLUMNS = ["驿站代码", "驿站名称", "驿站地址", "联系电话", "房间号", "床位"]
MAX_ROWS = 20000

KIND_BY_LABEL = {str(label): value for value, label in ProjectKind.choices}
LAYOUT_BY_LABEL = {str(label): value for value, label in Layout.choices}
STATUS_BY_LABEL = {str(label): value for value, label in UnitStatus.choices}


@dataclass
class ImportReport:
    units: int = 0
    beds: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def template_bytes() -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = UNIT_SHEET
    ws.append(UNIT_COLUMNS)
    ws.append(["talent-a", "航空港人才公寓一期", "人才公寓", "航空港区新港大道 1 号", "1号楼", "0101", 1, 45.5,
               "一室一厅", 1800, 50, "空闲"])
    beds = wb.create_sheet(BED_SHEET)
    beds.append(BED_COLUMNS)
    beds.append(["ws-airport", "航空港暖心驿站", "航空港区迎宾大道 8 号", "0371-00000000", "101", "A"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows(ws: Any, columns: list[str], report: ImportReport) -> list[tuple[int, dict[str, Any]]]:
    rows = list(ws.iter_rows(values_only=True))
    if not rows:
        return []
    header = [_text(h) for h in rows[0]]
    missing = [c for c in columns if c not in header]
    if missing:
        report.errors.append({"sheet": ws.title, "row": 1, "column": "、".join(missing),
                              "message": _("缺少列：%(c)s") % {"c": "、".join(missing)}})
        return []
    index = {c: header.index(c) for c in columns}
    out = []
    for n, row in enumerate(rows[1:], start=2):
        if all(v is None or _text(v) == "" for v in row):
            continue
        out.append((n, {c: (row[i] if i < len(row) else None) for c, i in index.items()}))
    if len(out) > MAX_ROWS:
        report.errors.append({"sheet": ws.title, "row": 1, "column": "",
                              "message": _("行数超过上限 %(n)d。") % {"n": MAX_ROWS}})
        return []
    return out


def _unit_row(n: int, row: dict[str, Any], report: ImportReport, seen: set[tuple[str, str, str]]) -> dict[str, Any]:
    def err(column: str, message: str) -> None:
        report.errors.append({"sheet": UNIT_SHEET, "row": n, "column": column, "message": f"{column}：{message}"})

    out: dict[str, Any] = {}
    for col in ("项目代码", "项目名称", "项目地址", "楼栋", "房号"):
        out[col] = _text(row[col])
        if not out[col]:
            err(col, _("请填写。"))
    kind = KIND_BY_LABEL.get(_text(row["项目类型"]))
    if kind is None:
        err("项目类型", _("应为 %(v)s 之一。") % {"v": "、".join(KIND_BY_LABEL)})
    layout = LAYOUT_BY_LABEL.get(_text(row["户型"]))
    if layout is None:
        err("户型", _("应为 %(v)s 之一。") % {"v": "、".join(LAYOUT_BY_LABEL)})
    # An empty 状态 keeps an existing unit's status (a new unit starts 空闲): see ``_unit_rules``.
    status = STATUS_BY_LABEL.get(_text(row["状态"])) if _text(row["状态"]) else ""
    if status is None:
        err("状态", _("应为 %(v)s 之一。") % {"v": "、".join(STATUS_BY_LABEL)})
    try:
        floor = int(Decimal(_text(row["楼层"])))
        if not -5 <= floor <= 200:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        floor = 0
        err("楼层", _("应为 -5 至 200 的整数。"))
    try:
        area = Decimal(_text(row["建筑面积（㎡）"])).quantize(Decimal("0.01"))
        if not 0 < area <= 1000:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        area = Decimal(0)
        err("建筑面积（㎡）", _("应为大于 0、不超过 1000 的数值。"))
    try:
        rent = int((Decimal(_text(row["月租金（元）"])) * 100).quantize(Decimal("1")))
        if rent < 0:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        rent = 0
        err("月租金（元）", _("应为不小于 0 的金额。"))
    try:
        discount = int(Decimal(_text(row["租金优惠（%）"]) or "0"))
        if not 0 <= discount <= 100:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        discount = 0
        err("租金优惠（%）", _("应为 0 至 100 的整数。"))
    key = (out["项目代码"], out["楼栋"], out["房号"])
    if all(key) and key in seen:
        err("房号", _("与前面的行重复。"))
    seen.add(key)
    return {"row": n, "project": (out["项目代码"], out["项目名称"], kind, out["项目地址"]), "building": out["楼栋"],
            "number": out["房号"], "floor": floor, "area_m2": area, "layout": layout, "monthly_rent_fen": rent,
            "discount_percent": discount, "status": status}


def _unit_rules(rows: list[dict[str, Any]], report: ImportReport) -> dict[int, Unit]:
    """The inventory form's rules (``services.unit_save``) for every unit row, against the units as they are now: a
    new unit is registered 空闲 or 维修中 only; an existing unit's status changes only between 空闲 and 维修中
    (已预留 and 已入住 follow offers, leases and gifted housing); a unit in a round that is not finished keeps its
    layout and area and cannot go into maintenance. Returns the existing units by row number, whose status read the
    write is conditional on."""
    codes = {row["project"][0] for row in rows}
    existing = {(u.building.project.code, u.building.name, u.number): u for u in
                Unit.objects.filter(building__project__code__in=codes).select_related("building__project")}
    in_round = dict(RoundUnit.objects.filter(unit__in=[u.pk for u in existing.values()])
                    .exclude(round__status=RoundStatus.FINISHED).values_list("unit_id", "round__code"))
    found: dict[int, Unit] = {}

    def err(n: int, column: str, message: str) -> None:
        report.errors.append({"sheet": UNIT_SHEET, "row": n, "column": column, "message": message})

    for row in rows:
        n, status = row["row"], row["status"]
        unit = existing.get((row["project"][0], row["building"], row["number"]))
        if unit is None:
            row["status"] = status or UnitStatus.VACANT
            if status and status not in MANUAL_UNIT_STATES:
                err(n, "状态", _("状态：新房源只能登记为空闲或维修中；已预留、已入住由配租、租赁和人才住房分配自动维护。"))
            continue
        found[n] = unit
        row["status"] = status = status or unit.status
        if status and status != unit.status and (unit.status not in MANUAL_UNIT_STATES
                                                 or status not in MANUAL_UNIT_STATES):
            err(n, "状态", _("状态：已预留、已入住由配租、租赁和人才住房分配自动维护，只能在空闲与维修中之间手工切换（该房源现为%(s)s）。")
                % {"s": unit.get_status_display()})
        code = in_round.get(unit.pk)
        if code is not None:
            if row["layout"] and row["layout"] != unit.layout:
                err(n, "户型", _("户型：该房源在未结束的批次 %(r)s 中，户型已或将公示，不能修改。") % {"r": code})
            if row["area_m2"] and row["area_m2"] != unit.area_m2:
                err(n, "建筑面积（㎡）", _("建筑面积：该房源在未结束的批次 %(r)s 中，面积已或将公示，不能修改。") % {"r": code})
            if status == UnitStatus.MAINTENANCE and unit.status != UnitStatus.MAINTENANCE:
                err(n, "状态", _("状态：该房源在未结束的批次 %(r)s 中，不能设为维修中。") % {"r": code})
    return found


def _bed_row(n: int, row: dict[str, Any], report: ImportReport, seen: set[tuple[str, str, str]]) -> dict[str, Any]:
    out = {c: _text(row[c]) for c in BED_COLUMNS}
    for col in ("驿站代码", "驿站名称", "驿站地址", "房间号", "床位"):
        if not out[col]:
            report.errors.append({"sheet": BED_SHEET, "row": n, "column": col, "message": f"{col}：{_('请填写。')}"})
    key = (out["驿站代码"], out["房间号"], out["床位"])
    if all(key) and key in seen:
        report.errors.append({"sheet": BED_SHEET, "row": n, "column": "床位",
                              "message": _("床位：与前面的行重复。")})
    seen.add(key)
    return out


def inventory_import(*, actor: User, content: bytes, file_name: str = "") -> ImportReport:
    """Import the workbook all-or-nothing; returns the report (``ok`` False → nothing was written)."""
    _require_staff(actor, action="housing.inventory.import")
    report = ImportReport()
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        report.errors.append({"sheet": "", "row": 0, "column": "", "message": _("文件：不是有效的 Excel（.xlsx）文件。")})
        return report
    if UNIT_SHEET not in wb.sheetnames and BED_SHEET not in wb.sheetnames:
        report.errors.append({"sheet": "", "row": 0, "column": "",
                              "message": _("文件：应包含工作表「%(a)s」或「%(b)s」。") % {"a": UNIT_SHEET, "b": BED_SHEET}})
        return report
    unit_rows, bed_rows = [], []
    if UNIT_SHEET in wb.sheetnames:
        seen: set[tuple[str, str, str]] = set()
        unit_rows = [_unit_row(n, r, report, seen) for n, r in _rows(wb[UNIT_SHEET], UNIT_COLUMNS, report)]
    existing = _unit_rules(unit_rows, report) if unit_rows and not report.errors else {}
    if BED_SHEET in wb.sheetnames:
        seen_beds: set[tuple[str, str, str]] = set()
        bed_rows = [_bed_row(n, r, report, seen_beds) for n, r in _rows(wb[BED_SHEET], BED_COLUMNS, report)]
    if report.errors:
        audit_record(action="housing.inventory.import", actor=actor, result="failure",
                     detail={"file": file_name, "errors": len(report.errors)})
        return report
    try:
        _write(actor=actor, unit_rows=unit_rows, bed_rows=bed_rows, existing=existing, report=report,
               file_name=file_name)
    except TransitionNotAllowed:
        report.units = report.beds = 0  # rolled back: nothing was written
        audit_record(action="housing.inventory.import", actor=actor, result="failure",
                     detail={"file": file_name, "errors": len(report.errors)})
    return report


def _write(*, actor: User, unit_rows: list[dict[str, Any]], bed_rows: list[dict[str, str]],
           existing: dict[int, Unit], report: ImportReport, file_name: str) -> None:
    """Everything in one transaction. An existing unit is updated only from the status read when it was checked (a
    conditional UPDATE): if an offer or a lease changed it meanwhile, the whole import is rolled back and the row
    is reported."""
    with transaction.atomic():
        projects: dict[str, Project] = {}
        for row in unit_rows:
            n = row.pop("row")
            code, name, kind, address = row.pop("project")
            if code not in projects:
                projects[code], _c = Project.objects.update_or_create(
                    code=code, defaults={"name": name, "kind": kind, "address": address})
            unit = existing.get(n)
            if unit is None:
                _unit_upsert(project=projects[code], **row)
            else:
                fields = {k: v for k, v in row.items() if k not in ("building", "number")}
                try:
                    _transition(Unit, unit.pk, sources=(unit.status,), **fields)
                except TransitionNotAllowed:
                    report.errors.append({"sheet": UNIT_SHEET, "row": n, "column": "状态", "message": _(
                        "状态：该房源的状态在导入期间已被配租或租赁更改，未导入任何数据，请重新导入。")})
                    raise
            report.units += 1
        stations: dict[str, WarmStation] = {}
        for row in bed_rows:
            code = row["驿站代码"]
            if code not in stations:
                stations[code], _c = WarmStation.objects.update_or_create(
                    code=code, defaults={"name": row["驿站名称"], "address": row["驿站地址"],
                                         "phone": row["联系电话"]})
            room, _c = Room.objects.get_or_create(station=stations[code], number=row["房间号"])
            Bed.objects.get_or_create(room=room, label=row["床位"])
            report.beds += 1
        audit_record(action="housing.inventory.import", actor=actor,
                     detail={"file": file_name, "units": report.units, "beds": report.beds})
