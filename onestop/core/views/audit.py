"""The audit trail for the audit admin and auditors: search, read, export. Nobody can edit it."""

from __future__ import annotations

import csv
import io

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from .. import selectors
from ..audit import audit_record
from ..forms import AuditSearchForm
from ..models import AuditEvent
from ..permissions import Capability, has_capability
from .pages import capability_required

EXPORT_LIMIT = 100_000
COLUMNS = ["seq", "occurred_at", "actor_label", "role", "department", "source_ip", "action", "object_type",
           "object_id", "object_repr", "result", "before", "after", "detail", "hash"]


def _filtered(request: HttpRequest) -> tuple[AuditSearchForm, QuerySet[AuditEvent]]:
    form = AuditSearchForm(request.GET or None)
    params = form.cleaned_data if form.is_valid() else {}
    qs = selectors.audit_events_for(user=request.user, **{k: v for k, v in params.items() if v})  # type: ignore[arg-type]
    return form, qs


@capability_required(Capability.AUDIT_READ)
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    form, qs = _filtered(request)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    template = "core/partials/audit_rows.html" if getattr(request, "htmx", False) else "core/audit_list.html"
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, template, {
        "form": form, "page": page, "query": query.urlencode(),
        "can_export": has_capability(request.user, Capability.AUDIT_EXPORT),  # type: ignore[arg-type]
    })


@capability_required(Capability.AUDIT_EXPORT)
@require_GET
def audit_export(request: HttpRequest) -> HttpResponse:
    _form, qs = _filtered(request)
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise Http404
    rows = list(qs.values_list(*COLUMNS)[:EXPORT_LIMIT])
    audit_record(action="audit.export", detail={"format": fmt, "rows": len(rows), "filters": request.GET.dict()})
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")  # Excel opens UTF-8 CSV correctly with a BOM
        writer = csv.writer(buffer)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([_cell(v) for v in row])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
        return response
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("audit")
    ws.append(COLUMNS)
    for row in rows:
        ws.append([_cell(v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    response = HttpResponse(out.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.xlsx"'
    return response


def _cell(value: object) -> object:
    import json
    from datetime import datetime

    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    text = "" if value is None else str(value)
    # Neutralise spreadsheet formulas (CSV injection).
    if text[:1] in ("=", "+", "-", "@"):
        text = "'" + text
    return text
