"""The workflow engine's data: the holiday calendar, versioned definitions, cases, tasks and their history.

Invariants live in the database (ADR 0001): one active version per definition, one open case per subject, one task
per step of a case, a claimed task has an assignee, a paused task remembers how many working days it had left.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import (
    CLOCK_RUNNING_STATES,
    OPEN_TASK_STATES,
    CalendarSource,
    CaseStatus,
    DayType,
    EventKind,
    OwnerKind,
    ServiceKind,
    TaskState,
)


def _values(choices: type[models.TextChoices]) -> list[str]:
    return [str(c.value) for c in choices]


# --- holiday calendar ------------------------------------------------------------------------------------------------

class CalendarYear(models.Model):
    """A year whose official holiday arrangement is known. A year without a row is counted Monday–Friday."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source = models.CharField(_("来源"), max_length=16, choices=CalendarSource.choices)
    announcement = models.CharField(_("依据文件"), max_length=200, blank=True,
                                    help_text=_("如：国务院办公厅关于 2027 年部分节假日安排的通知"))
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("录入人"))

    class Meta:
        ordering = ["-year"]
        verbose_name = _("节假日年度安排")
        verbose_name_plural = _("节假日年度安排")
        constraints = [
            models.CheckConstraint(condition=Q(year__gte=2000) & Q(year__lte=2100), name="calendar_year_range"),
            models.CheckConstraint(condition=Q(source__in=_values(CalendarSource)), name="calendar_source_valid"),
        ]

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """A day that differs from the Monday–Friday pattern: an official holiday, or a weekend made a working day."""

    calendar_year = models.ForeignKey(CalendarYear, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("日期"), unique=True)
    day_type = models.CharField(_("类型"), max_length=8, choices=DayType.choices)
    name = models.CharField(_("名称"), max_length=32, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日/调休日")
        verbose_name_plural = _("节假日/调休日")
        constraints = [
            models.CheckConstraint(condition=Q(day_type__in=_values(DayType)), name="calendar_day_type_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_day_type_display()}"


# --- definitions ---------------------------------------------------------------------------------------------------

class WorkflowDefinition(models.Model):
    """One version of a workflow. Versions are immutable once published; a running case keeps its version."""

    code = models.SlugField(_("代码"), max_length=48)
    version = models.PositiveIntegerField(_("版本"))
    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    subject_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("办理对象类型"))
    spec = models.JSONField(_("定义"))
    spec_hash = models.CharField(max_length=64)
    is_active = models.BooleanField(_("当前版本"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["code", "-version"]
        verbose_name = _("流程定义")
        verbose_name_plural = _("流程定义")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="wf_definition_code_version"),
            models.UniqueConstraint(fields=["code"], condition=Q(is_active=True), name="wf_definition_one_active"),
            models.CheckConstraint(condition=Q(version__gte=1), name="wf_definition_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class StepDefinition(models.Model):
    """A step of one definition version. Steps with the same ``stage`` run in parallel; stages run in order."""

    definition = models.ForeignKey(WorkflowDefinition, on_delete=models.CASCADE, related_name="steps")
    code = models.SlugField(_("代码"), max_length=48)
    name = models.CharField(_("名称"), max_length=100)
    stage = models.PositiveSmallIntegerField(_("阶段"))
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    owner_kind = models.CharField(_("办理方"), max_length=12, choices=OwnerKind.choices)
    department = models.ForeignKey("core.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("办理部门"))
    deadline_days = models.PositiveSmallIntegerField(_("办理时限（工作日）"))
    allowed_roles = models.JSONField(_("可办理角色"), default=list)
    bulk_allowed = models.BooleanField(_("允许批量办理"), default=False)
    condition = models.JSONField(_("适用条件"), null=True, blank=True)

    class Meta:
        ordering = ["definition", "stage", "position"]
        verbose_name = _("流程环节")
        verbose_name_plural = _("流程环节")
        constraints = [
            models.UniqueConstraint(fields=["definition", "code"], name="wf_step_code_unique"),
            models.CheckConstraint(
                condition=(Q(owner_kind=OwnerKind.DEPARTMENT, department__isnull=False)
                           | Q(owner_kind=OwnerKind.EMPLOYER, department__isnull=True)),
                name="wf_step_owner_matches"),
            models.CheckConstraint(condition=Q(deadline_days__gte=1), name="wf_step_deadline_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_conditional(self) -> bool:
        return self.condition is not None


# --- cases and tasks -----------------------------------------------------------------------------------------------

class Case(models.Model):
    """One matter moving through one definition version, linked to its subject (an application, a request…)."""

    definition = models.ForeignKey(WorkflowDefinition, on_delete=models.PROTECT, related_name="cases",
                                   verbose_name=_("流程"))
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="workflow_cases",
                                  verbose_name=_("申请人"))
    enterprise = models.ForeignKey("employers.Enterprise", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="workflow_cases", verbose_name=_("申请人所在单位"))
    title = models.CharField(_("事项"), max_length=200)
    status = models.CharField(_("状态"), max_length=12, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    stage = models.PositiveSmallIntegerField(_("当前阶段"), default=0)
    context = models.JSONField(_("条件数据"), default=dict, blank=True)
    lock_version = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now, db_index=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        constraints = [
            models.UniqueConstraint(fields=["subject_type", "subject_id"], condition=Q(status=CaseStatus.OPEN),
                                    name="wf_case_one_open_per_subject"),
            models.CheckConstraint(condition=Q(status__in=_values(CaseStatus)), name="wf_case_status_valid"),
            models.CheckConstraint(
                condition=(Q(status=CaseStatus.OPEN, closed_at__isnull=True)
                           | (~Q(status=CaseStatus.OPEN) & Q(closed_at__isnull=False))),
                name="wf_case_closed_at_matches"),
        ]
        indexes = [models.Index(fields=["applicant", "status"])]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return f"BJ{self.created_at:%Y%m%d}-{self.pk:06d}" if self.pk else ""

    @property
    def is_open(self) -> bool:
        return self.status == CaseStatus.OPEN


class Task(models.Model):
    """The work of one step on one case, owned by a department (or the applicant's employer)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    step = models.ForeignKey(StepDefinition, on_delete=models.PROTECT, related_name="tasks")
    stage = models.PositiveSmallIntegerField()
    department = models.ForeignKey("core.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="workflow_tasks", verbose_name=_("办理部门"))
    enterprise = models.ForeignKey("employers.Enterprise", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="workflow_tasks", verbose_name=_("办理单位"))
    state = models.CharField(_("状态"), max_length=16, choices=TaskState.choices, default=TaskState.PENDING)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="workflow_tasks", verbose_name=_("经办人"))
    created_at = models.DateTimeField(_("到达时间"), default=timezone.now)
    due_date = models.DateField(_("办理期限"), null=True, blank=True)
    deadline_estimated = models.BooleanField(_("期限按周一至周五估算"), default=False)
    clock_start = models.DateField(_("计时起点"), null=True, blank=True)
    clock_days = models.SmallIntegerField(_("计时工作日数"), null=True, blank=True)
    paused_at = models.DateTimeField(_("暂停计时时间"), null=True, blank=True)
    remaining_days = models.SmallIntegerField(_("暂停时剩余工作日"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("超期上报时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("办结人"))
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("办理任务")
        verbose_name_plural = _("办理任务")
        constraints = [
            models.UniqueConstraint(fields=["case", "step"], name="wf_task_one_per_step"),
            models.CheckConstraint(condition=Q(state__in=_values(TaskState)), name="wf_task_state_valid"),
            models.CheckConstraint(
                condition=(Q(department__isnull=False, enterprise__isnull=True)
                           | Q(department__isnull=True, enterprise__isnull=False)
                           | Q(state=TaskState.SKIPPED)),
                name="wf_task_owner_xor"),
            models.CheckConstraint(
                condition=~Q(state__in=[TaskState.IN_PROGRESS, TaskState.INFO_REQUESTED]) | Q(assignee__isnull=False),
                name="wf_task_claimed_has_assignee"),
            models.CheckConstraint(
                condition=~Q(state=TaskState.INFO_REQUESTED) | Q(paused_at__isnull=False, remaining_days__isnull=False),
                name="wf_task_paused_remembers_days"),
            models.CheckConstraint(
                condition=~Q(state__in=[TaskState.PENDING, TaskState.IN_PROGRESS]) | Q(due_date__isnull=False),
                name="wf_task_running_has_deadline"),
        ]
        indexes = [
            models.Index(fields=["department", "state", "due_date"]),
            models.Index(fields=["enterprise", "state"]),
            models.Index(fields=["assignee", "state"]),
            models.Index(fields=["state", "due_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.step.name} · {self.case_id}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_TASK_STATES

    def is_overdue_on(self, today: object) -> bool:
        """Overdue: the clock runs (not paused, not finished) and the deadline has passed."""
        return bool(self.state in CLOCK_RUNNING_STATES and self.due_date is not None and self.due_date < today)  # type: ignore[operator]


class CaseEvent(models.Model):
    """The recorded history of a case: who did what to which task, when, and why. Append-only by convention."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事件"), max_length=16, choices=EventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("操作人"))
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    reason = models.TextField(_("理由"), blank=True)
    detail = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("办件记录")
        verbose_name_plural = _("办件记录")
        indexes = [models.Index(fields=["case", "created_at"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


# --- the sample subject ----------------------------------------------------------------------------------------------

class ServiceRequest(models.Model):
    """A generic talent service request (人才服务申请): the engine's sample subject, usable by later modules."""

    kind = models.CharField(_("服务事项"), max_length=16, choices=ServiceKind.choices)
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="service_requests", verbose_name=_("申请人"))
    enterprise = models.ForeignKey("employers.Enterprise", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("所在单位"))
    title = models.CharField(_("标题"), max_length=100)
    detail = models.TextField(_("申请说明"), blank=True)
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    outcome = models.CharField(_("办理结果"), max_length=12, choices=CaseStatus.choices, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("人才服务申请")
        verbose_name_plural = _("人才服务申请")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=_values(ServiceKind)), name="wf_service_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.title
