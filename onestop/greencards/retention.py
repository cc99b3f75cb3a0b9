"""Retention of green-card data (see onestop/core/retention.py): the scan log of partner verifications."""

from __future__ import annotations

from onestop.core.retention import RetentionRule, register

from .models import Verification

register(RetentionRule(
    key="greencards.verification", model=Verification, label="绿卡核验记录（扫码日志）", days=365,
    basis="PIPL 第 19 条；持卡人可在一年内查询谁核验过其绿卡，之后无办理用途",
    expired=lambda cutoff: Verification.objects.filter(checked_at__lt=cutoff)))
register(RetentionRule(
    key="greencards.verification_ip", model=Verification, label="绿卡核验记录中的来源 IP（清除）", days=90,
    basis="PIPL 第 6 条（最小必要）；来源 IP 仅用于处置异常扫码，3 个月后清除，核验记录本身保留至一年",
    expired=lambda cutoff: Verification.objects.filter(checked_at__lt=cutoff, source_ip__isnull=False),
    action="anonymise", anonymise=lambda qs: qs.update(source_ip=None)))
