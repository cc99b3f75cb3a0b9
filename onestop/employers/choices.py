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
    SUSPENDED = "suspended", _("已停用")
