"""Events (招才引智活动 / 政策宣讲), the technology needs list (需求榜) with expert contracts, and the 万人助万企 visit
ledger. Invariants are constraints: registrations never above capacity, one registration per person and event, one
selected application per need, a contract signed only with both declarations, one payment record per accepted
milestone, a problem closed only with the enterprise's confirmation and satisfaction."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onestop.employers.choices import Industry

from .choices import (
    ApplicationStatus,
    ContractStatus,
    EventKind,
    EventStatus,
    EventVenue,
    MilestoneStatus,
    NeedStatus,
    ProblemStatus,
    ProblemUpdateKind,
)


def _values(choices: type[models.TextChoices]) -> list[str]:
    return [str(c.value) for c in choices]


# --- events ----------------------------------------------------------------------------------------------------------

class Event(models.Model):
    kind = models.CharField(_("活动类型"), max_length=12, choices=EventKind.choices)
    title = models.CharField(_("活动名称"), max_length=120)
    description = models.TextField(_("活动介绍"), blank=True)
    venue_kind = models.CharField(_("举办地"), max_length=20, choices=EventVenue.choices, default=EventVenue.ZONE)
    location = models.CharField(_("地点"), max_length=200)
    starts_at = models.DateTimeField(_("开始时间"), db_index=True)
    ends_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveIntegerField(_("名额"))
    registered_count = models.PositiveIntegerField(_("已报名"), default=0)
    status = models.CharField(_("状态"), max_length=12, choices=EventStatus.choices, default=EventStatus.PLANNED)
    department = models.ForeignKey("core.Department", on_delete=models.PROTECT, related_name="events",
                                   verbose_name=_("主办部门"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("活动")
        verbose_name_plural = _("活动")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="event_ends_after_start"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="event_capacity_positive"),
            models.CheckConstraint(condition=Q(registered_count__lte=F("capacity")), name="event_within_capacity"),
            models.CheckConstraint(condition=Q(kind__in=_values(EventKind)), name="event_kind_valid"),
            models.CheckConstraint(condition=Q(venue_kind__in=_values(EventVenue)), name="event_venue_valid"),
            models.CheckConstraint(condition=Q(status__in=_values(EventStatus)), name="event_status_valid"),
        ]

    def __str__(self) -> str:
        return self.title


class EventRegistration(models.Model):
    """A talent or an employer user registered for an event; ``token`` is what the check-in QR code carries."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="event_registrations")
    enterprise = models.ForeignKey("employers.Enterprise", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="event_registrations", verbose_name=_("代表单位"))
    token = models.CharField(max_length=48, unique=True)
    registered_at = models.DateTimeField(_("报名时间"), default=timezone.now)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["registered_at", "id"]
        verbose_name = _("活动报名")
        verbose_name_plural = _("活动报名")
        constraints = [models.UniqueConstraint(fields=["event", "user"], name="event_one_registration_per_user")]

    def __str__(self) -> str:
        return f"{self.event} {self.user}"


# --- 需求榜 ----------------------------------------------------------------------------------------------------------

