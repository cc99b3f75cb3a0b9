"""Green cards, their signing keys, the verification (scan) log, entitlements per card class and service requests.

Invariants live in the database (ADR 0001): one active signing key; one current (active or suspended) card per holder;
a card that is not active says why; a rating is 1–5 and only on a closed request; one open request per holder and
entitlement. Private signing keys are stored only encrypted (``keys.py``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import (
    CURRENT_CARD_STATES,
    CardClass,
    CardStatus,
    KeyStatus,
    RequestStatus,
    VerifyChannel,
    VerifyReason,
    VerifyResult,
)


def _values(choices: type[models.TextChoices]) -> list[str]:
    return [str(c.value) for c in choices]


class SigningKey(models.Model):
    """An Ed25519 key that signs card tokens. The private half is AES-GCM encrypted under a key from the environment
    (``ONESTOP_GREENCARD_KEYS``); the public half is published in the JWK set while the key may still verify."""

    kid = models.CharField(_("密钥编号"), max_length=24, unique=True)
    public_key = models.CharField(_("公钥（base64url）"), max_length=64)
    private_key = models.TextField(_("私钥（加密）"), editable=False)
    status = models.CharField(_("状态"), max_length=12, choices=KeyStatus.choices, default=KeyStatus.ACTIVE)
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    retired_at = models.DateTimeField(_("轮换时间"), null=True, blank=True)
    compromised_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    verify_until = models.DateTimeField(_("最晚核验时间"), null=True, blank=True,
                                        help_text=_("本密钥签发的凭证中最晚的到期时间；轮换后在此之前仍公布公钥。"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("绿卡签名密钥")
        verbose_name_plural = _("绿卡签名密钥")
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=Q(status=KeyStatus.ACTIVE), name="gc_one_active_key"),
            models.CheckConstraint(condition=Q(status__in=_values(KeyStatus)), name="gc_key_status_valid"),
            models.CheckConstraint(condition=~Q(status=KeyStatus.RETIRED) | Q(retired_at__isnull=False),
                                   name="gc_key_retired_has_time"),
            models.CheckConstraint(condition=~Q(status=KeyStatus.COMPROMISED) | Q(compromised_at__isnull=False),
                                   name="gc_key_compromised_has_time"),
            models.CheckConstraint(condition=Q(private_key__startswith="v1:"), name="gc_key_private_encrypted"),
        ]

    def __str__(self) -> str:
        return f"{self.kid} ({self.get_status_display()})"


class GreenCard(models.Model):
    """One card. A reissue (loss) or renewal makes a new card with a new ``card_id``; the old one stops verifying."""

    card_id = models.CharField(_("卡号"), max_length=16, unique=True)
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="green_cards",
                               verbose_name=_("持卡人"))
    card_class = models.CharField(_("绿卡类别"), max_length=4, choices=CardClass.choices)
    status = models.CharField(_("状态"), max_length=12, choices=CardStatus.choices, default=CardStatus.ACTIVE)
    status_reason = models.TextField(_("状态说明"), blank=True)
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    valid_from = models.DateField(_("有效期自"))
    valid_until = models.DateField(_("有效期至"))
    issued_at = models.DateTimeField(_("发卡时间"), default=timezone.now)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("发卡人"))
    signing_key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, related_name="cards",
                                    verbose_name=_("签名密钥"))
    token = models.TextField(_("签名凭证"))
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="replaced_by", verbose_name=_("替换的旧卡"))
    # The certificate the card rests on (issued, renewed or re-classed on certification; revoked with it). Empty for
    # a card issued by the talent office without one.
    certificate = models.ForeignKey("talents.Certificate", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="green_cards", verbose_name=_("认定证书"))
    photo = models.CharField(_("照片"), max_length=200, blank=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("人才绿卡")
        verbose_name_plural = _("人才绿卡")
        constraints = [
            models.UniqueConstraint(fields=["holder"], condition=Q(status__in=[str(s) for s in CURRENT_CARD_STATES]),
                                    name="gc_one_current_card_per_holder"),
            models.CheckConstraint(condition=Q(status__in=_values(CardStatus)), name="gc_card_status_valid"),
            models.CheckConstraint(condition=Q(card_class__in=_values(CardClass)), name="gc_card_class_valid"),
            models.CheckConstraint(condition=Q(valid_until__gt=F("valid_from")), name="gc_card_validity_positive"),
            models.CheckConstraint(
                condition=Q(status__in=[CardStatus.ACTIVE, CardStatus.EXPIRED]) | ~Q(status_reason=""),
                name="gc_card_refusal_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.card_id} {self.get_card_class_display()}"

    @property
    def is_current(self) -> bool:
        return self.status in CURRENT_CARD_STATES


class ApiKey(models.Model):
    """A machine-to-machine key for a partner checker's scanner or system (``/api/m2m/greencards/verify``).

    The secret is shown once at creation; only its SHA-256 is stored (256 random bits need no slow hash). ``key_id``
    is the public prefix of the presented key, so the lookup is one indexed query. A key verifies for its checker and
    its partner organisation only, while the checker still holds the checker role there and both are active."""

    key_id = models.CharField(_("密钥编号"), max_length=16, unique=True)
    secret_hash = models.CharField(_("密钥摘要（SHA-256）"), max_length=64, editable=False)
    name = models.CharField(_("名称"), max_length=64)
    checker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("核验员"))
    partner = models.ForeignKey("core.PartnerOrganization", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("核验机构"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("创建人"))
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("吊销人"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("绿卡核验接口密钥")
        verbose_name_plural = _("绿卡核验接口密钥")
        constraints = [
            models.CheckConstraint(condition=Q(revoked_at__isnull=True, revoked_by__isnull=True)
                                   | Q(revoked_at__isnull=False, revoked_by__isnull=False),
                                   name="gc_apikey_revoked_by_matches"),
            models.CheckConstraint(condition=Q(secret_hash__regex=r"^[0-9a-f]{64}$"), name="gc_apikey_hash_only"),  # noqa: S106
        ]

    def __str__(self) -> str:
        return f"{self.key_id} {self.name}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Verification(models.Model):
    """One verification by a partner checker: the scan log. The holder sees the rows of their cards; a refused token
    whose signature did not verify is kept without a card (nothing in it can be trusted)."""

    # card, checker and api_key lead the composite indexes below, which serve every lookup by them alone too; a
    # separate index each would only make the insert on the verification hot path write three more B-trees.
    card = models.ForeignKey(GreenCard, null=True, blank=True, on_delete=models.PROTECT, related_name="verifications",
                             db_index=False)
    checker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("核验员"), db_index=False)
    partner = models.ForeignKey("core.PartnerOrganization", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("核验机构"))
    result = models.CharField(_("结果"), max_length=8, choices=VerifyResult.choices)
    reason = models.CharField(_("原因"), max_length=16, choices=VerifyReason.choices)
    channel = models.CharField(_("方式"), max_length=8, choices=VerifyChannel.choices)
    checked_at = models.DateTimeField(_("核验时间"), default=timezone.now)
    source_ip = models.GenericIPAddressField(_("来源 IP"), null=True, blank=True)
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("接口密钥"), db_index=False)

    class Meta:
        ordering = ["-checked_at", "-id"]
        verbose_name = _("绿卡核验记录")
        verbose_name_plural = _("绿卡核验记录")
        indexes = [models.Index(fields=["checker", "checked_at"]), models.Index(fields=["card", "checked_at"]),
                   models.Index(fields=["api_key", "checked_at"], name="gc_verif_key_time")]
        constraints = [
            models.CheckConstraint(condition=Q(result=VerifyResult.VALID, reason=VerifyReason.OK)
                                   | (Q(result=VerifyResult.INVALID) & ~Q(reason=VerifyReason.OK)),
                                   name="gc_verification_reason_matches"),
        ]

    def __str__(self) -> str:
        return f"{self.checked_at:%Y-%m-%d %H:%M} {self.result}"


class Entitlement(models.Model):
    """A service a card may entitle its holder to (配偶安置, 子女入学, 住房保障, 医疗绿色通道…). Data, not code: the
    owning department and the deadline are steps of the ``greencard_service`` workflow definition."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    description = models.TextField(_("说明"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("绿卡服务权益")
        verbose_name_plural = _("绿卡服务权益")

    def __str__(self) -> str:
        return self.name


