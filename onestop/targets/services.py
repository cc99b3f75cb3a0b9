"""Writes of the targets module: loading the shipped targets, reported figures (entry and audited correction),
the cached snapshot, and the monthly PDF report. Every write validates first (Chinese errors naming the field),
then changes inside ``transaction.atomic()`` with its audit event; background work starts after the commit."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.demo.accounts import DEPARTMENTS
from onestop.core.exceptions import Conflict, NotFound
from onestop.core.models import Department, User
from onestop.core.permissions import Capability, has_capability
from onestop.core.services import FieldErrors
from onestop.talents.uploads import max_upload_bytes, sniff
from onestop.workflow import calendar as wd

from . import catalogue, figures, measures, pace, partials
from .choices import REPORTED, Pace, ReportStatus
from .models import FigureSnapshot, HistoricalFigure, MonthlyReport, ReportedFigure, Target

MAX_VALUE = Decimal("999999999999")


# --- the shipped targets ---------------------------------------------------------------------------------------------

def _department(code: str) -> Department:
    """The owner department by code; created from the zone's department list when a fresh database lacks it."""
    found = Department.objects.filter(code=code).first()
    if found is not None:
        return found
    for dcode, name, name_en, short, order in DEPARTMENTS:
        if dcode == code:
            return Department.objects.create(code=code, name=name, name_en=name_en, short_name=short, sort_order=order)
    raise NotFound(f"department {code} is not known")


def target_validate(spec: dict[str, Any]) -> None:
    """A target definition: a known measure (or ``reported``), a known pace and, for a monthly pace, a profile."""
    errors = FieldErrors()
    if spec["measure"] != REPORTED and spec["measure"] not in measures.MEASURES:
        errors.add("measure", _("统计口径：%(m)s 不是已登记的口径。") % {"m": spec["measure"]})
    if spec.get("pace", Pace.LINEAR) not in Pace.values:
        errors.add("pace", _("推进节奏：请选择有效的选项。"))
    if spec.get("pace") == Pace.MONTHLY:
        try:
            pace.validate_profile(spec.get("monthly_profile") or [])
        except (ValueError, TypeError):
            errors.add("monthly_profile", _("月度计划权重：应为 12 个非负数，且不能全为 0。"))
    errors.raise_if_any()


def targets_load(*, year: int = 2024, actor: User | None = None) -> dict[str, int]:
    """Load (or update) the shipped targets of ``year`` and the previous year's results. Idempotent."""
    if year != 2024:
        raise NotFound(_("只随平台发布了 2024 年目标；其他年度由部门在管理后台录入，或用 targets_carry_forward 沿用。"))
    created = updated = 0
    with transaction.atomic():
        codes: dict[str, Target] = {}
        specs = [*catalogue.TARGETS_2024, *catalogue.INDICATORS]
        for order, spec in enumerate(specs, start=1):
            target_validate(spec)
            defaults = {
                "title": spec["title"], "title_en": spec.get("title_en", ""), "measure": spec["measure"],
                "target_value": spec.get("target_value"), "at_least": spec.get("at_least", False),
                "unit": spec["unit"], "owner_department": _department(spec["owner"]),
                "pace": spec.get("pace", Pace.LINEAR), "monthly_profile": spec.get("monthly_profile", []),
                "sort_order": order * 10, "source_note": catalogue.SOURCE_2024 if spec in catalogue.TARGETS_2024
                else _("平台监测指标"), "note": spec.get("note", ""), "parent": codes.get(spec.get("parent", "")),
                "updated_at": timezone.now(),
            }
            target, was_created = Target.objects.update_or_create(year=year, code=spec["code"], defaults=defaults)
            codes[target.code] = target
            created += was_created
            updated += not was_created
        for order, spec in enumerate(catalogue.RESULTS_2023, start=1):
            HistoricalFigure.objects.update_or_create(year=year - 1, code=spec["code"], defaults={
                "title": spec["title"], "title_en": spec.get("title_en", ""), "value": spec["value"],
                "at_least": spec.get("at_least", False), "unit": spec["unit"],
                "target_code": spec.get("target_code", ""), "source": catalogue.SOURCE_2023, "sort_order": order * 10})
        FigureSnapshot.objects.filter(year=year).delete()
        audit_record(action="targets.load", actor=actor, detail={"year": year, "created": created, "updated": updated})
    return {"created": created, "updated": updated, "history": len(catalogue.RESULTS_2023)}


