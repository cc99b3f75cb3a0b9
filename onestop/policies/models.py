"""The policy catalogue: a policy is data, each version carries its own rulebook rule set (docs/rules.md).

Versions move draft → in review → published → superseded. At most one version of a policy is published (a partial
unique constraint); publishing needs a second person (four eyes: a check constraint says the publisher is neither the
author nor the submitter). ``search_document`` holds the jieba-segmented text of the policy (docs/adr/0005).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Category, Subject, VersionStatus


def _values(choices: type[models.TextChoices]) -> list[str]:
    return [str(c.value) for c in choices]


class Policy(models.Model):
    code = models.SlugField(_("代码"), max_length=64, unique=True)
    subject = models.CharField(_("适用对象"), max_length=12, choices=Subject.choices, default=Subject.TALENT)
    title = models.CharField(_("政策名称"), max_length=120)
    title_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    issuer = models.CharField(_("发布机关"), max_length=100)
    department = models.ForeignKey("core.Department", on_delete=models.PROTECT, related_name="policies",
                                   verbose_name=_("主管部门"))
    document_number = models.CharField(_("文号"), max_length=64)
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    audiences = models.JSONField(_("适用人群"), default=list)
    industries = models.JSONField(_("适用产业"), default=list, help_text=_("空表示不限产业"))
    summary = models.TextField(_("政策摘要"))
    summary_en = models.TextField(_("英文摘要"), blank=True)
    legal_reference = models.CharField(_("政策依据"), max_length=300)
    search_document = models.TextField(editable=False, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["category", "code"]
        verbose_name = _("政策")
        verbose_name_plural = _("政策")
        constraints = [
            models.CheckConstraint(condition=Q(category__in=_values(Category)), name="policy_category_valid"),
            models.CheckConstraint(condition=Q(subject__in=_values(Subject)), name="policy_subject_valid"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def display_title(self) -> str:
        """The English title when the page is in English and one exists; the Chinese title otherwise."""
        return self.title_en if self.title_en and _english() else self.title

    @property
    def display_summary(self) -> str:
        return self.summary_en if self.summary_en and _english() else self.summary


def _english() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "").lower().startswith("en")


class PolicyVersion(models.Model):
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(_("状态"), max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    document = models.JSONField(_("规则集"))
    benefits = models.JSONField(_("待遇说明"), default=dict, blank=True)
    illustrative_notes = models.JSONField(_("示例值说明"), default=list, blank=True)
    change_note = models.TextField(_("修订说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("起草人"))
    created_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("提交人"))
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("审核发布人"))
    published_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.TextField(_("退回理由"), blank=True)

    class Meta:
        ordering = ["policy", "-number"]
        verbose_name = _("政策版本")
        verbose_name_plural = _("政策版本")
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="policy_version_number_unique"),
            models.UniqueConstraint(fields=["policy"], condition=Q(status=VersionStatus.PUBLISHED),
                                    name="policy_one_published_version"),
            models.UniqueConstraint(fields=["policy"], condition=Q(status__in=[VersionStatus.DRAFT,
                                                                                VersionStatus.IN_REVIEW]),
                                    name="policy_one_open_draft"),
            models.CheckConstraint(condition=Q(status__in=_values(VersionStatus)), name="policy_version_status_valid"),
            models.CheckConstraint(condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                                   name="policy_version_dates_ordered"),
            # Four eyes: whoever publishes did not write or submit the version (the seed loads with no people).
            models.CheckConstraint(
                condition=Q(published_by__isnull=True)
                | ((Q(submitted_by__isnull=True) | ~Q(published_by=F("submitted_by")))
                   & (Q(created_by__isnull=True) | ~Q(published_by=F("created_by")))),
                name="policy_version_four_eyes"),
            models.CheckConstraint(
                condition=~Q(status__in=[VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED])
                | Q(published_at__isnull=False),
                name="policy_version_published_at"),
        ]

    def __str__(self) -> str:
        return f"{self.policy.title} v{self.number}"

    @property
    def is_editable(self) -> bool:
        return self.status == VersionStatus.DRAFT

    @property
    def has_illustrative(self) -> bool:
        return bool(self.illustrative_notes) or any(b.get("illustrative") for b in self.benefits.values())
