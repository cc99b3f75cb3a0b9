from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import EnterpriseStatus, Industry


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
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("用人单位")
        verbose_name_plural = _("用人单位")
        constraints = [
            models.CheckConstraint(condition=Q(uscc__regex=r"^[0-9A-Z]{18}$"), name="enterprise_uscc_shape"),
        ]

    def __str__(self) -> str:
        return self.name
