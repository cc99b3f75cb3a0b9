"""人才一件事 (one application, many matters, many departments) and 免申即享 (benefits the registry already proves).

Invariants live in the database: one draft or running application per talent, a matter once per application, one
running sub-case per matter (the workflow's own constraint), a document slot once per application ("uploaded once
even if three departments need it"), one offer per policy per person, one running matching run at a time.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import (
    ApplicationStatus,
    BenefitMode,
    HistoryKind,
    MatterStatus,
    OfferStatus,
    RunStatus,
)


def _values(choices: type[models.TextChoices]) -> list[str]:
    return [str(c.value) for c in choices]


class Matter(models.Model):
    """One matter of the catalogue (data: ``catalogue.json``, loaded by ``matter_catalogue_load``)."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("事项名称"), max_length=60)
    description = models.TextField(_("说明"), blank=True)
    department = models.ForeignKey("core.Department", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("责任部门"))
    definition_code = models.SlugField(_("流程定义"), max_length=48)
    documents = models.JSONField(_("所需材料"), default=list, help_text=_("材料代码列表，见 catalogue.json"))
    depends_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="dependents",
                                   verbose_name=_("前置事项"))
    policy_code = models.SlugField(_("预审政策"), max_length=64, blank=True)
    rule_ids = models.JSONField(_("预审规则"), default=list, blank=True)
    rules = models.JSONField(_("本事项的预审规则（无对应政策时）"), default=list, blank=True)
    next_step = models.CharField(_("提交后的下一步"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(_("可申请"), default=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("一件事事项")
        verbose_name_plural = _("一件事事项")
        constraints = [
            models.CheckConstraint(condition=~Q(depends_on=models.F("id")), name="onething_matter_not_own_dependency"),
        ]

    def __str__(self) -> str:
        return self.name


class Application(models.Model):
    """One talent's one-thing application: several matters, submitted once."""

    profile = models.ForeignKey("talents.TalentProfile", on_delete=models.PROTECT, related_name="onething_applications")
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("申请人"))
    status = models.CharField(_("状态"), max_length=12, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.DRAFT)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("一件事申请")
        verbose_name_plural = _("一件事申请")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=_values(ApplicationStatus)), name="onething_app_status"),
            models.UniqueConstraint(fields=["profile"], condition=Q(status=ApplicationStatus.DRAFT),
                                    name="onething_one_draft_per_talent"),
            models.CheckConstraint(condition=Q(status=ApplicationStatus.DRAFT) | Q(submitted_at__isnull=False),
                                   name="onething_submitted_has_time"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"YJS{self.created_at:%Y%m%d}-{self.pk:06d}" if self.pk else ""


class ApplicationMatter(models.Model):
    """One matter of an application; the subject of its own sub-case on the workflow engine (except certification,
    whose sub-case is the registry's certification case)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="matters")
    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=12, choices=MatterStatus.choices, default=MatterStatus.SELECTED)
    precheck = models.JSONField(_("预审结果"), default=dict, blank=True)
    case = models.ForeignKey("workflow.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("转交办理时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        ordering = ["matter__sort_order", "id"]
        verbose_name = _("申请事项")
        verbose_name_plural = _("申请事项")
        constraints = [
            models.UniqueConstraint(fields=["application", "matter"], name="onething_matter_once_per_application"),
            models.CheckConstraint(condition=Q(status__in=_values(MatterStatus)), name="onething_matter_status"),
            models.CheckConstraint(condition=~Q(status=MatterStatus.RUNNING) | Q(case__isnull=False),
                                   name="onething_running_has_case"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}:{self.matter.code}"


class ApplicationDocument(models.Model):
    """One document slot of an application, shared by every matter that needs it."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    code = models.SlugField(_("材料"), max_length=24)
    document = models.ForeignKey("talents.Document", on_delete=models.PROTECT, related_name="+")
    attached_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["application", "code"], name="onething_document_once_per_application"),
        ]

    def __str__(self) -> str:
        return self.code