def targets_carry_forward(*, from_year: int, to_year: int, actor: User | None = None) -> int:
    """Start a new year's targets as a copy of an earlier year's (same definitions and values) for the owner
    departments to adjust. Targets that already exist in ``to_year`` are kept as they are."""
    if to_year <= from_year:
        raise Conflict(_("目标年度：应晚于被沿用的年度。"), field_errors={"to_year": [_("目标年度：应晚于被沿用的年度。")]})
    made = 0
    with transaction.atomic():
        copies: dict[int, Target] = {}
        for t in Target.objects.filter(year=from_year).order_by("parent_id", "sort_order", "id"):
            if Target.objects.filter(year=to_year, code=t.code).exists():
                continue
            copy = Target.objects.create(
                year=to_year, code=t.code, parent=copies.get(t.parent_id or 0), title=t.title, title_en=t.title_en,
                measure=t.measure, target_value=t.target_value, at_least=t.at_least, unit=t.unit,
                owner_department=t.owner_department, pace=t.pace, monthly_profile=t.monthly_profile,
                sort_order=t.sort_order, source_note=_("沿用 %(y)s 年目标") % {"y": from_year}, note=t.note)
            copies[t.pk] = copy
            made += 1
        FigureSnapshot.objects.filter(year=to_year).delete()
        audit_record(action="targets.carry_forward", actor=actor,
                     detail={"from": from_year, "to": to_year, "created": made})
    return made


# --- the cached snapshot ---------------------------------------------------------------------------------------------

def snapshot_store(*, year: int, as_of: date, payload: dict[str, Any], started: Any = None) -> None:
    """Keep the latest computed figures of a year (a cache: losing a race to another writer is harmless)."""
    duration = int((timezone.now() - started).total_seconds() * 1000) if started else 0
    try:
        with transaction.atomic():
            FigureSnapshot.objects.update_or_create(year=year, defaults={
                "as_of": as_of, "payload": payload, "computed_at": timezone.now(), "duration_ms": duration})
    except IntegrityError:
        pass


def snapshot_refresh(*, year: int, today: date | None = None) -> FigureSnapshot:
    """Bring the year's day partials up to date (the days finished since, the days marked dirty), then the snapshot."""
    partials.refresh(year, today=today)
    as_of = figures.as_of_for(year, today)
    started = timezone.now()
    snapshot_store(year=year, as_of=as_of, payload=figures.compute(year, as_of), started=started)
    return FigureSnapshot.objects.get(year=year)


def snapshot_invalidate(*, year: int) -> None:
    FigureSnapshot.objects.filter(year=year).delete()


def snapshots_refresh_all(*, today: date | None = None) -> list[int]:
    """The tick's job: recompute every year that has targets (the current year changes daily; past years can
    still gain back-dated records)."""
    years = sorted(set(Target.objects.filter(is_active=True).values_list("year", flat=True)))
    for year in years:
        snapshot_refresh(year=year, today=today)
    return years


def snapshot_refresh_later(*, year: int, actor: User | None = None) -> None:
    """On demand (a staff button or the API): recompute in the background once the transaction commits."""
    from .tasks import snapshot_refresh_task

    audit_record(action="targets.refresh", actor=actor, detail={"year": year})
    transaction.on_commit(lambda: snapshot_refresh_task.enqueue(year))


# --- reported figures ------------------------------------------------------------------------------------------------

