"""Status and category enums of the green card; labels are Chinese (gettext), English comes from the catalog."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CardClass(models.TextChoices):
    """The card class follows the certification tier (``TIER_TO_CLASS``); short ASCII codes travel in the token."""

    A = "A", _("A 卡（顶尖人才）")
    B = "B", _("B 卡（国家级领军人才）")
    C = "C", _("C 卡（地方级领军人才）")
    D = "D", _("D 卡（地方突出贡献人才）")
    E = "E", _("E 卡（青年及基础人才）")
    M1 = "M1", _("医学科学城 国际一流")
    M2 = "M2", _("医学科学城 国内一流")
    M3 = "M3", _("医学科学城 省内一流")


# Certification tier (talents.choices.Tier values) → card class. Configuration, kept beside the classes it names.
TIER_TO_CLASS: dict[str, str] = {
    "A": CardClass.A, "B": CardClass.B, "C": CardClass.C, "D": CardClass.D, "E": CardClass.E,
    "国际一流": CardClass.M1, "国内一流": CardClass.M2, "省内一流": CardClass.M3,
}


class CardStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    SUSPENDED = "suspended", _("已暂停")
    REVOKED = "revoked", _("已撤销")
    REPLACED = "replaced", _("已挂失补办（旧卡作废）")
    EXPIRED = "expired", _("已过期")


CURRENT_CARD_STATES = (CardStatus.ACTIVE, CardStatus.SUSPENDED)


class KeyStatus(models.TextChoices):
    ACTIVE = "active", _("当前签发密钥")
    RETIRED = "retired", _("已轮换（仍可核验旧卡）")
    COMPROMISED = "compromised", _("已吊销（泄露）")


class VerifyResult(models.TextChoices):
    VALID = "valid", _("有效")
    INVALID = "invalid", _("无效")


class VerifyReason(models.TextChoices):
    """Why a verification ended as it did. ``ok`` for a valid card; the rest are refusals with a clear reason."""

    OK = "ok", _("绿卡有效")
    MALFORMED = "malformed", _("二维码内容不是有效的人才绿卡凭证")
    UNSUPPORTED = "unsupported", _("凭证格式或签名算法不受支持")
    UNKNOWN_KEY = "unknown_key", _("签名密钥未知，凭证可能是伪造的")
    KEY_COMPROMISED = "key_compromised", _("签名密钥已吊销，请持卡人重新领取绿卡")
    BAD_SIGNATURE = "bad_signature", _("签名校验失败，凭证被篡改或伪造")
    NOT_YET_VALID = "not_yet_valid", _("绿卡尚未生效")
    EXPIRED = "expired", _("绿卡已过期")
    REVOKED = "revoked", _("绿卡已撤销")
    SUSPENDED = "suspended", _("绿卡已暂停使用")
    REPLACED = "replaced", _("该卡已挂失补办，旧卡作废")
    UNKNOWN_CARD = "unknown_card", _("平台无此绿卡记录")
    RATE_LIMITED = "rate_limited", _("核验过于频繁，请稍后再试")


class VerifyChannel(models.TextChoices):
    SCAN = "scan", _("扫码")
    PASTE = "paste", _("粘贴凭证")
    API = "api", _("接口")
    M2M = "m2m", _("系统对接（接口密钥）")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("办理中")
    APPROVED = "approved", _("已办结（通过）")
    REJECTED = "rejected", _("未通过")
    WITHDRAWN = "withdrawn", _("已撤回")
    CANCELLED = "cancelled", _("已取消")
