from django.db import models
from django.utils.translation import gettext_lazy as _


class Industry(models.TextChoices):
    ELECTRONIC_INFO = "electronic_info", _("电子信息")
    NEW_ENERGY_VEHICLE = "nev", _("新能源汽车")
    BIOMEDICINE = "biomedicine", _("生物医药")
    AEROSPACE = "aerospace", _("航空航天")
    LOGISTICS = "logistics", _("航空物流")
    OTHER = "other", _("其他")


class EnterpriseStatus(models.TextChoices):
    PENDING = "pending", _("待核验")
    ACTIVE = "active", _("已核验")
    REJECTED = "rejected", _("核验未通过")
    SUSPENDED = "suspended", _("已停用")


KEY_INDUSTRIES = (Industry.ELECTRONIC_INFO, Industry.NEW_ENERGY_VEHICLE, Industry.BIOMEDICINE, Industry.AEROSPACE)


class JobStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("招聘中")
    CLOSED = "closed", _("已结束")


class EmploymentDecisionKind(models.TextChoices):
    CONFIRMED = "confirmed", _("确认在职")
    DENIED = "denied", _("否认在职")


class FundingStatus(models.TextChoices):
    REVIEW = "review", _("审核中")
    APPROVED = "approved", _("已核定")
    REJECTED = "rejected", _("未通过")
    WITHDRAWN = "withdrawn", _("已撤回")
    PAID = "paid", _("已拨付")


class PlacementStatus(models.TextChoices):
    ACTIVE = "active", _("履约中")
    ENDED = "ended", _("已终止")


class EvaluationGrade(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    GOOD = "good", _("良好")
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")
