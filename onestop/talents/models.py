from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onestop.employers.choices import Industry

from .choices import Education, Gender, SkillLevel


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