class HistoryEntry(models.Model):
    """The application's own ordered history (the sub-cases keep theirs; the progress view merges both)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="history")
    matter = models.ForeignKey(ApplicationMatter, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("事件"), max_length=20, choices=HistoryKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    note = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.kind


# --- 免申即享 -----------------------------------------------------------------------------------------------------------

class BenefitSetting(models.Model):
    """Per policy: whether it is 免申即享 and whether the talent must confirm (kept here, keyed by the policy, so the
    catalogue stays the policy module's own)."""

    policy = models.OneToOneField("policies.Policy", on_delete=models.CASCADE, related_name="benefit_setting")
    mode = models.CharField(_("免申即享方式"), max_length=8, choices=BenefitMode.choices, default=BenefitMode.OFF)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = _("免申即享设置")
        verbose_name_plural = _("免申即享设置")
        constraints = [models.CheckConstraint(condition=Q(mode__in=_values(BenefitMode)), name="onething_mode")]

    def __str__(self) -> str:
        return f"{self.policy_id}:{self.mode}"


class MatchRun(models.Model):
    """One batch matching run over the whole registry."""

    status = models.CharField(_("状态"), max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED)
    is_active = models.BooleanField(default=True, editable=False, help_text="queued or running")
    as_of = models.DateField(_("评估日"))
    trigger = models.CharField(_("触发方式"), max_length=16, default="schedule")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("发起人"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    policies_total = models.PositiveIntegerField(_("政策数"), default=0)
    policies_done = models.PositiveIntegerField(_("已评估政策"), default=0)
    persons = models.PositiveIntegerField(_("评估人数"), default=0)
    offers = models.PositiveIntegerField(_("新推送待确认"), default=0)
    grants = models.PositiveIntegerField(_("新直接兑现"), default=0)
    flagged = models.PositiveIntegerField(_("不再符合（已标记）"), default=0)
    near_misses = models.PositiveIntegerField(_("差一项条件"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    timings = models.JSONField(_("分段耗时（秒）"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("免申即享匹配批次")
        verbose_name_plural = _("免申即享匹配批次")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=_values(RunStatus)), name="onething_run_status"),
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="onething_one_active_run"),
            models.CheckConstraint(condition=Q(is_active=True, status__in=[RunStatus.QUEUED, RunStatus.RUNNING])
                                   | Q(is_active=False, status__in=[RunStatus.DONE, RunStatus.FAILED]),
                                   name="onething_run_active_matches_status"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.as_of}"

    @property
    def progress(self) -> int:
        if self.status == RunStatus.DONE:
            return 100
        return int(100 * self.policies_done / self.policies_total) if self.policies_total else 0

    @property
    def duration(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class BenefitOffer(models.Model):
    """A benefit the data proves: granted outright, or offered for one-click confirmation. One per policy per person
    (reruns never duplicate). A person who stops being eligible is flagged (``ineligible_since``), never deleted."""

    # Indexes are few on purpose (a run may write a million rows): the unique constraint (profile, policy) also serves
    # the talent's own list; a run reads all offers in one pass; the other foreign keys are never searched alone.
    policy = models.ForeignKey("policies.Policy", on_delete=models.PROTECT, related_name="+", db_index=False)
    profile = models.ForeignKey("talents.TalentProfile", on_delete=models.CASCADE, related_name="benefit_offers",
                                db_index=False)
    rules = models.JSONField(_("满足的规则"), default=list)
    amount_fen = models.BigIntegerField(_("金额（分）"), default=0)
    status = models.CharField(_("状态"), max_length=10, choices=OfferStatus.choices)
    # Which run made / flagged the offer: informational links without a database constraint, so the bulk COPY of a
    # run's offers checks only the two foreign keys that carry meaning (policy, person).
    run = models.ForeignKey(MatchRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                            db_index=False, db_constraint=False)
    created_at = models.DateTimeField(_("推送时间"), default=timezone.now)
    decided_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    notified_at = models.DateTimeField(_("通知时间"), null=True, blank=True)
    ineligible_since = models.DateTimeField(_("不再符合条件（标记时间）"), null=True, blank=True)
    ineligible_run = models.ForeignKey(MatchRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                       db_index=False, db_constraint=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("免申即享待遇")
        verbose_name_plural = _("免申即享待遇")
        constraints = [
            models.UniqueConstraint(fields=["profile", "policy"], name="onething_one_offer_per_policy_person"),
            models.CheckConstraint(condition=Q(status__in=_values(OfferStatus)), name="onething_offer_status"),
            models.CheckConstraint(condition=Q(amount_fen__gte=0), name="onething_offer_amount_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.policy_id}:{self.profile_id}"


class NearMiss(models.Model):
    """A person one condition short of a 免申即享 policy in a run, with the condition (for staff outreach)."""

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="near_miss_rows", db_index=False)
    policy = models.ForeignKey("policies.Policy", on_delete=models.CASCADE, related_name="+", db_index=False)
    profile = models.ForeignKey("talents.TalentProfile", on_delete=models.CASCADE, related_name="+", db_index=False)
    rule_id = models.CharField(max_length=64)
    condition = models.CharField(_("缺少的条件"), max_length=300)

    class Meta:
        ordering = ["policy", "rule_id", "profile"]
        verbose_name = _("差一项条件")
        verbose_name_plural = _("差一项条件")
        constraints = [
            models.UniqueConstraint(fields=["run", "policy", "rule_id", "profile"], name="onething_near_miss_once"),
        ]

    def __str__(self) -> str:
        return self.condition
