"""The monthly report as a PDF (reportlab): a title page block, one table of every target in scope (value, target,
per cent, due by the pace, status, this month), a completion bar per target, and the earlier year's results.

Chinese text uses reportlab's built-in CID font ``STSong-Light`` (the same choice as certificates and green cards:
the PDF names the font and the viewer supplies the glyphs, so no font file is shipped)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import PaceStatus
from .models import MonthlyReport

CJK_FONT = "STSong-Light"
STATUS_COLOURS = {"achieved": "#198754", "ahead": "#198754", "on_pace": "#0d6efd", "behind": "#dc3545",
                  "indicator": "#6c757d"}


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _status(status: str) -> str:
    try:
        return str(PaceStatus(status).label)
    except ValueError:
        return status


def monthly_report_pdf(report: MonthlyReport, data: dict[str, Any],
                       progress: Callable[[int], None] | None = None) -> bytes:
    from reportlab.graphics.shapes import Drawing, Rect, String
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _register_font()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=14 * mm, rightMargin=14 * mm,
                            topMargin=14 * mm, bottomMargin=14 * mm,
                            title=_("%(y)s 年 %(m)s 月人才工作目标月报") % {"y": report.year, "m": report.month},
                            author=_("郑州航空港区 人才一站式服务平台"))
    title = ParagraphStyle("t", fontName=CJK_FONT, fontSize=18, leading=24, spaceAfter=6)
    body = ParagraphStyle("b", fontName=CJK_FONT, fontSize=9, leading=13)
    small = ParagraphStyle("s", fontName=CJK_FONT, fontSize=8, leading=11)
    scope = report.department.name if report.department else _("全区（人才工作领导小组办公室）")
    story: list[Any] = [
        Paragraph(_("%(y)s 年 %(m)s 月 人才工作目标完成情况月报") % {"y": report.year, "m": report.month}, title),
        Paragraph(_("范围：%(s)s　统计截至：%(d)s　生成时间：%(g)s　编号：%(r)s") % {
            "s": scope, "d": data["as_of"], "g": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
            "r": report.reference}, body),
        Paragraph(_("“平台统计”的数值由平台按业务记录实时计算，可在看板下钻核对；“填报”的数值由责任部门按月填报并附佐证材料。"),
                  small),
        Spacer(1, 6 * mm),
    ]
    month_index = report.month - 1
    header = [_("目标"), _("责任部门"), _("方式"), _("目标值"), _("当前值"), _("完成率"), _("按进度应完成"), _("进度"),
              _("本月"), _("完成情况")]
    rows: list[list[Any]] = [header]
    targets = data["targets"]
    for i, t in enumerate(targets):
        bar = Drawing(70 * mm, 5 * mm)
        bar.add(Rect(0, 1, 70 * mm, 3 * mm, fillColor=colors.HexColor("#e9ecef"), strokeColor=None))
        pct = min(max((t["percent"] or 0) / 100.0, 0.0), 1.0)
        colour = colors.HexColor(STATUS_COLOURS.get(t["status"], "#6c757d"))
        bar.add(Rect(0, 1, 70 * mm * pct, 3 * mm, fillColor=colour, strokeColor=None))
        if t["target"] and t["expected"] is not None:
            due = min(max(float(t["expected"]) / float(t["target"]), 0.0), 1.0)
            bar.add(Rect(70 * mm * due - 0.4, 0, 0.8, 5 * mm, fillColor=colors.black, strokeColor=None))
        if t["percent"] is None:
            bar = Drawing(70 * mm, 5 * mm)
            bar.add(String(0, 1, _("监测指标"), fontName=CJK_FONT, fontSize=7))
        name = t["title"] if not t["parent"] else "　" + t["title"]
        rows.append([Paragraph(name, small), Paragraph(t["owner_department"]["name"], small),
                     _("填报") if t["reported"] else _("平台统计"),
                     _fmt(t["target"]) + ("" if t["target"] is None else t["unit"]),
                     _fmt(t["value"]), "—" if t["percent"] is None else f"{t['percent']}%", _fmt(t["expected"]),
                     _status(t["status"]), _fmt(t["months"][month_index]), bar])
        if progress and targets:
            progress(int(100 * (i + 1) / len(targets)))
    table = Table(rows, repeatRows=1, colWidths=[48 * mm, 30 * mm, 14 * mm, 22 * mm, 20 * mm, 14 * mm, 22 * mm,
                                                    16 * mm, 14 * mm, 72 * mm])
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), CJK_FONT, 8),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#0b5ed7")),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#adb5bd")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (3, 1), (8, -1), "RIGHT"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f8f9fa")]),
    ]))
    story.append(table)
    if data["history"]:
        story.extend([Spacer(1, 6 * mm), Paragraph(_("%(y)s 年工作成效（基数）") % {"y": data["year"] - 1}, body)])
        hist = [[_("指标"), _("数值"), _("单位")]] + [
            [h["title"], _fmt(h["value"]) + ("+" if h["at_least"] else ""), h["unit"]] for h in data["history"]]
        htable = Table(hist, colWidths=[70 * mm, 30 * mm, 20 * mm])
        htable.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), CJK_FONT, 8),
                                    ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#adb5bd")),
                                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef"))]))
        story.append(htable)
    doc.build(story)
    return buffer.getvalue()
