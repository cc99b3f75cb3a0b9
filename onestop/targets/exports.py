"""The dashboard as an Excel workbook (openpyxl): exactly the numbers the dashboard shows — the summary (value,
target, per cent, due by the pace, status), the monthly trend, every breakdown, and the earlier year's results."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from .choices import PaceStatus

SHEET_SUMMARY, SHEET_TREND, SHEET_BREAKDOWN, SHEET_HISTORY = "汇总", "月度趋势", "分类", "历史成效"


def _label(status: str) -> str:
    try:
        return str(PaceStatus(status).label)
    except ValueError:
        return status


def workbook(data: dict[str, Any], breakdowns: Callable[[dict[str, Any]], dict[str, list[dict[str, Any]]]]) -> bytes:
    """``data``: the dashboard dictionary (figures.compute narrowed to the viewer); ``breakdowns(row)`` gives a
    target's breakdowns as the detail page shows them."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET_SUMMARY
    ws.append([_("%(y)s 年人才工作目标完成情况") % {"y": data["year"]}, _("统计截至"), data["as_of"],
               _("计算时间"), data["computed_at"]])
    ws["A1"].font = Font(bold=True, size=14)
    header = [_("代码"), _("目标"), _("责任部门"), _("统计方式"), _("单位"), _("目标值"), _("当前值"), _("完成率（%）"),
              _("按进度应完成"), _("进度"), _("上年同类成效")]
    ws.append(header)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for t in data["targets"]:
        baseline = t["baseline"]
        ws.append([t["code"], t["title"], t["owner_department"]["name"], _("填报") if t["reported"] else _("平台统计"),
                   t["unit"], t["target"], t["value"], t["percent"], t["expected"], _label(t["status"]),
                   baseline["value"] if baseline else None])
    ws.column_dimensions["B"].width = 28
    ws.column_dimensions["C"].width = 22

    trend = wb.create_sheet(SHEET_TREND)
    trend.append([_("代码"), _("目标"), *[_("%(m)s 月") % {"m": m} for m in range(1, 13)]])
    for t in data["targets"]:
        trend.append([t["code"], t["title"], *t["months"]])
    for cell in trend[1]:
        cell.font = Font(bold=True)

    split = wb.create_sheet(SHEET_BREAKDOWN)
    split.append([_("代码"), _("目标"), _("分类"), _("键"), _("名称"), _("数值"), _("记录数")])
    for cell in split[1]:
        cell.font = Font(bold=True)
    for t in data["targets"]:
        for dim, rows in breakdowns(t).items():
            for r in rows:
                split.append([t["code"], t["title"], dim, r["key"], r["label"], r["value"], r["records"]])

    history = wb.create_sheet(SHEET_HISTORY)
    history.append([_("年度"), _("代码"), _("指标"), _("数值"), _("以上"), _("单位")])
    for cell in history[1]:
        cell.font = Font(bold=True)
    for h in data["history"]:
        history.append([h["year"], h["code"], h["title"], h["value"], "+" if h["at_least"] else "", h["unit"]])
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
