from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    CERTIFICATION = "certification", _("人才认定")
    HOUSING = "housing", _("住房")
    LIVING_SUBSIDY = "living_subsidy", _("生活补贴")
    HUKOU = "hukou", _("落户")
    SCHOOL = "school", _("子女入学")
    SPOUSE = "spouse", _("配偶安置")
    MEDICAL = "medical", _("医疗保健")
    EMPLOYER_FUNDING = "employer_funding", _("用人单位奖补")
    STATION = "station", _("人才驿站")
    SKILLS = "skills", _("技能人才")
    POSTDOC = "postdoc", _("博士、博士后")


class Audience(models.TextChoices):
    HIGH_LEVEL = "high_level", _("高层次人才")
    YOUNG = "young", _("青年人才")
    SKILLED = "skilled", _("技能人才")
    FOREIGN = "foreign", _("外籍人才")
    EMPLOYER = "employer", _("用人单位")


class Subject(models.TextChoices):
    TALENT = "talent", _("人才")
    EMPLOYER = "employer", _("用人单位")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    IN_REVIEW = "in_review", _("待审核发布")
    PUBLISHED = "published", _("已发布")
    SUPERSEDED = "superseded", _("已被新版本替代")


class BenefitKind(models.TextChoices):
    MONEY = "money", _("资金")
    AREA = "area", _("住房面积")
    NIGHTS = "nights", _("免费住宿")
    SERVICE = "service", _("服务")
    TIER = "tier", _("人才层次")
