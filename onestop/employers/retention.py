"""Retention of employer data (see onestop/core/retention.py): licences of refused registrations and HR invitations
that were never used."""

from __future__ import annotations

from django.db.models import Q

from onestop.core.retention import RetentionRule, register

from .choices import EnterpriseStatus
from .models import BusinessLicence, HrInvitation

register(RetentionRule(
    key="employers.rejected_licence", model=BusinessLicence, label="核验未通过单位的营业执照（含文件）", days=180,
    basis="PIPL 第 47 条：处理目的无法实现时删除；保留 6 个月供申诉",
    expired=lambda cutoff: BusinessLicence.objects.filter(enterprise__status=EnterpriseStatus.REJECTED,
                                                          enterprise__reviewed_at__lt=cutoff),
    files=("file",)))
register(RetentionRule(
    key="employers.hr_invitation", model=HrInvitation, label="过期或撤销的人事账号邀请（姓名、手机号）", days=90,
    basis="PIPL 第 19 条；邀请未被接受即无用途",
    expired=lambda cutoff: HrInvitation.objects.filter(accepted_at__isnull=True).filter(
        Q(revoked_at__lt=cutoff) | Q(revoked_at__isnull=True, expires_at__lt=cutoff))))
