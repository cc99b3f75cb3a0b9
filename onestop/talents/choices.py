from django.db import models
from django.utils.translation import gettext_lazy as _


class Education(models.TextChoices):
    """Ordered: the order of declaration is the order of the levels (used by rulebook as an ordered enum)."""

    HIGH_SCHOOL = "high_school", _("高中及以下")
    JUNIOR_COLLEGE = "junior_college", _("大专")
    BACHELOR = "bachelor", _("本科")
    MASTER = "master", _("硕士")
    DOCTOR = "doctor", _("博士")


class Gender(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class SkillLevel(models.TextChoices):
    NONE = "", _("无")
    SENIOR_WORKER = "senior_worker", _("高级工")
    PRE_TECHNICIAN = "pre_technician", _("预备技师")
    TECHNICIAN = "technician", _("技师")
    SENIOR_TECHNICIAN = "senior_technician", _("高级技师")