class Need(models.Model):
    enterprise = models.ForeignKey("employers.Enterprise", on_delete=models.PROTECT, related_name="needs",
                                   verbose_name=_("发榜单位"))
    title = models.CharField(_("需求名称"), max_length=120)
    field = models.CharField(_("技术领域"), max_length=24, choices=Industry.choices)
    description = models.TextField(_("需求描述"))
    budget_fen = models.PositiveBigIntegerField(_("预算（分）"))
    deadline = models.DateField(_("揭榜截止日期"))
    status = models.CharField(_("状态"), max_length=12, choices=NeedStatus.choices, default=NeedStatus.PENDING)
    keywords = models.JSONField(_("关键词"), default=list, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=500, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("技术需求")
        verbose_name_plural = _("技术需求")
        constraints = [
            models.CheckConstraint(condition=Q(budget_fen__gt=0), name="need_budget_positive"),
            models.CheckConstraint(condition=Q(status__in=_values(NeedStatus)), name="need_status_valid"),
            models.CheckConstraint(condition=~Q(status=NeedStatus.REJECTED) | ~Q(review_note=""),
                                   name="need_rejection_has_reason"),
            models.CheckConstraint(condition=~Q(status=NeedStatus.PUBLISHED) | Q(published_at__isnull=False),
                                   name="need_published_at"),
        ]

    def __str__(self) -> str:
        return self.title


class ResearcherProfile(models.Model):
    """A researcher who may take on needs (揭榜): from the zone or from outside it (universities and institutes at
    home and abroad). The account is an ordinary talent account."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="researcher")
    institution = models.CharField(_("所在单位"), max_length=120)
    title = models.CharField(_("职称/职务"), max_length=64, blank=True)
    expertise = models.TextField(_("研究方向与专长"))
    is_external = models.BooleanField(_("区外科研人员"), default=False)
    keywords = models.JSONField(_("关键词"), default=list, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("科研人员")
        verbose_name_plural = _("科研人员")

    def __str__(self) -> str:
        return f"{self.user} {self.institution}"


class NeedApplication(models.Model):
    need = models.ForeignKey(Need, on_delete=models.PROTECT, related_name="applications")
    researcher = models.ForeignKey(ResearcherProfile, on_delete=models.PROTECT, related_name="applications")
    proposal = models.TextField(_("揭榜方案"))
    quote_fen = models.PositiveBigIntegerField(_("报价（分）"))
    status = models.CharField(_("状态"), max_length=14, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.SUBMITTED)
    created_at = models.DateTimeField(default=timezone.now)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("揭榜申请")
        verbose_name_plural = _("揭榜申请")
        constraints = [
            models.UniqueConstraint(fields=["need", "researcher"], name="need_one_application_per_researcher"),
            models.UniqueConstraint(fields=["need"], condition=Q(status=ApplicationStatus.SELECTED),
                                    name="need_one_selected_application"),
            models.CheckConstraint(condition=Q(quote_fen__gt=0), name="need_application_quote_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.need} {self.researcher}"


class ExpertContract(models.Model):
    """兼职兼薪、按劳取酬: the contract between the enterprise and the selected researcher, paid by milestones."""

    need = models.OneToOneField(Need, on_delete=models.PROTECT, related_name="contract")
    application = models.OneToOneField(NeedApplication, on_delete=models.PROTECT, related_name="contract")
    total_fen = models.PositiveBigIntegerField(_("合同金额（分）"))
    status = models.CharField(_("状态"), max_length=12, choices=ContractStatus.choices, default=ContractStatus.DRAFT)
    ip_declaration = models.TextField(_("知识产权归属声明"), blank=True)
    ip_declared_at = models.DateTimeField(null=True, blank=True)
    coi_declaration = models.TextField(_("利益冲突声明"), blank=True)
    coi_declared_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(_("签约时间"), null=True, blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("揭榜合同")
        verbose_name_plural = _("揭榜合同")
        constraints = [
            models.CheckConstraint(condition=Q(total_fen__gt=0), name="contract_total_positive"),
            models.CheckConstraint(
                condition=Q(status=ContractStatus.DRAFT)
                | (Q(ip_declared_at__isnull=False, coi_declared_at__isnull=False, signed_at__isnull=False)
                   & ~Q(ip_declaration="") & ~Q(coi_declaration="")),
                name="contract_signed_with_declarations"),
        ]

    def __str__(self) -> str:
        return f"HT{self.pk:06d}" if self.pk else ""


class Milestone(models.Model):
    contract = models.ForeignKey(ExpertContract, on_delete=models.CASCADE, related_name="milestones")
    seq = models.PositiveSmallIntegerField(_("序号"))
    title = models.CharField(_("里程碑"), max_length=120)
    deliverable = models.TextField(_("交付成果要求"))
    amount_fen = models.PositiveBigIntegerField(_("金额（分）"))
    due_date = models.DateField(_("计划完成日期"))
    status = models.CharField(_("状态"), max_length=12, choices=MilestoneStatus.choices,
                              default=MilestoneStatus.PENDING)
    submission = models.TextField(_("成果说明"), blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["contract", "seq"]
        verbose_name = _("合同里程碑")
        verbose_name_plural = _("合同里程碑")
        constraints = [
            models.UniqueConstraint(fields=["contract", "seq"], name="milestone_seq_unique"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="milestone_amount_positive"),
            models.CheckConstraint(condition=~Q(status=MilestoneStatus.ACCEPTED) | Q(accepted_at__isnull=False),
                                   name="milestone_accepted_at"),
        ]

    def __str__(self) -> str:
        return f"{self.contract} #{self.seq} {self.title}"


class MilestonePayment(models.Model):
    """The payment record released when the enterprise signs off a milestone's deliverable (one per milestone)."""

    milestone = models.OneToOneField(Milestone, on_delete=models.PROTECT, related_name="payment")
    amount_fen = models.PositiveBigIntegerField(_("金额（分）"))
    released_at = models.DateTimeField(default=timezone.now)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("里程碑付款记录")
        verbose_name_plural = _("里程碑付款记录")
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="milestone_payment_positive")]

    def __str__(self) -> str:
        return f"{self.milestone} {self.amount_fen}"


