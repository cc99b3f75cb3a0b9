"""Pages of the targets dashboard. Thin adapters over the selectors and services; out of scope is 404."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onestop.core.audit import audit_record
from onestop.core.exceptions import ApplicationError, NotFound
from onestop.core.models import Department, User
from onestop.core.permissions import Capability
from onestop.core.views.pages import capability_required
from onestop.core.views.service_calls import or_404, submit
from onestop.workflow import calendar as wd

from . import charts, exports, measures, selectors, services
from .choices import RUNNING_REPORT_STATES, PaceStatus
from .forms import ReportedFigureForm, ReportForm, ReviseForm
from .models import Target

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise Http404
    return user


def _year(request: HttpRequest) -> int:
    raw = request.GET.get("year", "")
    if raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    return selectors.default_year()


def _int(raw: str | None, low: int, high: int) -> int | None:
    if raw and raw.isdigit() and low <= int(raw) <= high:
        return int(raw)
    return None


def _status_labels() -> dict[str, str]:
    return {str(s.value): str(s.label) for s in PaceStatus}


def _context(request: HttpRequest, *, dark: bool = False) -> dict[str, Any]:
    user = _user(request)
    year = _year(request)
    data = or_404(lambda: selectors.dashboard(user=user, year=year))
    for row in data["targets"]:
        row["status_label"] = _status_labels().get(row["status"], row["status"])
    return {"data": data, "year": year, "years": selectors.years_available() or [year],
            "overview": charts.overview(data["targets"], dark=dark),
            "indicators": [r for r in data["targets"] if r["target"] is None],
            "goals": [r for r in data["targets"] if r["target"] is not None]}


@capability_required(Capability.TARGETS_VIEW)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "targets/dashboard.html", _context(request))


@capability_required(Capability.TARGETS_VIEW)
@require_GET
def screen(request: HttpRequest) -> HttpResponse:
    """大屏: the leadership room's full-screen dark view; the panel refreshes itself (htmx polling)."""
    return render(request, "targets/screen.html", _context(request, dark=True))


@capability_required(Capability.TARGETS_VIEW)
@require_GET
def screen_panel(request: HttpRequest) -> HttpResponse:
    return render(request, "targets/partials/screen_panel.html", _context(request, dark=True))


