"""The 万人助万企 monthly report as an Excel workbook (openpyxl): a summary sheet, the visits, the problem ledger."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font


def monthly_workbook(report: dict[str, Any]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("汇总")
    month = report["month"]
    ws.append([_("万人助万企月度报告"), f"{month:%Y-%m}"])
    ws["A1"].font = Font(bold=True, size=14)
    sat = report.get("satisfaction")
    rows = [
        (_("月度走访计划"), report["plans"]), (_("走访次数"), report["visit_count"]),
        (_("走访企业数"), report["enterprises"]), (_("收集问题"), report["total"]),
        (_("其中人才相关"), report["talent"]), (_("按期首次答复"), report["replied_on_time"]),
        (_("超期未答复"), report["overdue"]), (_("已销号"), report["closed"]),
        (_("平均满意度"), round(float(sat), 2) if sat is not None else "-"),
    ]
    for row in rows:
        ws.append(list(row))
    ws.column_dimensions["A"].width = 20
    visits = wb.create_sheet(_("走访记录"))
    visits.append([_("走访日期"), _("企业"), _("走访人"), _("参加人员"), _("宣讲的政策"), _("企业诉求")])
    for v in report["visits"]:
        visits.append([v.visited_on, v.enterprise.name, v.official.display_name, v.participants, v.explained,
                       v.needs_heard])
    ledger = wb.create_sheet(_("问题台账"))
    ledger.append([_("编号"), _("企业"), _("问题"), _("责任部门"), _("人才相关"), _("状态"), _("提出日期"),
                   _("首次答复期限"), _("首次答复时间"), _("销号时间"), _("满意度")])
    for p in report["problems"]:
        ledger.append([p.reference, p.enterprise.name, p.title, p.owner_department.name,
                       _("是") if p.talent_related else _("否"), p.get_status_display(), p.raised_on, p.reply_due,
                       p.first_reply_at.replace(tzinfo=None) if p.first_reply_at else None,
                       p.closed_at.replace(tzinfo=None) if p.closed_at else None, p.satisfaction])
    for sheet in (visits, ledger):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
