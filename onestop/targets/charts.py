"""ECharts options of the dashboard, built from the same figures the page shows. Every bar a person can click
carries the URL of the records behind it (``data[i].url``); onestop/targets/static/targets/targets.js follows it.
Options are JSON (json_script), never inline script: the CSP forbids it. Tooltips render as rich text inside the
canvas: ECharts' HTML tooltips carry style attributes, which the CSP (style-src 'self') refuses."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

STATUS_COLOURS = {"achieved": "#198754", "ahead": "#20c997", "on_pace": "#0d6efd", "behind": "#dc3545",
                  "indicator": "#6c757d"}


def records_url(target_id: int, **params: Any) -> str:
    url = reverse("targets:records", args=[target_id])
    query = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{url}?{urlencode(query)}" if query else url


def overview(rows: list[dict[str, Any]], *, dark: bool = False) -> dict[str, Any]:
    """Per cent of each target done (bars, coloured by pace status) and per cent due by the pace (markers)."""
    with_goal = [r for r in rows if r["target"]]
    labels = [r["title"] for r in with_goal]
    done = [{"value": min(r["percent"] or 0, 150), "url": reverse("targets:detail", args=[r["id"]]),
             "itemStyle": {"color": STATUS_COLOURS.get(r["status"], "#6c757d")}} for r in with_goal]
    due = [{"value": round(100 * r["due_fraction"], 1), "url": reverse("targets:detail", args=[r["id"]])}
           for r in with_goal]
    text = "#e9ecef" if dark else "#212529"
    return {
        "backgroundColor": "transparent",
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}, "renderMode": "richText"},
        "legend": {"data": [_("完成率（%）"), _("按进度应完成（%）")], "textStyle": {"color": text}},
        "grid": {"left": 8, "right": 24, "top": 36, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value", "max": 150, "axisLabel": {"color": text}},
        "yAxis": {"type": "category", "inverse": True, "data": labels, "axisLabel": {"color": text}},
        "series": [
            {"name": _("完成率（%）"), "type": "bar", "data": done, "barMaxWidth": 18,
             "label": {"show": True, "position": "right", "color": text}},
            {"name": _("按进度应完成（%）"), "type": "scatter", "data": due, "symbol": "diamond", "symbolSize": 10,
             "itemStyle": {"color": "#fd7e14"}},
        ],
    }


def trend(row: dict[str, Any], *, dark: bool = False) -> dict[str, Any]:
    """Monthly values (bars; click → that month's records), the running figure and the pace line."""
    months = [_("%(m)s月") % {"m": m} for m in range(1, 13)]
    bars = [{"value": v, "url": records_url(row["id"], month=i + 1)} if v is not None else None
            for i, v in enumerate(row["months"])]
    text = "#e9ecef" if dark else "#212529"
    # The month's bars have their own (right) axis, so they stay visible and clickable beside a running total and
    # a pace line that may be a hundred times larger.
    series: list[dict[str, Any]] = [
        {"name": _("当月"), "type": "bar", "data": bars, "barMaxWidth": 22, "yAxisIndex": 1},
        {"name": _("累计"), "type": "line", "data": row["cumulative"], "smooth": True},
    ]
    if row["target"] is not None:
        series.append({"name": _("按进度应完成"), "type": "line", "data": row["due_line"], "symbol": "none",
                       "lineStyle": {"type": "dashed"}, "itemStyle": {"color": "#fd7e14"}})
    return {
        "backgroundColor": "transparent",
        "tooltip": {"trigger": "axis", "renderMode": "richText"},
        "legend": {"data": [s["name"] for s in series], "textStyle": {"color": text}},
        "grid": {"left": 8, "right": 16, "top": 36, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": months, "axisLabel": {"color": text}},
        "yAxis": [{"type": "value", "name": _("累计"), "axisLabel": {"color": text}},
                  {"type": "value", "name": _("当月"), "axisLabel": {"color": text}, "splitLine": {"show": False},
                   "minInterval": 1 if row["kind"] == "count" else 0}],
        "series": series,
    }


def split(row: dict[str, Any], dim: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """One breakdown as bars; each bar links to its records."""
    data = [{"value": r["value"] or 0, "url": records_url(row["id"], dim=dim, key=r["key"])} for r in items]
    return {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}, "renderMode": "richText"},
        "grid": {"left": 8, "right": 24, "top": 8, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value"},
        "yAxis": {"type": "category", "inverse": True, "data": [r["label"] for r in items]},
        "series": [{"type": "bar", "data": data, "barMaxWidth": 18, "label": {"show": True, "position": "right"}}],
    }