@capability_required(Capability.TARGETS_VIEW)
@require_POST
def refresh(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    year = _int(request.POST.get("year"), 2000, 2100) or selectors.default_year()
    services.snapshot_refresh_later(year=year, actor=user)
    messages.success(request, _("已开始重新计算，稍后刷新页面即可看到最新数值。"))
    return redirect(f"{_reverse('targets:dashboard')}?year={year}")


def _reverse(name: str, *args: Any) -> str:
    from django.urls import reverse

    return reverse(name, args=args)


@capability_required(Capability.TARGETS_VIEW)
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """The dashboard's numbers as Excel (the same figures, narrowed to the viewer's targets). Audited."""
    user = _user(request)
    year = _year(request)
    data = or_404(lambda: selectors.dashboard(user=user, year=year))
    as_of = date.fromisoformat(data["as_of"])
    targets = {t.pk: t for t in selectors.targets_for(user=user, year=year)}

    def split(row: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        target = targets.get(row["id"])
        return selectors.breakdowns(target=target, as_of=as_of) if target is not None else {}

    body = exports.workbook(data, split)
    audit_record(action="targets.export", actor=user, detail={"year": year, "targets": len(data["targets"]),
                                                              "as_of": data["as_of"]})
    response = HttpResponse(body, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="targets-{year}-{data["as_of"]}.xlsx"'
    response["Cache-Control"] = "private, no-store"
    return response


@capability_required(Capability.TARGETS_VIEW)
@require_http_methods(["GET", "POST"])
def target_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    target: Target = or_404(lambda: selectors.target_for(user=user, pk=pk))
    can_report = selectors.can_report(user=user, target=target)
    form = ReportedFigureForm(request.POST or None, request.FILES or None,
                              initial={"month": wd.today().replace(day=1)}) if can_report else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            d = form.cleaned_data
            if submit(form, lambda: services.reported_figure_enter(
                    actor=user, target=target, month=d["month"], value=d["value"], source=d["source"],
                    evidence=d["evidence"], note=d["note"])):
                messages.success(request, _("已填报，数值已计入看板。"))
                return redirect("targets:detail", target.pk)
    row = selectors.figure_of(user=user, target=target)
    row["status_label"] = _status_labels().get(row["status"], row["status"])
    as_of = date.fromisoformat(row["as_of"])
    splits = selectors.breakdowns(target=target, as_of=as_of)
    measure = measures.MEASURES.get(target.measure)
    return render(request, "targets/detail.html", {
        "target": target, "row": row, "measure": measure, "form": form, "can_report": can_report,
        "trend": charts.trend(row),
        "splits": [{"dim": dim, "label": measures.DIMENSIONS[dim], "rows": rows, "chart": charts.split(row, dim, rows),
                    "chart_id": f"split-{dim}"} for dim, rows in splits.items()],
        "reported": selectors.reported_figures_for(user=user, target=target) if target.is_reported else [],
        "revise_form": ReviseForm() if can_report else None,
    })


@capability_required(Capability.TARGETS_VIEW)
@require_GET
def records(request: HttpRequest, pk: int) -> HttpResponse:
    """The records behind a figure: all of them, one month's, or one breakdown bar's (paginated, names masked)."""
    user = _user(request)
    target: Target = or_404(lambda: selectors.target_for(user=user, pk=pk))
    month = _int(request.GET.get("month"), 1, 12)
    dim = request.GET.get("dim", "")[:16]
    key = request.GET.get("key", "")[:64]
    try:
        drill = selectors.drill_down(user=user, target=target, month=month, dim=dim, key=key)
    except NotFound:
        raise Http404
    except ApplicationError:
        raise Http404
    page = Paginator(drill.queryset, 50).get_page(request.GET.get("page"))
    row = selectors.figure_of(user=user, target=target)
    label = ""
    if dim:
        label = next((r["label"] for r in measures.breakdown(measures.MEASURES[target.measure], target.year,
                                                               drill.as_of, dim) if r["key"] == key), key)
    query = "&".join(f"{k}={v}" for k, v in (("month", month), ("dim", dim), ("key", key)) if v)
    return render(request, "targets/records.html", {
        "target": target, "row": row, "drill": drill, "page": page, "rows": [[r.get(k) for k, _label in drill.columns] for r in drill.rows(page.object_list)],
        "month": month, "dim": dim, "dim_label": measures.DIMENSIONS.get(dim, ""), "key_label": label,
        "query": query, "total": page.paginator.count})


def _file_response(file: Any, name: str, content_type: str) -> FileResponse:
    response = FileResponse(file.open("rb"), as_attachment=True, filename=name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@capability_required(Capability.TARGETS_VIEW)  # type: ignore[arg-type]
@require_GET
def evidence(request: HttpRequest, pk: int) -> FileResponse:
    user = _user(request)
    figure = or_404(lambda: selectors.reported_figure_for(user=user, pk=pk))
    audit_record(action="targets.reported.evidence", actor=user, obj=figure)
    return _file_response(figure.evidence, figure.evidence_name, figure.evidence_type)


@capability_required(Capability.TARGETS_REPORT)
@require_POST
def revise(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    figure = or_404(lambda: selectors.reported_figure_for(user=user, pk=pk))
    if not selectors.can_report(user=user, target=figure.target):
        raise Http404
    form = ReviseForm(request.POST, request.FILES)
    if form.is_valid():
        d = form.cleaned_data
        if submit(form, lambda: services.reported_figure_revise(
                actor=user, figure=figure, value=d["value"], reason=d["reason"], source=d["source"],
                evidence=d["evidence"])):
            messages.success(request, _("已更正，更正前后的数值已记入审计日志。"))
            return redirect("targets:detail", figure.target_id)
    for errors in form.errors.values():
        for e in errors:
            messages.error(request, str(e))
    return redirect("targets:detail", figure.target_id)


@capability_required(Capability.TARGETS_VIEW)
@require_http_methods(["GET", "POST"])
def reports(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    scope = selectors.scope_of(user)
    own = Department.objects.filter(pk__in=user.department_ids()).order_by("sort_order") if scope.everything else None
    form = ReportForm(request.POST or None, departments=own, initial={"month": wd.today().replace(day=1)})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        department = None
        if d.get("department"):
            department = Department.objects.filter(pk=int(d["department"])).first()
        result = submit(form, lambda: services.report_request(actor=user, year=d["month"].year,
                                                               month=d["month"].month, department=department))
        if result:
            messages.success(request, _("报告正在生成。"))
            return redirect("targets:report_detail", result.pk)
    return render(request, "targets/reports.html", {"form": form, "reports": selectors.reports_for(user=user)[:50]})


@capability_required(Capability.TARGETS_VIEW)
@require_GET
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The report's progress (an htmx partial polled while it is generated) and its download link."""
    report = or_404(lambda: selectors.report_for(user=_user(request), pk=pk))
    ctx = {"report": report, "polling": report.status in RUNNING_REPORT_STATES}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "targets/partials/report_progress.html", ctx)
    return render(request, "targets/report_detail.html", ctx)


@capability_required(Capability.TARGETS_VIEW)  # type: ignore[arg-type]
@require_GET
def report_download(request: HttpRequest, pk: int) -> FileResponse:
    user = _user(request)
    report = or_404(lambda: selectors.report_for(user=user, pk=pk))
    if not report.file:
        raise Http404
    audit_record(action="targets.report.download", actor=user, obj=report)
    return _file_response(report.file, f"targets-{report.year}-{report.month:02d}.pdf", "application/pdf")
