"""The employer side: enterprises and their licences, HR invitations, employment decisions, jobs, employer funding
(引才育才工作经费) with a per-employer-year ledger, and 区聘企用 placements.

Invariants live in the database: one running funding application per certified talent, the ledger's granted total
never above its cap (a check constraint *and* a conditional UPDATE), payments never above the approved amount, one
active placement per talent, cost shares summing to 100.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onestop.core.fields import EncryptedTextField
from onestop.talents.storage import private_storage

from .choices import (
    EmploymentDecisionKind,
    EnterpriseStatus,
    EvaluationGrade,
    FundingStatus,
    Industry,
    JobStatus,
    PlacementStatus,
)


def _values(choices: type[models.TextChoices]) -> list[str]:
    return [str(c.value) for c in choices]


EDUCATION_VALUES = ["high_school", "junior_college", "bachelor", "master", "doctor"]


class Enterprise(models.Model):
    """An employer registered by its unified social credit code (统一社会信用代码)."""

    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("单位名称"), max_length=128)
    industry = models.CharField(_("所属产业"), max_length=24, choices=Industry.choices, default=Industry.OTHER)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    legal_representative = models.CharField(_("法定代表人"), max_length=64, blank=True)
    employee_count = models.PositiveIntegerField(_("职工人数"), default=0)
    status = models.CharField(_("状态"), max_length=12, choices=EnterpriseStatus.choices,
                              default=EnterpriseStatus.PENDING)
    registered_at = models.DateTimeField(_("注册时间"), default=timezone.now)
    review_note = models.CharField(_("核验意见"), max_length=500, blank=True)
    reviewed_at = models.DateTimeField(_("核验时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("核验人"))
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("用人单位")
        verbose_name_plural = _("用人单位")
        constraints = [
            models.CheckConstraint(condition=Q(uscc__regex=r"^[0-9A-Z]{18}$"), name="enterprise_uscc_shape"),
            models.CheckConstraint(condition=~Q(status=EnterpriseStatus.REJECTED) | ~Q(review_note=""),
                                   name="enterprise_rejection_has_reason"),
        ]

    def __str__(self) -> str:
        return self.name


def licence_name(instance: BusinessLicence, filename: str) -> str:
    import secrets

    ext = getattr(instance, "_sniffed_ext", "bin")
    return f"employers/licences/{timezone.localdate():%Y/%m}/{secrets.token_hex(16)}.{ext}"


class BusinessLicence(models.Model):
    """The business licence (营业执照), checked by content, stored privately, downloaded only as an attachment."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="licences")
    file = models.FileField(_("营业执照"), storage=private_storage, upload_to=licence_name, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("营业执照")
        verbose_name_plural = _("营业执照")
        constraints = [
            models.CheckConstraint(condition=Q(content_type__in=["application/pdf", "image/jpeg", "image/png"]),
                                   name="licence_type_allowed"),
        ]

    def __str__(self) -> str:
        return self.original_name


class HrInvitation(models.Model):
    """An enterprise administrator invites an HR user by mobile number; the invitee sets a password by the link.
    Only a hash of the token is stored."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="invitations")
    real_name = models.CharField(_("姓名"), max_length=64)
    phone = EncryptedTextField(_("手机号"))
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("有效期至"))
    accepted_at = models.DateTimeField(_("接受时间"), null=True, blank=True)
    accepted_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("人事专员邀请")
        verbose_name_plural = _("人事专员邀请")
        constraints = [
            models.CheckConstraint(condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                                   name="invitation_accepted_or_revoked"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.real_name}"


class EmploymentDecision(models.Model):
    """The employer's answer to a talent who named it as their employer: confirmed or denied (with a reason)."""

    employment = models.OneToOneField("talents.Employment", on_delete=models.CASCADE, related_name="decision")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="employment_decisions")
    decision = models.CharField(_("结论"), max_length=12, choices=EmploymentDecisionKind.choices)
    reason = models.CharField(_("理由"), max_length=500, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("任职确认")
        verbose_name_plural = _("任职确认")
        constraints = [
            models.CheckConstraint(condition=Q(decision__in=_values(EmploymentDecisionKind)),
                                   name="employment_decision_valid"),
            models.CheckConstraint(condition=~Q(decision=EmploymentDecisionKind.DENIED) | ~Q(reason=""),
                                   name="employment_denial_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.employment_id} {self.decision}"


class Job(models.Model):
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="jobs")
    title = models.CharField(_("岗位名称"), max_length=100)
    industry = models.CharField(_("所属产业"), max_length=24, choices=Industry.choices)
    education_min = models.CharField(_("最低学历"), max_length=16, choices=[
        ("high_school", _("高中及以下")), ("junior_college", _("大专")), ("bachelor", _("本科")),
        ("master", _("硕士")), ("doctor", _("博士"))])
    education_rank = models.PositiveSmallIntegerField(default=0, editable=False)
    description = models.TextField(_("岗位职责与要求"))
    salary_min_fen = models.PositiveBigIntegerField(_("月薪下限（分）"))
    salary_max_fen = models.PositiveBigIntegerField(_("月薪上限（分）"))
    headcount = models.PositiveIntegerField(_("招聘人数"), default=1)
    location = models.CharField(_("工作地点"), max_length=100, default="郑州航空港区")
    status = models.CharField(_("状态"), max_length=12, choices=JobStatus.choices, default=JobStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True, db_index=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("招聘岗位")
        verbose_name_plural = _("招聘岗位")
        constraints = [
            models.CheckConstraint(condition=Q(salary_max_fen__gte=F("salary_min_fen")), name="job_salary_range"),
            models.CheckConstraint(condition=Q(headcount__gte=1), name="job_headcount_positive"),
            models.CheckConstraint(condition=Q(status__in=_values(JobStatus)), name="job_status_valid"),
            models.CheckConstraint(condition=Q(education_min__in=EDUCATION_VALUES), name="job_education_valid"),
            models.CheckConstraint(condition=~Q(status=JobStatus.PUBLISHED) | Q(published_at__isnull=False),
                                   name="job_published_at"),
        ]
        indexes = [models.Index(fields=["status", "industry", "education_rank"])]

    def __str__(self) -> str:
        return self.title


# --- employer funding (引才育才工作经费) ---------------------------------------------------------------------------

RUNNING_FUNDING = [FundingStatus.REVIEW, FundingStatus.APPROVED, FundingStatus.PAID]


class FundingApplication(models.Model):
    """One application per certified high-level talent the employer introduced or trained. The amount comes from the
    published rule set (policy ``employer-talent-funding``) when the employer applies; the review runs on the
    workflow (``employer_funding``); approval charges the employer's ledger for the year."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="funding_applications")
    certificate = models.ForeignKey("talents.Certificate", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("人才认定证书"))
    year = models.PositiveSmallIntegerField(_("年度"))
    amount_fen = models.PositiveBigIntegerField(_("申请金额（分）"))
    rule_reference = models.CharField(_("计算依据"), max_length=200)
    statement = models.TextField(_("引进或培养情况说明"))
    status = models.CharField(_("状态"), max_length=12, choices=FundingStatus.choices, default=FundingStatus.REVIEW)
    paid_fen = models.PositiveBigIntegerField(_("已拨付（分）"), default=0)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    decided_at = models.DateTimeField(_("核定时间"), null=True, blank=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("引才育才工作经费申请")
        verbose_name_plural = _("引才育才工作经费申请")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "certificate"], condition=Q(status__in=RUNNING_FUNDING),
                                    name="funding_one_per_talent"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="funding_amount_positive"),
            models.CheckConstraint(condition=Q(paid_fen__lte=F("amount_fen")), name="funding_paid_within_amount"),
            models.CheckConstraint(condition=Q(status__in=_values(FundingStatus)), name="funding_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.enterprise}"

    @property
    def reference(self) -> str:
        return f"JF{self.year}{self.pk:06d}" if self.pk else ""


class FundingLedger(models.Model):
    """What one employer has been granted in one year. ``granted_fen + amount <= cap_fen`` is enforced by a
    conditional UPDATE (row count checked) and by the check constraint below, on SQLite and PostgreSQL alike."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="funding_ledgers")
    year = models.PositiveSmallIntegerField(_("年度"))
    cap_fen = models.PositiveBigIntegerField(_("年度上限（分）"))
    granted_fen = models.PositiveBigIntegerField(_("已核定（分）"), default=0)

    class Meta:
        ordering = ["-year", "enterprise"]
        verbose_name = _("经费年度台账")
        verbose_name_plural = _("经费年度台账")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year"], name="funding_ledger_one_per_year"),
            models.CheckConstraint(condition=Q(granted_fen__lte=F("cap_fen")), name="funding_ledger_within_cap"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.year}"

    @property
    def remaining_fen(self) -> int:
        return max(self.cap_fen - self.granted_fen, 0)


class FundingPayment(models.Model):
    application = models.ForeignKey(FundingApplication, on_delete=models.PROTECT, related_name="payments")
    amount_fen = models.PositiveBigIntegerField(_("拨付金额（分）"))
    paid_on = models.DateField(_("拨付日期"))
    voucher_no = models.CharField(_("凭证号"), max_length=64, unique=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["paid_on", "id"]
        verbose_name = _("经费拨付记录")
        verbose_name_plural = _("经费拨付记录")
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="funding_payment_positive")]

    def __str__(self) -> str:
        return self.voucher_no


# --- 区聘企用 ---------------------------------------------------------------------------------------------------------

class Placement(models.Model):
    """A zone-hired talent placed in an enterprise (区聘企用): contract, period, cost sharing, evaluations."""

    profile = models.ForeignKey("talents.TalentProfile", on_delete=models.PROTECT, related_name="placements",
                                verbose_name=_("人才"))
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="placements",
                                   verbose_name=_("用人单位"))
    contract_no = models.CharField(_("合同编号"), max_length=64, unique=True)
    position = models.CharField(_("岗位"), max_length=100)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    monthly_cost_fen = models.PositiveBigIntegerField(_("月度费用（分）"))
    zone_share_pct = models.PositiveSmallIntegerField(_("区财政承担比例（%）"))
    enterprise_share_pct = models.PositiveSmallIntegerField(_("企业承担比例（%）"))
    status = models.CharField(_("状态"), max_length=12, choices=PlacementStatus.choices,
                              default=PlacementStatus.ACTIVE)
    renewals = models.PositiveSmallIntegerField(_("续聘次数"), default=0)
    ended_on = models.DateField(_("终止日期"), null=True, blank=True)
    end_reason = models.CharField(_("终止原因"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name = _("区聘企用")
        verbose_name_plural = _("区聘企用")
        constraints = [
            models.UniqueConstraint(fields=["profile"], condition=Q(status=PlacementStatus.ACTIVE),
                                    name="placement_one_active_per_talent"),
            models.CheckConstraint(condition=Q(end_date__gt=F("start_date")), name="placement_period_positive"),
            models.CheckConstraint(condition=Q(zone_share_pct__lte=100)
                                   & Q(enterprise_share_pct=100 - F("zone_share_pct")),
                                   name="placement_shares_sum_100"),
            models.CheckConstraint(condition=~Q(status=PlacementStatus.ENDED)
                                   | (Q(ended_on__isnull=False) & ~Q(end_reason="")),
                                   name="placement_end_has_reason"),
        ]

    def __str__(self) -> str:
        return self.contract_no


class PlacementEvaluation(models.Model):
    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="evaluations")
    period = models.CharField(_("考核期"), max_length=7, help_text=_("如 2024-Q3"))
    grade = models.CharField(_("考核等次"), max_length=12, choices=EvaluationGrade.choices)
    comment = models.TextField(_("考核评语"))
    evaluated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    evaluated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period"]
        verbose_name = _("区聘企用考核")
        verbose_name_plural = _("区聘企用考核")
        constraints = [
            models.UniqueConstraint(fields=["placement", "period"], name="placement_one_evaluation_per_period"),
            models.CheckConstraint(condition=Q(period__regex=r"^[0-9]{4}-Q[1-4]$"), name="placement_period_shape"),
            models.CheckConstraint(condition=Q(grade__in=_values(EvaluationGrade)), name="placement_grade_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.placement} {self.period}"