class ClassEntitlement(models.Model):
    """Which entitlements a card class carries. Configured in the admin."""

    card_class = models.CharField(_("绿卡类别"), max_length=4, choices=CardClass.choices)
    entitlement = models.ForeignKey(Entitlement, on_delete=models.CASCADE, related_name="classes")

    class Meta:
        ordering = ["card_class", "entitlement__sort_order"]
        verbose_name = _("类别权益")
        verbose_name_plural = _("类别权益")
        constraints = [
            models.UniqueConstraint(fields=["card_class", "entitlement"], name="gc_class_entitlement_once"),
            models.CheckConstraint(condition=Q(card_class__in=_values(CardClass)), name="gc_class_ent_class_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.card_class}: {self.entitlement}"


class EntitlementRequest(models.Model):
    """A holder's request to use one entitlement; it runs as a ``greencard_service`` workflow case."""

    card = models.ForeignKey(GreenCard, on_delete=models.PROTECT, related_name="requests", verbose_name=_("绿卡"))
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("申请人"))
    entitlement = models.ForeignKey(Entitlement, on_delete=models.PROTECT, related_name="requests",
                                    verbose_name=_("服务权益"))
    detail = models.TextField(_("需求说明"), blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    rating_comment = models.CharField(_("评价"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("绿卡服务申请")
        verbose_name_plural = _("绿卡服务申请")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=_values(RequestStatus)), name="gc_request_status_valid"),
            models.UniqueConstraint(fields=["holder", "entitlement"], condition=Q(status=RequestStatus.OPEN),
                                    name="gc_one_open_request_per_entitlement"),
            models.CheckConstraint(condition=Q(rating__isnull=True) | (Q(rating__gte=1) & Q(rating__lte=5)),
                                   name="gc_rating_range"),
            models.CheckConstraint(condition=Q(rating__isnull=True) | (~Q(status=RequestStatus.OPEN)
                                                                         & Q(rated_at__isnull=False)),
                                   name="gc_rating_after_close"),
            models.CheckConstraint(condition=Q(status=RequestStatus.OPEN, closed_at__isnull=True)
                                   | (~Q(status=RequestStatus.OPEN) & Q(closed_at__isnull=False)),
                                   name="gc_request_closed_at_matches"),
        ]

    def __str__(self) -> str:
        return f"{self.entitlement} · {self.holder}"

    @property
    def reference(self) -> str:
        return f"LK{self.created_at:%Y%m%d}-{self.pk:06d}" if self.pk else ""
