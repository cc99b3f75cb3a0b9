"""Targets are data, per year: what counts (a registered measure of the platform's records, or a figure the owner
department reports with source and evidence), the target value, unit, owner department and pace. The 2023 results are
kept as historical figures. Computed figures are cached as one snapshot per year; monthly PDF reports are generated
by a task and kept in private storage.

Invariants are constraints: one target per code and year, one reported figure per target and month (first day of the
month, non-negative, with a source), one report being generated per month and scope, a finished report has a file.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onestop.talents.storage import private_storage

from .choices import REPORTED, Pace, ReportStatus


def _values(choices: type[models.TextChoices]) -> list[str]:
    return [str(c.value) for c in choices]


class Target(models.Model):
    year = models.PositiveSmallIntegerField(_("年度"))
    code = models.SlugField(_("代码"), max_length=48)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="parts",
                               verbose_name=_("所属目标（“其中”项）"))
    title = models.CharField(_("目标"), max_length=120)
    title_en = models.CharField(_("英文名称"), max_length=160, blank=True)
    measure = models.CharField(_("统计口径"), max_length=32,
                               help_text=_("平台统计口径的代码；“reported” 表示由责任部门填报。"))
    target_value = models.DecimalField(_("目标值"), max_digits=14, decimal_places=2, null=True, blank=True,
                                       help_text=_("留空表示只监测、不设目标值的指标。"))
    at_least = models.BooleanField(_("不低于（≥）"), default=False)
    unit = models.CharField(_("单位"), max_length=16)
    owner_department = models.ForeignKey("core.Department", on_delete=models.PROTECT, related_name="targets",
                                         verbose_name=_("责任部门"))
    pace = models.CharField(_("推进节奏"), max_length=8, choices=Pace.choices, default=Pace.LINEAR)
    monthly_profile = models.JSONField(_("月度计划权重"), default=list, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)
    source_note = models.CharField(_("目标依据"), max_length=200, blank=True)
    note = models.TextField(_("说明"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["year", "sort_order", "id"]
        verbose_name = _("年度目标")
        verbose_name_plural = _("年度目标")
        constraints = [
            models.UniqueConstraint(fields=["year", "code"], name="target_code_once_per_year"),
            models.CheckConstraint(condition=Q(year__gte=2000) & Q(year__lte=2100), name="target_year_range"),
            models.CheckConstraint(condition=Q(pace__in=_values(Pace)), name="target_pace_valid"),
            models.CheckConstraint(condition=Q(target_value__isnull=True) | Q(target_value__gte=0),
                                   name="target_value_nonnegative"),
            models.CheckConstraint(condition=~Q(measure=""), name="target_has_measure"),
            models.CheckConstraint(condition=~Q(unit=""), name="target_has_unit"),
        ]
        indexes = [models.Index(fields=["owner_department", "year"])]

    def __str__(self) -> str:
        return f"{self.year} {self.title}"

    @property
    def is_reported(self) -> bool:
        return self.measure == REPORTED


class HistoricalFigure(models.Model):
    """A published result of an earlier year (e.g. the 2023 results), shown beside the comparable target."""

    year = models.PositiveSmallIntegerField(_("年度"))
    code = models.SlugField(_("代码"), max_length=48)
    title = models.CharField(_("指标"), max_length=120)
    title_en = models.CharField(_("英文名称"), max_length=160, blank=True)
    value = models.DecimalField(_("数值"), max_digits=14, decimal_places=2)
    at_least = models.BooleanField(_("以上（+）"), default=False)
    unit = models.CharField(_("单位"), max_length=16)
    target_code = models.SlugField(_("可比目标代码"), max_length=48, blank=True)
    source = models.CharField(_("来源"), max_length=200)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)

    class Meta:
        ordering = ["year", "sort_order", "id"]
        verbose_name = _("历史成效")
        verbose_name_plural = _("历史成效")
        constraints = [
            models.UniqueConstraint(fields=["year", "code"], name="history_code_once_per_year"),
            models.CheckConstraint(condition=Q(value__gte=0), name="history_value_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.title}"


def evidence_name(instance: ReportedFigure, filename: str) -> str:
    ext = getattr(instance, "_sniffed_ext", "bin")
    return f"targets/evidence/{timezone.localdate():%Y/%m}/{secrets.token_hex(16)}.{ext}"


class ReportedFigure(models.Model):
    """A month's figure for a target the platform cannot count (e.g. training sessions run by other bodies),
    entered by the owner department with its source and an evidence file. Corrections keep the row and are audited."""

    target = models.ForeignKey(Target, on_delete=models.PROTECT, related_name="reported_figures",
                               verbose_name=_("目标"))
    month = models.DateField(_("月份"), help_text=_("当月 1 日"))
    value = models.DecimalField(_("当月数值"), max_digits=14, decimal_places=2)
    source = models.CharField(_("数据来源"), max_length=200)
    note = models.TextField(_("说明"), blank=True)
    evidence = models.FileField(_("佐证材料"), storage=private_storage, upload_to=evidence_name, max_length=200)
    evidence_name = models.CharField(_("原文件名"), max_length=200)
    evidence_type = models.CharField(max_length=32)
    evidence_size = models.PositiveIntegerField(_("大小（字节）"))
    evidence_sha256 = models.CharField(max_length=64)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("填报人"))
    entered_at = models.DateTimeField(_("填报时间"), default=timezone.now)
    revisions = models.PositiveSmallIntegerField(_("更正次数"), default=0)
    revised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("更正人"))
    revised_at = models.DateTimeField(_("更正时间"), null=True, blank=True)
    revision_reason = models.CharField(_("更正理由"), max_length=500, blank=True)

    class Meta:
        ordering = ["target", "month"]
        verbose_name = _("填报数据")
        verbose_name_plural = _("填报数据")
        constraints = [
            models.UniqueConstraint(fields=["target", "month"], name="reported_once_per_month"),
            models.CheckConstraint(condition=Q(value__gte=0), name="reported_value_nonnegative"),
            models.CheckConstraint(condition=Q(month__day=1), name="reported_month_first_day"),
            models.CheckConstraint(condition=~Q(source=""), name="reported_has_source"),
            models.CheckConstraint(
                condition=Q(evidence_type__in=["application/pdf", "image/jpeg", "image/png"]),
                name="reported_evidence_type_allowed"),
            models.CheckConstraint(condition=Q(revisions=0) | (Q(revised_at__isnull=False) & ~Q(revision_reason="")),
                                   name="reported_revision_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.target} {self.month:%Y-%m}"


class FigureSnapshot(models.Model):
    """The computed figures of one year's targets (all of them; each viewer is shown the ones in scope), with the
    day they are computed for and when. Read while fresh; recomputed by the tick task or on demand."""

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    as_of = models.DateField(_("统计截至"))
    computed_at = models.DateTimeField(_("计算时间"), default=timezone.now)
    duration_ms = models.PositiveIntegerField(_("计算耗时（毫秒）"), default=0)
    payload = models.JSONField(_("数据"))

    class Meta:
        verbose_name = _("指标快照")
        verbose_name_plural = _("指标快照")

    def __str__(self) -> str:
        return f"{self.year} @ {self.computed_at:%Y-%m-%d %H:%M}"


def report_name(instance: MonthlyReport, filename: str) -> str:
    return f"targets/reports/{instance.year}/{secrets.token_hex(16)}.pdf"


class MonthlyReport(models.Model):
    """The monthly PDF report of one scope (the whole zone, or one department's targets), generated by a task."""

    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"))
    scope = models.CharField(_("范围"), max_length=24, help_text=_("zone 或 dept:<部门编号>"))
    department = models.ForeignKey("core.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("部门"))
    status = models.CharField(_("状态"), max_length=8, choices=ReportStatus.choices, default=ReportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("申请人"))
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    file = models.FileField(_("报告文件"), storage=private_storage, upload_to=report_name, max_length=200, blank=True)
    size = models.PositiveIntegerField(_("大小（字节）"), default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.CharField(_("错误"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("月度报告")
        verbose_name_plural = _("月度报告")
        constraints = [
            models.CheckConstraint(condition=Q(month__gte=1) & Q(month__lte=12), name="report_month_range"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="report_progress_range"),
            models.CheckConstraint(condition=Q(status__in=_values(ReportStatus)), name="report_status_valid"),
            models.CheckConstraint(condition=~Q(status=ReportStatus.DONE) | (~Q(file="") & Q(finished_at__isnull=False)),
                                   name="report_done_has_file"),
            models.CheckConstraint(condition=Q(scope="zone", department__isnull=True)
                                   | (Q(scope__startswith="dept:") & Q(department__isnull=False)),
                                   name="report_scope_matches"),
            models.UniqueConstraint(fields=["year", "month", "scope"],
                                    condition=Q(status__in=[ReportStatus.QUEUED, ReportStatus.RUNNING]),
                                    name="report_one_running_per_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d} {self.scope}"

    @property
    def reference(self) -> str:
        return f"YB{self.year}{self.month:02d}-{self.pk:05d}" if self.pk else ""


class DirtyDay(models.Model):
    """A day of a source whose stored partial counts may be out of date: written by database triggers in the same
    transaction as any write that can change that day's counts (migration 0004), deleted by the partials' refresh
    only at the version it read (a mark written meanwhile survives). For a date-time source ``day`` is the UTC date
    of the value; the local days it can fall on (partials._local_days) are treated as dirty."""

    source = models.CharField(max_length=16)
    day = models.DateField()
    version = models.BigIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "day"], name="dirty_day_once")]

    def __str__(self) -> str:
        return f"{self.source} {self.day} v{self.version}"


class DayPartial(models.Model):
    """One measure's aggregates (``a``, ``b`` as in ``measures.Monthly``) over one local day of its source, counted
    from the records by the measure's own query; only non-zero rows are kept. Valid only inside the source's
    ``PartialCoverage`` and while the day carries no ``DirtyDay`` mark."""

    source = models.CharField(max_length=16)
    day = models.DateField()
    measure = models.CharField(max_length=32)
    a = models.FloatField(default=0)
    b = models.FloatField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "day", "measure"], name="day_partial_once")]

    def __str__(self) -> str:
        return f"{self.source} {self.day} {self.measure}"


class PartialCoverage(models.Model):
    """Which days of a source's year the stored partials cover: [1 January, ``upto``), counted by the query whose
    text hashes to ``fingerprint`` (a changed definition makes the partials void until they are counted again)."""

    source = models.CharField(max_length=16)
    year = models.PositiveSmallIntegerField()
    upto = models.DateField()
    fingerprint = models.CharField(max_length=64)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "year"], name="partial_coverage_once")]

    def __str__(self) -> str:
        return f"{self.source} {self.year} < {self.upto}"
