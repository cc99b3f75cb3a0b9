"""The talent registry: one profile per talent, filled once and reused everywhere (人才少跑腿，数据多跑路).

Personal data of children is encrypted at rest and shown only to the departments that serve them (see
``permissions.CHILD_DATA_DEPARTMENTS``). Records that arrive from other systems carry the source's ``external_id``
so a re-import updates instead of duplicating.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onestop.core.fields import EncryptedTextField
from onestop.employers.choices import Industry

from .choices import (
    ApplicationStatus,
    CertEventKind,
    CertificateStatus,
    CertTrack,
    ContractType,
    DocumentKind,
    Education,
    EducationLevel,
    FamilyRelation,
    Gender,
    HukouType,
    ImportKind,
    ImportSource,
    ObjectionStatus,
    QualificationKind,
    SkillLevel,
    Tier,
    TitleLevel,
)
from .storage import private_storage, random_document_name


def _values(choices: type[models.TextChoices]) -> list[str]:
    return [str(c.value) for c in choices]


class TalentProfile(models.Model):
    """The talent's own record: one per talent account. Identity (name, ID, phone) stays on the user."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="talent_profile")
    gender = models.CharField(_("性别"), max_length=8, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    nationality = models.CharField(_("国籍"), max_length=32, default="中国")
    education = models.CharField(_("最高学历"), max_length=16, choices=Education.choices, blank=True)
    school = models.CharField(_("毕业院校"), max_length=128, blank=True)
    major = models.CharField(_("专业"), max_length=128, blank=True)
    graduation_date = models.DateField(_("毕业时间"), null=True, blank=True)
    skill_level = models.CharField(_("职业技能等级"), max_length=24, choices=SkillLevel.choices, blank=True)
    employer = models.ForeignKey("employers.Enterprise", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="talents", verbose_name=_("工作单位"))
    job_title = models.CharField(_("职务/岗位"), max_length=64, blank=True)
    industry = models.CharField(_("所属产业"), max_length=24, choices=Industry.choices, blank=True)
    employed_since = models.DateField(_("入职时间"), null=True, blank=True)
    email = models.EmailField(_("联系邮箱"), blank=True)
    address = models.CharField(_("通讯地址"), max_length=200, blank=True)
    job_seeking = models.BooleanField(_("正在来港求职面试"), default=False)
    homes_declared = models.BooleanField(_("已申报住房情况"), default=False,
                                         help_text=_("未申报时，规则视“是否有自有住房”为未知。"))
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("人才档案")
        verbose_name_plural = _("人才档案")
        constraints = [
            models.CheckConstraint(
                condition=Q(graduation_date__isnull=True) | Q(birth_date__isnull=True)
                | Q(graduation_date__gt=models.F("birth_date")),
                name="talent_graduates_after_birth",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user.display_name}"

    @property
    def registry_number(self) -> str:
        return f"RC{self.pk:07d}" if self.pk else ""


class EducationRecord(models.Model):
    profile = models.ForeignKey(TalentProfile, on_delete=models.CASCADE, related_name="education_records")
    level = models.CharField(_("学历层次"), max_length=16, choices=EducationLevel.choices)
    school = models.CharField(_("学校"), max_length=128)
    country = models.CharField(_("国家/地区"), max_length=32, default="中国")
    field = models.CharField(_("专业"), max_length=128, blank=True)
    graduation_date = models.DateField(_("毕业时间"))
    certificate_no = models.CharField(_("证书编号"), max_length=64, blank=True)
    verified = models.BooleanField(_("已核验"), default=False)
    verified_source = models.CharField(_("核验来源"), max_length=64, blank=True)
    external_id = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["graduation_date", "id"]
        verbose_name = _("学历记录")
        verbose_name_plural = _("学历记录")
        constraints = [
            models.CheckConstraint(condition=Q(level__in=_values(EducationLevel)), name="talent_edu_level_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.school}"


class Qualification(models.Model):
    """A professional title, award, honour or talent programme (e.g. 长江学者, 国家杰青, 院士)."""

    profile = models.ForeignKey(TalentProfile, on_delete=models.CASCADE, related_name="qualifications")
    kind = models.CharField(_("类别"), max_length=16, choices=QualificationKind.choices)
    name = models.CharField(_("名称"), max_length=64)
    title_level = models.CharField(_("职称级别"), max_length=20, choices=TitleLevel.choices, blank=True)
    issuer = models.CharField(_("授予单位"), max_length=128, blank=True)
    awarded_on = models.DateField(_("取得时间"), null=True, blank=True)
    verified = models.BooleanField(_("已核验"), default=False)

    class Meta:
        ordering = ["kind", "-awarded_on", "id"]
        verbose_name = _("职称/奖项/称号")
        verbose_name_plural = _("职称/奖项/称号")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=_values(QualificationKind)), name="talent_qual_kind_valid"),
            models.CheckConstraint(condition=~Q(kind=QualificationKind.TITLE) | ~Q(title_level=""),
                                   name="talent_title_has_level"),
        ]

    def __str__(self) -> str:
        return self.name


class Employment(models.Model):
    """A job with a zone employer (identified by its USCC). One current job per talent."""

    profile = models.ForeignKey(TalentProfile, on_delete=models.CASCADE, related_name="employments")
    enterprise = models.ForeignKey("employers.Enterprise", on_delete=models.PROTECT, related_name="employments",
                                   verbose_name=_("用人单位"))
    start_date = models.DateField(_("入职时间"))
    end_date = models.DateField(_("离职时间"), null=True, blank=True)
    contract_type = models.CharField(_("合同类型"), max_length=16, choices=ContractType.choices,
                                     default=ContractType.LABOUR)
    job_title = models.CharField(_("岗位"), max_length=64, blank=True)
    monthly_salary_fen = models.PositiveBigIntegerField(_("月工资（分）"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("单位确认时间"), null=True, blank=True)
    confirmed_source = models.CharField(_("确认来源"), max_length=64, blank=True)
    external_id = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name = _("工作经历")
        verbose_name_plural = _("工作经历")
        constraints = [
            models.UniqueConstraint(fields=["profile"], condition=Q(end_date__isnull=True),
                                    name="talent_one_current_job"),
            models.CheckConstraint(condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                                   name="talent_job_ends_after_start"),
            models.CheckConstraint(condition=Q(contract_type__in=_values(ContractType)),
                                   name="talent_job_contract_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.start_date}"


class SocialInsuranceMonth(models.Model):
    """One month of social insurance paid in the zone (imported from the social-insurance system)."""

    profile = models.ForeignKey(TalentProfile, on_delete=models.CASCADE, related_name="insurance_months")
    month = models.DateField(_("月份"), help_text=_("当月 1 日"))
    enterprise = models.ForeignKey("employers.Enterprise", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("缴纳单位"))
    external_id = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["month"]
        verbose_name = _("社保缴纳月份")
        verbose_name_plural = _("社保缴纳月份")
        constraints = [
            models.UniqueConstraint(fields=["profile", "month"], name="talent_insurance_month_once"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class HouseholdRegistration(models.Model):
    profile = models.OneToOneField(TalentProfile, on_delete=models.CASCADE, related_name="household")
    hukou_type = models.CharField(_("户籍所在地"), max_length=16, choices=HukouType.choices)
    since = models.DateField(_("落户时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("户籍")
        verbose_name_plural = _("户籍")
        constraints = [
            models.CheckConstraint(condition=Q(hukou_type__in=_values(HukouType)), name="talent_hukou_valid"),
        ]

    def __str__(self) -> str:
        return self.get_hukou_type_display()


class HomeOwnership(models.Model):
    """A home the talent (or spouse) owns; rules read "owns a home in Zhengzhou"."""

    profile = models.ForeignKey(TalentProfile, on_delete=models.CASCADE, related_name="homes")
    city = models.CharField(_("所在城市"), max_length=32)
    area_m2 = models.PositiveIntegerField(_("建筑面积（㎡）"), null=True, blank=True)
    acquired_on = models.DateField(_("取得时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("自有住房")
        verbose_name_plural = _("自有住房")

    def __str__(self) -> str:
        return self.city

    @property
    def in_zhengzhou(self) -> bool:
        return "郑州" in self.city or "航空港" in self.city


class FamilyMember(models.Model):
    """Spouse or child. Names, ID numbers and birth dates are encrypted; a child's record is shown only to the talent
    and to the departments serving children (education, health)."""

    profile = models.ForeignKey(TalentProfile, on_delete=models.CASCADE, related_name="family")
    relation = models.CharField(_("关系"), max_length=8, choices=FamilyRelation.choices)
    name = EncryptedTextField(_("姓名"))
    id_number = EncryptedTextField(_("证件号码"), null=True, blank=True)
    birth_date_text = EncryptedTextField(_("出生日期"), null=True, blank=True)
    school_stage = models.CharField(_("需要的学段"), max_length=16, blank=True,
                                    choices=[("", _("无")), ("kindergarten", _("幼儿园")),
                                             ("primary", _("小学")), ("junior", _("初中")), ("senior", _("高中"))])
    spouse_employer = models.CharField(_("配偶工作单位"), max_length=128, blank=True)

    class Meta:
        ordering = ["relation", "id"]
        verbose_name = _("家庭成员")
        verbose_name_plural = _("家庭成员")
        constraints = [
            models.CheckConstraint(condition=Q(relation__in=_values(FamilyRelation)), name="talent_family_relation"),
            models.UniqueConstraint(fields=["profile"], condition=Q(relation=FamilyRelation.SPOUSE),
                                    name="talent_one_spouse"),
        ]

    def __str__(self) -> str:
        return self.get_relation_display()


class Document(models.Model):
    """An uploaded PDF/JPEG/PNG, checked by content, stored under a random name in private storage."""

    profile = models.ForeignKey(TalentProfile, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("材料类型"), max_length=16, choices=DocumentKind.choices)
    file = models.FileField(_("文件"), storage=private_storage, upload_to=random_document_name, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("证明材料")
        verbose_name_plural = _("证明材料")
        constraints = [
            models.CheckConstraint(condition=Q(content_type__in=["application/pdf", "image/jpeg", "image/png"]),
                                   name="talent_document_type_allowed"),
            models.CheckConstraint(condition=Q(kind__in=_values(DocumentKind)), name="talent_document_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.original_name


class ImportRun(models.Model):
    """One import from another system (数据多跑路): what came in, what changed, every refused row with line and reason."""

    kind = models.CharField(_("数据类型"), max_length=20, choices=ImportKind.choices)
    source = models.CharField(_("来源"), max_length=12, choices=ImportSource.choices)
    file_name = models.CharField(_("文件"), max_length=200, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("操作人"))
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    total = models.PositiveIntegerField(_("总行数"), default=0)
    created = models.PositiveIntegerField(_("新增"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    unchanged = models.PositiveIntegerField(_("未变化"), default=0)
    failed = models.PositiveIntegerField(_("失败"), default=0)
    errors = models.JSONField(_("错误明细"), default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("数据导入记录")
        verbose_name_plural = _("数据导入记录")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=_values(ImportKind)), name="talent_import_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d %H:%M}"


# --- certification (人才认定) -----------------------------------------------------------------------------------------

class CertificationApplication(models.Model):
    """A talent's application for certification. Its review runs as a ``talent_certification`` workflow case; the
    publicity period, objections and the certificate are this module's own steps."""

    profile = models.ForeignKey(TalentProfile, on_delete=models.PROTECT, related_name="certifications")
    enterprise = models.ForeignKey("employers.Enterprise", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="certifications", verbose_name=_("用人单位"))
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("提交人"))
    track = models.CharField(_("认定类别"), max_length=12, choices=CertTrack.choices, default=CertTrack.STANDARD)
    claimed_tier = models.CharField(_("申报层次"), max_length=8, choices=Tier.choices)
    proposed_tier = models.CharField(_("规则预审层次"), max_length=8, choices=Tier.choices, blank=True)
    precheck = models.JSONField(_("预审说明"), default=dict, blank=True)
    equivalent_claim = models.BooleanField(_("按“或相当于上述层次”申报"), default=False)
    statement = models.TextField(_("申报说明"), blank=True)
    documents = models.ManyToManyField(Document, blank=True, related_name="+", verbose_name=_("证明材料"))
    status = models.CharField(_("状态"), max_length=12, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.REVIEW)
    decided_tier = models.CharField(_("认定层次"), max_length=8, choices=Tier.choices, blank=True)
    material_due = models.DateField(_("补充材料期限"), null=True, blank=True)
    publicity_start = models.DateField(_("公示开始"), null=True, blank=True)
    publicity_end = models.DateField(_("公示截止"), null=True, blank=True)
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now, db_index=True)
    decided_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("人才认定申请")
        verbose_name_plural = _("人才认定申请")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=_values(ApplicationStatus)), name="cert_app_status_valid"),
            models.CheckConstraint(condition=Q(claimed_tier__in=_values(Tier)), name="cert_app_tier_valid"),
            models.UniqueConstraint(fields=["profile"],
                                    condition=Q(status__in=[ApplicationStatus.REVIEW, ApplicationStatus.PUBLICITY]),
                                    name="cert_one_running_application"),
            models.CheckConstraint(
                condition=~Q(status=ApplicationStatus.PUBLICITY)
                | Q(publicity_start__isnull=False, publicity_end__isnull=False, decided_tier__gt=""),
                name="cert_publicity_has_period"),
        ]
        indexes = [models.Index(fields=["status", "publicity_end"])]

    def __str__(self) -> str:
        return f"{self.reference} {self.profile}"

    @property
    def reference(self) -> str:
        return f"RD{self.created_at:%Y}{self.pk:06d}" if self.pk else ""

    @property
    def is_running(self) -> bool:
        return self.status in (ApplicationStatus.REVIEW, ApplicationStatus.PUBLICITY)


class CertificationEvent(models.Model):
    """The certification's own steps after review (publicity, objections, certificate, revocation), with actor,
    time and reason; shown after the workflow's timeline so the talent sees one history."""

    application = models.ForeignKey(CertificationApplication, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事件"), max_length=20, choices=CertEventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    reason = models.TextField(_("理由"), blank=True)
    detail = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.kind


class Objection(models.Model):
    application = models.ForeignKey(CertificationApplication, on_delete=models.CASCADE, related_name="objections")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    content = models.TextField(_("异议内容"))
    submitted_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    status = models.CharField(_("处理状态"), max_length=12, choices=ObjectionStatus.choices,
                              default=ObjectionStatus.OPEN)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    resolution = models.TextField(_("处理意见"), blank=True)
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        ordering = ["submitted_at", "id"]
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        constraints = [
            models.CheckConstraint(
                condition=(Q(status=ObjectionStatus.OPEN, resolved_at__isnull=True)
                           | (~Q(status=ObjectionStatus.OPEN) & Q(resolved_at__isnull=False) & ~Q(resolution=""))),
                name="cert_objection_resolution_matches"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}:{self.status}"


class Certificate(models.Model):
    application = models.OneToOneField(CertificationApplication, on_delete=models.PROTECT, related_name="certificate")
    profile = models.ForeignKey(TalentProfile, on_delete=models.PROTECT, related_name="certificates")
    number = models.CharField(_("证书编号"), max_length=32, unique=True)
    track = models.CharField(_("认定类别"), max_length=12, choices=CertTrack.choices)
    tier = models.CharField(_("人才层次"), max_length=8, choices=Tier.choices)
    issued_at = models.DateTimeField(_("发证时间"), default=timezone.now)
    valid_from = models.DateField(_("有效期自"))
    valid_until = models.DateField(_("有效期至"))
    status = models.CharField(_("状态"), max_length=12, choices=CertificateStatus.choices,
                              default=CertificateStatus.VALID)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    revoke_reason = models.TextField(_("撤销理由"), blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("人才认定证书")
        verbose_name_plural = _("人才认定证书")
        constraints = [
            models.UniqueConstraint(fields=["profile", "track"], condition=Q(status=CertificateStatus.VALID),
                                    name="cert_one_valid_per_track"),
            models.CheckConstraint(condition=Q(valid_until__gt=F("valid_from")), name="cert_validity_positive"),
            models.CheckConstraint(
                condition=(~Q(status=CertificateStatus.REVOKED)
                           | (Q(revoked_at__isnull=False) & ~Q(revoke_reason=""))),
                name="cert_revocation_has_reason"),
        ]

    def __str__(self) -> str:
        return self.number