def _check_reporter(actor: User, target: Target) -> None:
    if (not has_capability(actor, Capability.TARGETS_REPORT)
            or target.owner_department_id not in actor.department_ids()):
        audit_record(action="targets.reported.enter", actor=actor, obj=target, result="denied")
        raise NotFound(_("记录不存在，或您无权访问。"))


def _parse_value(errors: FieldErrors, value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        errors.add("value", _("当月数值：请填写数字。"))
        return None
    if not number.is_finite():
        errors.add("value", _("当月数值：请填写数字。"))
        return None
    if number < 0:
        errors.add("value", _("当月数值：不能为负数。"))
    elif number > MAX_VALUE:
        errors.add("value", _("当月数值：数值过大。"))
    elif number != number.quantize(Decimal("0.01")):
        errors.add("value", _("当月数值：最多保留两位小数。"))
    return number


def _check_evidence(errors: FieldErrors, evidence: Any, *, required: bool) -> Any:
    if evidence is None:
        if required:
            errors.add("evidence", _("佐证材料：请上传佐证材料（PDF、JPEG 或 PNG）。"))
        return None
    limit = max_upload_bytes()
    if evidence.size is not None and evidence.size > limit:
        errors.add("evidence", _("佐证材料：文件不能超过 %(mb)d MB。") % {"mb": limit // (1024 * 1024)})
        return None
    sniffed = sniff(evidence)
    if sniffed is None:
        errors.add("evidence", _("佐证材料：只能上传 PDF、JPEG 或 PNG 文件（按文件内容识别）。"))
    return sniffed


def _attach(figure: ReportedFigure, evidence: Any, sniffed: Any) -> None:
    figure.evidence_name = (getattr(evidence, "name", "") or "evidence").replace("\\", "/").split("/")[-1][:200]
    figure.evidence_type = sniffed.content_type
    figure.evidence_size = sniffed.size
    figure.evidence_sha256 = sniffed.sha256
    figure._sniffed_ext = sniffed.extension  # type: ignore[attr-defined]
    figure.evidence.save("evidence", evidence, save=False)


def reported_figure_enter(*, actor: User, target: Target, month: date | None, value: Any, source: str,
                          evidence: Any, note: str = "", today: date | None = None) -> ReportedFigure:
    """The owner department enters one month's figure of a reported target, with its source and an evidence file.
    One figure per target and month (a unique constraint); a later change is a correction (``reported_figure_revise``)."""
    _check_reporter(actor, target)
    today = today or wd.today()
    errors = FieldErrors()
    if target.measure != REPORTED:
        errors.add("target", _("目标：该目标由平台按业务记录自动统计，无需填报。"))
        errors.raise_if_any()
    if month is None:
        errors.add("month", _("月份：请选择月份。"))
    else:
        month = month.replace(day=1)
        if month.year != target.year:
            errors.add("month", _("月份：应在目标年度（%(y)s 年）内。") % {"y": target.year})
        elif month > today.replace(day=1):
            errors.add("month", _("月份：不能填报尚未开始的月份。"))
    number = _parse_value(errors, value)
    source = (source or "").strip()
    if not source:
        errors.add("source", _("数据来源：请写明数据来源（如：人社局职业技能培训管理系统）。"))
    elif len(source) > 200:
        errors.add("source", _("数据来源：不能超过 200 个字符。"))
    note = (note or "").strip()
    if len(note) > 2000:
        errors.add("note", _("说明：不能超过 2000 个字符。"))
    sniffed = _check_evidence(errors, evidence, required=True)
    errors.raise_if_any()
    assert month is not None and number is not None and sniffed is not None
    if ReportedFigure.objects.filter(target=target, month=month).exists():
        raise Conflict(_("该月份已填报，如需修改请使用“更正”。"),
                       field_errors={"month": [_("月份：%(m)s 已填报，如需修改请使用“更正”。") % {"m": f"{month:%Y-%m}"}]})
    figure = ReportedFigure(target=target, month=month, value=number, source=source, note=note, entered_by=actor)
    _attach(figure, evidence, sniffed)
    try:
        with transaction.atomic():
            figure.save()
            audit_record(action="targets.reported.enter", actor=actor, obj=figure,
                         after={"target": target.code, "year": target.year, "month": f"{month:%Y-%m}",
                                "value": str(number), "source": source, "evidence_sha256": sniffed.sha256})
            transaction.on_commit(lambda: snapshot_invalidate(year=target.year))
    except IntegrityError:
        figure.evidence.delete(save=False)
        raise Conflict(_("该月份已填报，如需修改请使用“更正”。"),
                       field_errors={"month": [_("月份：%(m)s 已填报，如需修改请使用“更正”。") % {"m": f"{month:%Y-%m}"}]})
    return figure


def reported_figure_revise(*, actor: User, figure: ReportedFigure, value: Any, reason: str,
                           source: str = "", evidence: Any = None) -> ReportedFigure:
    """Correct a reported month: a new value (and optionally source and evidence) with a reason; before and after
    go into the audit trail. Only the owner department's staff."""
    target = figure.target
    _check_reporter(actor, target)
    errors = FieldErrors()
    number = _parse_value(errors, value)
    reason = (reason or "").strip()
    if not reason:
        errors.add("reason", _("更正理由：请写明更正理由。"))
    elif len(reason) > 500:
        errors.add("reason", _("更正理由：不能超过 500 个字符。"))
    source = (source or "").strip()
    if len(source) > 200:
        errors.add("source", _("数据来源：不能超过 200 个字符。"))
    sniffed = _check_evidence(errors, evidence, required=False)
    errors.raise_if_any()
    assert number is not None
    before = {"value": str(figure.value), "source": figure.source, "evidence_sha256": figure.evidence_sha256,
              "revisions": figure.revisions}
    old_file = figure.evidence.name if sniffed is not None else None
    with transaction.atomic():
        locked = ReportedFigure.objects.select_for_update().get(pk=figure.pk)
        if locked.revisions != figure.revisions:
            raise Conflict(_("该数据刚被他人更正，请刷新后重试。"))
        locked.value = number
        if source:
            locked.source = source
        if sniffed is not None:
            _attach(locked, evidence, sniffed)
        locked.revisions = figure.revisions + 1
        locked.revised_by = actor
        locked.revised_at = timezone.now()
        locked.revision_reason = reason
        updated = ReportedFigure.objects.filter(pk=figure.pk, revisions=figure.revisions).update(
            value=locked.value, source=locked.source, evidence=locked.evidence.name,
            evidence_name=locked.evidence_name, evidence_type=locked.evidence_type,
            evidence_size=locked.evidence_size, evidence_sha256=locked.evidence_sha256,
            revisions=locked.revisions, revised_by=actor, revised_at=locked.revised_at, revision_reason=reason)
        if updated != 1:
            raise Conflict(_("该数据刚被他人更正，请刷新后重试。"))
        audit_record(action="targets.reported.revise", actor=actor, obj=locked, before=before,
                     after={"value": str(number), "source": locked.source, "evidence_sha256": locked.evidence_sha256,
                            "revisions": locked.revisions, "reason": reason})
        transaction.on_commit(lambda: snapshot_invalidate(year=target.year))
    if old_file and old_file != locked.evidence.name:
        transaction.on_commit(lambda: locked.evidence.storage.delete(old_file))
    return locked


# --- the monthly PDF report -------------------------------------------------------------------------------------------

def report_request(*, actor: User, year: int, month: int, department: Department | None = None,
                   today: date | None = None) -> MonthlyReport:
    """Ask for a month's PDF report for the actor's scope: the whole zone (talent office, auditor) or one of the
    actor's departments. Generated by a task once the request commits; one at a time per month and scope."""
    from .selectors import scope_of

    scope = scope_of(actor)
    if scope.empty:
        raise NotFound(_("记录不存在，或您无权访问。"))
    today = today or wd.today()
    errors = FieldErrors()
    if not 2000 <= year <= 2100:
        errors.add("year", _("年度：请选择有效的年度。"))
    if not 1 <= month <= 12:
        errors.add("month", _("月份：应为 1–12。"))
    elif (year, month) > (today.year, today.month):
        errors.add("month", _("月份：不能为尚未开始的月份生成报告。"))
    if department is not None and department.pk not in actor.department_ids():
        errors.add("department", _("部门：只能为本部门生成报告。"))
    errors.raise_if_any()
    if department is None and not scope.everything:
        own = sorted(actor.department_ids())
        department = Department.objects.get(pk=own[0])
    scope_key = f"dept:{department.pk}" if department is not None else "zone"
    try:
        with transaction.atomic():
            report = MonthlyReport.objects.create(year=year, month=month, scope=scope_key, department=department,
                                                  requested_by=actor)
            audit_record(action="targets.report.request", actor=actor, obj=report,
                         detail={"year": year, "month": month, "scope": scope_key})
    except IntegrityError:
        raise Conflict(_("该月份的报告正在生成，请稍候。"),
                       field_errors={"month": [_("月份：该月份的报告正在生成，请稍候。")]})
    from .tasks import report_generate_task

    transaction.on_commit(lambda: report_generate_task.enqueue(report.pk))
    return report


def _progress(report: MonthlyReport, value: int) -> None:
    MonthlyReport.objects.filter(pk=report.pk).update(progress=min(max(value, 0), 99))


def report_generate(*, report_id: int) -> MonthlyReport:
    """The task's work: compute the month's figures for the report's scope, render the PDF, store it. Progress is
    written as it goes (the page polls it). Runs once: only a queued report is taken."""
    from . import render

    taken = MonthlyReport.objects.filter(pk=report_id, status=ReportStatus.QUEUED).update(
        status=ReportStatus.RUNNING, started_at=timezone.now(), progress=1)
    report = MonthlyReport.objects.select_related("department", "requested_by").get(pk=report_id)
    if taken != 1:
        return report
    try:
        month_end = date(report.year, report.month, 1)
        month_end = date(report.year + report.month // 12, report.month % 12 + 1, 1)
        as_of = min(figures.as_of_for(report.year), date.fromordinal(month_end.toordinal() - 1))
        _progress(report, 10)
        data = figures.compute(report.year, as_of)
        if report.department_id:
            data["targets"] = [t for t in data["targets"] if t["owner_department"]["id"] == report.department_id]
        _progress(report, 60)
        pdf = render.monthly_report_pdf(report, data, progress=lambda p: _progress(report, 60 + p * 35 // 100))
        with transaction.atomic():
            report.file.save(f"{report.year}-{report.month:02d}.pdf", ContentFile(pdf), save=False)
            MonthlyReport.objects.filter(pk=report.pk).update(
                status=ReportStatus.DONE, progress=100, file=report.file.name, size=len(pdf),
                sha256=hashlib.sha256(pdf).hexdigest(), finished_at=timezone.now())
            audit_record(action="targets.report.generate", actor=None, obj=report,
                         detail={"size": len(pdf), "targets": len(data["targets"])})
    except Exception as exc:  # the report says it failed; the worker keeps running
        MonthlyReport.objects.filter(pk=report.pk).update(status=ReportStatus.FAILED, error=str(exc)[:500],
                                                          finished_at=timezone.now())
    report.refresh_from_db()
    if report.status == ReportStatus.DONE:
        from onestop.core.notifications import notification_send

        notification_send(recipient=report.requested_by, title=_("月度报告已生成：%(y)s 年 %(m)s 月") % {
            "y": report.year, "m": report.month}, link=f"/targets/reports/{report.pk}/")
    return report