# --- 万人助万企 ---------------------------------------------------------------------------------------------------------

class VisitAssignment(models.Model):
    """Which enterprises an official (包联干部) looks after; an official sees only these."""

    official = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="visit_assignments")
    enterprise = models.ForeignKey("employers.Enterprise", on_delete=models.CASCADE, related_name="visit_assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("包联企业")
        verbose_name_plural = _("包联企业")
        constraints = [models.UniqueConstraint(fields=["official", "enterprise"], name="visit_assignment_unique")]

    def __str__(self) -> str:
        return f"{self.official} → {self.enterprise}"


class VisitPlan(models.Model):
    official = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visit_plans")
    enterprise = models.ForeignKey("employers.Enterprise", on_delete=models.PROTECT, related_name="visit_plans")
    month = models.DateField(_("月份"), help_text=_("当月 1 日"))
    planned_date = models.DateField(_("计划走访日期"))
    topic = models.CharField(_("走访主题"), max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-month", "planned_date"]
        verbose_name = _("月度走访计划")
        verbose_name_plural = _("月度走访计划")
        constraints = [
            models.UniqueConstraint(fields=["official", "enterprise", "month"], name="visit_plan_one_per_month"),
            models.CheckConstraint(condition=Q(planned_date__gte=F("month")), name="visit_plan_in_month"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.enterprise}"


class Visit(models.Model):
    plan = models.OneToOneField(VisitPlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="visit")
    official = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits")
    enterprise = models.ForeignKey("employers.Enterprise", on_delete=models.PROTECT, related_name="visits")
    visited_on = models.DateField(_("走访日期"), db_index=True)
    participants = models.CharField(_("参加人员"), max_length=300)
    explained = models.TextField(_("宣讲的政策"))
    needs_heard = models.TextField(_("企业诉求"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-visited_on", "-id"]
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")

    def __str__(self) -> str:
        return f"{self.visited_on} {self.enterprise}"


class Problem(models.Model):
    """A problem raised on a visit: owner department, first reply within 7 working days, progress, close-off (销号)
    only when the enterprise confirms, with its satisfaction. A talent-related problem also runs as a workflow
    case (``case``)."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="problems")
    enterprise = models.ForeignKey("employers.Enterprise", on_delete=models.PROTECT, related_name="problems")
    title = models.CharField(_("问题"), max_length=200)
    description = models.TextField(_("问题描述"))
    owner_department = models.ForeignKey("core.Department", on_delete=models.PROTECT, related_name="problems",
                                         verbose_name=_("责任部门"))
    talent_related = models.BooleanField(_("人才相关"), default=False)
    status = models.CharField(_("状态"), max_length=12, choices=ProblemStatus.choices, default=ProblemStatus.OPEN)
    raised_on = models.DateField(_("提出日期"))
    reply_due = models.DateField(_("首次答复期限"))
    reply_due_estimated = models.BooleanField(default=False)
    escalated_at = models.DateTimeField(_("超期督办时间"), null=True, blank=True)
    first_reply_at = models.DateTimeField(_("首次答复时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    satisfaction = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    satisfaction_comment = models.CharField(_("评价"), max_length=500, blank=True)
    case = models.ForeignKey("workflow.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["reply_due", "id"]
        verbose_name = _("问题台账")
        verbose_name_plural = _("问题台账")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=_values(ProblemStatus)), name="problem_status_valid"),
            models.CheckConstraint(condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                                   name="problem_satisfaction_range"),
            models.CheckConstraint(
                condition=~Q(status=ProblemStatus.CLOSED)
                | Q(confirmed_by__isnull=False, satisfaction__isnull=False, closed_at__isnull=False),
                name="problem_closed_by_enterprise"),
            models.CheckConstraint(condition=Q(status=ProblemStatus.OPEN) | Q(first_reply_at__isnull=False),
                                   name="problem_replied_before_progress"),
            models.CheckConstraint(condition=Q(reply_due__gte=F("raised_on")), name="problem_due_after_raised"),
        ]
        indexes = [models.Index(fields=["owner_department", "status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def reference(self) -> str:
        return f"WT{self.raised_on:%Y%m}{self.pk:05d}" if self.pk else ""


class ProblemUpdate(models.Model):
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="updates")
    kind = models.CharField(_("类型"), max_length=12, choices=ProblemUpdateKind.choices)
    text = models.TextField(_("内容"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("问题进展")
        verbose_name_plural = _("问题进展")

    def __str__(self) -> str:
        return f"{self.problem} {self.kind}"
