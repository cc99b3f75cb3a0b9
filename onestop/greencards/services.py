"""Writes of the green card: signing keys, the card lifecycle, verification by partners, entitlement requests.

Every status change is one service: validate, check who may do it, then inside ``transaction.atomic()`` a conditional
``UPDATE … WHERE status IN (<allowed sources>)`` whose row count must be 1, then the audit entry and the notification.
The database refuses a second current card for one holder and a second active signing key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.choices import NotificationChannel, Role
from onestop.core.exceptions import ApplicationError, Conflict, ErrorCode, NotFound, ValidationFailed
from onestop.core.models import PartnerOrganization, User
from onestop.core.notifications import notification_send
from onestop.core.services import FieldErrors

from . import credential, events, keys
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
from .fieldsets import (
    CARD_CLASS,
    EMPLOYER,
    FIELD_SETS,
    NAME,
    PHOTO,
    VALID_UNTIL,
    entitlement_codes,
    fields_for,
)
from .models import (
    ApiKey,
    ClassEntitlement,
    Entitlement,
    EntitlementRequest,
    GreenCard,
    SigningKey,
    Verification,
)

if TYPE_CHECKING:
    from onestop.talents.models import Certificate

CARD_ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud at a desk without confusion
CARD_ID_LENGTH = 12
GREENCARD_DEFINITION = "greencard_service"
REASON_MAX = 500


class TransitionNotAllowed(ApplicationError):
    code = ErrorCode.INVALID_TRANSITION
    status = 409


class RateLimited(ApplicationError):
    code = ErrorCode.CONFLICT
    status = 429


# --- helpers ---------------------------------------------------------------------------------------------------------

def new_card_id() -> str:
    return "".join(secrets.choice(CARD_ID_ALPHABET) for _i in range(CARD_ID_LENGTH))


def validity_window(valid_from: date, valid_until: date) -> tuple[int, int]:
    """``nbf`` = the first day 00:00, ``exp`` = the day after the last day 00:00, in the platform's time zone."""
    tz = timezone.get_default_timezone()
    start = datetime.combine(valid_from, time.min, tzinfo=tz)
    end = datetime.combine(valid_until + timedelta(days=1), time.min, tzinfo=tz)
    return int(start.timestamp()), int(end.timestamp())


def _card_url() -> str:
    return reverse("greencards:card")


def _may_manage(actor: User | None) -> bool:
    """The system (a certification event, a scheduled task: ``actor=None``) or the talent office's staff."""
    from .selectors import is_card_manager

    return actor is None or is_card_manager(actor)


def _certificate_of(certificate: Certificate, holder: User) -> bool:
    """The certificate was granted to this holder (a card never rests on someone else's certificate)."""
    from onestop.talents.models import TalentProfile

    return TalentProfile.objects.filter(pk=certificate.profile_id, user_id=holder.pk).exists()


def _reason(reason: str, *, required: bool = True) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationFailed(_("提交的信息有误，请按提示修改。"), field_errors={"reason": [_("理由：请填写理由。")]})
    if len(reason) > REASON_MAX:
        raise ValidationFailed(_("提交的信息有误，请按提示修改。"),
                               field_errors={"reason": [_("理由：不能超过 500 个字符。")]})
    return reason


# --- signing keys ----------------------------------------------------------------------------------------------------

def _key_create(*, actor: User | None) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    kid = f"gk{timezone.localdate():%Y%m%d}{secrets.token_hex(2)}"
    key = SigningKey.objects.create(
        kid=kid, public_key=credential.b64url_encode(credential.public_raw(private.public_key())),
        private_key=keys.seal_private_key(kid, private), status=KeyStatus.ACTIVE)
    audit_record(action=events.KEY_CREATE, actor=actor, obj=key,
                 after={"kid": kid, "kek": keys.kek_id_of(key.private_key)})
    return key


def _active_key() -> tuple[SigningKey, Any]:
    """The active signing key and its opened private half; the first issuance creates it."""
    key = SigningKey.objects.filter(status=KeyStatus.ACTIVE).first()
    if key is None:
        try:
            with transaction.atomic():
                key = _key_create(actor=None)
        except IntegrityError:
            key = SigningKey.objects.get(status=KeyStatus.ACTIVE)
        transaction.on_commit(keys.invalidate)
    return key, keys.open_private_key(key.kid, key.private_key)


def signing_key_rotate(*, actor: User | None = None) -> SigningKey:
    """Start signing with a new key. The old key is retired: it stays published and keeps verifying the cards it
    signed until the last of them expires (``verify_until``)."""
    with transaction.atomic():
        old = SigningKey.objects.filter(status=KeyStatus.ACTIVE).first()
        if old is not None and SigningKey.objects.filter(pk=old.pk, status=KeyStatus.ACTIVE).update(
                status=KeyStatus.RETIRED, retired_at=timezone.now()) != 1:
            raise TransitionNotAllowed(_("签名密钥已被他人轮换，请重试。"))
        new = _key_create(actor=actor)
        audit_record(action=events.KEY_ROTATE, actor=actor, obj=new,
                     before={"kid": old.kid if old else None}, after={"kid": new.kid})
        transaction.on_commit(keys.invalidate)
    keys.invalidate()
    return new


def signing_key_compromise(*, kid: str, reason: str, actor: User | None = None) -> SigningKey:
    """A key leaked: it stops verifying at once, and every current card it signed gets a token from a fresh key
    (same card id, same validity), so holders only need to reopen their card page."""
    reason = _reason(reason)
    with transaction.atomic():
        key = SigningKey.objects.filter(kid=kid).exclude(status=KeyStatus.COMPROMISED).first()
        if key is None:
            raise NotFound(_("签名密钥不存在或已吊销。"))
        was_active = key.status == KeyStatus.ACTIVE
        if SigningKey.objects.filter(pk=key.pk, status=key.status).update(
                status=KeyStatus.COMPROMISED, compromised_at=timezone.now()) != 1:
            raise TransitionNotAllowed(_("签名密钥状态已变化，请重试。"))
        audit_record(action=events.KEY_COMPROMISE, actor=actor, obj=key, before={"status": key.status},
                     after={"status": KeyStatus.COMPROMISED}, detail={"reason": reason})
        if was_active:
            _key_create(actor=actor)
        keys.invalidate()
        for card in GreenCard.objects.filter(signing_key=key, status__in=CURRENT_CARD_STATES):
            _resign(card, actor=actor)
        transaction.on_commit(keys.invalidate)
    key.refresh_from_db()
    return key


def _sign_card(*, card_id: str, card_class: str, valid_from: date, valid_until: date) -> tuple[SigningKey, str]:
    key, private = _active_key()
    nbf, exp = validity_window(valid_from, valid_until)
    token = credential.sign(private_key=private, kid=key.kid, card_id=card_id, card_class=card_class,
                            not_before=nbf, expires=exp)
    expires_at = datetime.fromtimestamp(exp, tz=timezone.get_default_timezone())
    SigningKey.objects.filter(pk=key.pk).update(verify_until=Greatest(Coalesce(F("verify_until"), expires_at),
                                                                      expires_at))
    return key, token


def _resign(card: GreenCard, *, actor: User | None) -> None:
    key, token = _sign_card(card_id=card.card_id, card_class=card.card_class, valid_from=card.valid_from,
                            valid_until=card.valid_until)
    GreenCard.objects.filter(pk=card.pk).update(token=token, signing_key=key)
    audit_record(action=events.CARD_RESIGN, actor=actor, obj=card, before={"kid": card.signing_key.kid},
                 after={"kid": key.kid})


# --- the card lifecycle ----------------------------------------------------------------------------------------------

def card_issue(*, holder: User, card_class: str, valid_from: date, valid_until: date, actor: User | None = None,
               certificate: Certificate | None = None, replaces: GreenCard | None = None, photo: str = "",
               is_demo: bool = False) -> GreenCard:
    """Issue a card (normally on certification: ``on_certificate_granted``, with the certificate it rests on). One
    current card per holder."""
    if not _may_manage(actor):
        raise NotFound(_("页面不存在，或您无权访问。"))
    errors = FieldErrors()
    if not holder.has_role(Role.TALENT):
        errors.add("holder", _("持卡人：只有人才账号可以持有人才绿卡。"))
    if card_class not in CardClass.values:
        errors.add("card_class", _("绿卡类别：请选择有效的类别。"))
    if valid_until <= valid_from:
        errors.add("valid_until", _("有效期至：应晚于有效期起始日。"))
    elif valid_until < timezone.localdate():
        errors.add("valid_until", _("有效期至：不能早于今天。"))
    if certificate is not None and not _certificate_of(certificate, holder):
        errors.add("certificate", _("认定证书：该证书不属于此持卡人。"))
    errors.raise_if_any()
    with transaction.atomic():
        card_id = new_card_id()
        key, token = _sign_card(card_id=card_id, card_class=card_class, valid_from=valid_from,
                                valid_until=valid_until)
        try:
            with transaction.atomic():
                card = GreenCard.objects.create(
                    card_id=card_id, holder=holder, card_class=card_class, valid_from=valid_from,
                    valid_until=valid_until, issued_by=actor, signing_key=key, token=token,
                    certificate=certificate, replaces=replaces, photo=photo, is_demo=is_demo)
        except IntegrityError:
            raise Conflict(_("该人才已持有有效的人才绿卡。"))
        audit_record(action=events.CARD_ISSUE if replaces is None else events.CARD_REISSUE, actor=actor, obj=card,
                     after={"card_class": card_class, "valid_from": valid_from.isoformat(),
                            "valid_until": valid_until.isoformat(), "kid": key.kid},
                     detail={"replaces": replaces.card_id} if replaces else None)
        notification_send(
            recipient=holder,
            title=_("您的人才绿卡已发放") if replaces is None else _("您的人才绿卡已补办"),
            body=_("%(cls)s，有效期至 %(until)s。请在个人中心查看电子绿卡或下载 PDF。") % {
                "cls": CardClass(card_class).label, "until": valid_until.isoformat()},
            link=_card_url(), channels=(NotificationChannel.SMS,))
    return card


_TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    # action: (allowed source states, target state, audit action)
    "suspend": ((CardStatus.ACTIVE,), CardStatus.SUSPENDED, events.CARD_SUSPEND),
    "reinstate": ((CardStatus.SUSPENDED,), CardStatus.ACTIVE, events.CARD_REINSTATE),
    "revoke": ((CardStatus.ACTIVE, CardStatus.SUSPENDED), CardStatus.REVOKED, events.CARD_REVOKE),
    "replace": ((CardStatus.ACTIVE,), CardStatus.REPLACED, events.CARD_REISSUE),
    "supersede": ((CardStatus.ACTIVE, CardStatus.SUSPENDED), CardStatus.REPLACED, events.CARD_SUPERSEDE),
    "expire": ((CardStatus.ACTIVE, CardStatus.SUSPENDED), CardStatus.EXPIRED, events.CARD_EXPIRE),
}

def _change_status(card: GreenCard, *, action: str, actor: User | None, reason: str) -> GreenCard:
    sources, target, audit_action = _TRANSITIONS[action]
    if card.status not in sources:
        raise TransitionNotAllowed(_("绿卡当前状态为“%(s)s”，不能执行此操作。") % {"s": CardStatus(card.status).label})
    changed = GreenCard.objects.filter(pk=card.pk, status=card.status).update(
        status=target, status_reason=reason if target != CardStatus.ACTIVE else "",
        status_changed_at=timezone.now())
    if changed != 1:
        raise TransitionNotAllowed(_("绿卡状态已被他人更改，请刷新后重试。"))
    audit_record(action=audit_action, actor=actor, obj=card, before={"status": card.status},
                 after={"status": target}, detail={"reason": reason} if reason else None)
    card.status = target
    return card


def _notify_status(card: GreenCard, title: str, body: str) -> None:
    notification_send(recipient=card.holder, title=title, body=body, link=_card_url(),
                      channels=(NotificationChannel.SMS,))


def card_suspend(*, card: GreenCard, reason: str, actor: User | None = None) -> GreenCard:
    """Stop the card verifying (e.g. certification under review for revocation); reversible."""
    if not _may_manage(actor):
        raise NotFound(_("绿卡不存在，或您无权访问。"))
    reason = _reason(reason)
    with transaction.atomic():
        card = _change_status(card, action="suspend", actor=actor, reason=reason)
        _notify_status(card, _("您的人才绿卡已暂停使用"), reason)
    return card


def card_reinstate(*, card: GreenCard, reason: str, actor: User | None = None) -> GreenCard:
    if not _may_manage(actor):
        raise NotFound(_("绿卡不存在，或您无权访问。"))
    reason = _reason(reason)
    with transaction.atomic():
        card = _change_status(card, action="reinstate", actor=actor, reason=reason)
        _notify_status(card, _("您的人才绿卡已恢复使用"), reason)
    return card


def card_revoke(*, card: GreenCard, reason: str, actor: User | None = None) -> GreenCard:
    """Final: the card stops verifying at once and appears on the revocation list until it would have expired."""
    if not _may_manage(actor):
        raise NotFound(_("绿卡不存在，或您无权访问。"))
    reason = _reason(reason)
    with transaction.atomic():
        card = _change_status(card, action="revoke", actor=actor, reason=reason)
        _notify_status(card, _("您的人才绿卡已撤销"), reason)
    return card


def card_reissue(*, card: GreenCard, reason: str, actor: User) -> GreenCard:
    """Loss (挂失补办) by the holder or the talent office: the old card is replaced and stops verifying at once; a new
    card with a new card id, the same class and validity is issued."""
    if actor.pk != card.holder_id and not _may_manage(actor):
        raise NotFound(_("绿卡不存在，或您无权访问。"))
    reason = _reason(reason)
    with transaction.atomic():
        old = _change_status(card, action="replace", actor=actor, reason=reason)
        system_actor = None if actor.pk == card.holder_id else actor
        new = card_issue(holder=card.holder, card_class=card.card_class, valid_from=card.valid_from,
                         valid_until=card.valid_until, actor=system_actor, certificate=card.certificate,
                         replaces=old, photo=card.photo, is_demo=card.is_demo)
    return new


def card_renew(*, card: GreenCard, valid_until: date, actor: User | None = None,
               certificate: Certificate | None = None) -> GreenCard:
    """Certification renewed: same card id, new validity, a fresh token from the active key; ``certificate``, when
    given, is the renewed certificate the card now rests on."""
    if not _may_manage(actor):
        raise NotFound(_("绿卡不存在，或您无权访问。"))
    if valid_until <= card.valid_until:
        raise ValidationFailed(_("提交的信息有误，请按提示修改。"),
                               field_errors={"valid_until": [_("有效期至：续期后的有效期应晚于当前有效期。")]})
    with transaction.atomic():
        key, token = _sign_card(card_id=card.card_id, card_class=card.card_class, valid_from=card.valid_from,
                                valid_until=valid_until)
        changed = GreenCard.objects.filter(pk=card.pk, status__in=CURRENT_CARD_STATES,
                                           valid_until=card.valid_until).update(
            valid_until=valid_until, token=token, signing_key=key,
            certificate_id=certificate.pk if certificate is not None else card.certificate_id)
        if changed != 1:
            raise TransitionNotAllowed(_("绿卡状态已被他人更改，请刷新后重试。"))
        audit_record(action=events.CARD_RENEW, actor=actor, obj=card,
                     before={"valid_until": card.valid_until.isoformat()},
                     after={"valid_until": valid_until.isoformat(), "kid": key.kid})
        _notify_status(card, _("您的人才绿卡已续期"), _("有效期延至 %(d)s。") % {"d": valid_until.isoformat()})
    card.refresh_from_db()
    return card


def card_for_certification(*, holder: User, card_class: str, valid_from: date, valid_until: date,
                           certificate: Certificate, actor: User | None = None) -> GreenCard:
    """Certification granted (or renewed): the holder's card follows the newest certificate.

    No current card → issue one. The same class and an active card → renew it (longer validity, same card id). A
    different class, or a suspended card → the old card is superseded (stops verifying at once) and a new card of
    the new class is issued."""
    if not _may_manage(actor):
        raise NotFound(_("页面不存在，或您无权访问。"))
    current = GreenCard.objects.filter(holder=holder, status__in=CURRENT_CARD_STATES).first()
    if current is None:
        return card_issue(holder=holder, card_class=card_class, valid_from=valid_from, valid_until=valid_until,
                          actor=actor, certificate=certificate)
    if current.card_class == card_class and current.status == CardStatus.ACTIVE:
        if valid_until > current.valid_until:
            return card_renew(card=current, valid_until=valid_until, actor=actor, certificate=certificate)
        if not _certificate_of(certificate, holder):
            raise ValidationFailed(_("提交的信息有误，请按提示修改。"),
                                   field_errors={"certificate": [_("认定证书：该证书不属于此持卡人。")]})
        GreenCard.objects.filter(pk=current.pk).update(certificate=certificate)
        current.certificate = certificate
        return current
    with transaction.atomic():
        old = _change_status(current, action="supersede", actor=actor,
                             reason=_("人才认定层次变更，已换发新卡（%(ref)s）。") % {"ref": certificate.number})
        return card_issue(holder=holder, card_class=card_class, valid_from=valid_from, valid_until=valid_until,
                          actor=actor, certificate=certificate, replaces=old, photo=old.photo,
                          is_demo=old.is_demo)


def cards_expire(*, today: date | None = None) -> int:
    """Daily: cards past their validity become expired (their tokens already stopped verifying at ``exp``)."""
    day = today or timezone.localdate()
    count = 0
    for card in GreenCard.objects.filter(status__in=CURRENT_CARD_STATES, valid_until__lt=day):
        with transaction.atomic():
            try:
                _change_status(card, action="expire", actor=None, reason="")
            except TransitionNotAllowed:
                continue
            count += 1
    return count


def card_photo_set(*, holder: User, content: bytes, content_type: str) -> GreenCard:
    """The holder's card photo (JPEG or PNG, ≤ 2 MB), stored privately; shown on the card and to partners whose
    field set includes the photo."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    errors = FieldErrors()
    kind = {"image/jpeg": "jpg", "image/png": "png"}.get(content_type)
    from onestop.talents.uploads import FORBIDDEN_CONTENT  # polyglots and the EICAR test signature

    if kind is None or not (content.startswith(b"\xff\xd8") or content.startswith(b"\x89PNG")) or any(
            marker in content for marker in FORBIDDEN_CONTENT):
        errors.add("photo", _("照片：请上传 JPG 或 PNG 格式的证件照。"))
    if len(content) > 2 * 1024 * 1024:
        errors.add("photo", _("照片：不能超过 2 MB。"))
    errors.raise_if_any()
    card = GreenCard.objects.filter(holder=holder, status__in=CURRENT_CARD_STATES).first()
    if card is None:
        raise NotFound(_("您还没有人才绿卡。"))
    name = default_storage.save(f"greencards/photos/{secrets.token_hex(16)}.{kind}", ContentFile(content))
    with transaction.atomic():
        GreenCard.objects.filter(pk=card.pk).update(photo=name)
        audit_record(action=events.CARD_PHOTO, actor=holder, obj=card, after={"photo": "updated"})
    card.photo = name
    return card


# --- verification ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PartnerInfo:
    """The partner organisation a verification is made for, as read on the hot path (not a model instance)."""

    pk: int
    code: str
    name: str
    kind: str


@dataclass(frozen=True, slots=True)
class ScanRecord:
    """The scan-log row just written (``Verification``), as the caller needs it: id, verdict and time."""

    pk: int
    card_id: int | None
    result: str
    reason: str
    channel: str
    checked_at: datetime


@dataclass
class VerifyOutcome:
    verification: ScanRecord
    reason: str
    partner: PartnerInfo
    card: CardRow | None = None
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return self.reason == VerifyReason.OK

    @property
    def message(self) -> str:
        return str(VerifyReason(self.reason).label)


STATUS_REASONS = {
    CardStatus.REVOKED: VerifyReason.REVOKED, CardStatus.SUSPENDED: VerifyReason.SUSPENDED,
    CardStatus.REPLACED: VerifyReason.REPLACED, CardStatus.EXPIRED: VerifyReason.EXPIRED,
}


def checker_partner(checker: User, partner_code: str = "") -> PartnerInfo:
    """The partner organisation the checker verifies for (the one they belong to; ``partner_code`` picks when
    they belong to several). Not a checker → 404."""
    ids = sorted(checker.partner_ids()) if checker.is_authenticated and checker.is_active else []
    partners = []
    if ids:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, code, name, kind FROM {PartnerOrganization._meta.db_table} "  # noqa: S608
                           f"WHERE is_active AND id IN ({', '.join(['%s'] * len(ids))}) ORDER BY id", ids)
            partners = [PartnerInfo(pk, code, name, kind)
                        for pk, code, name, kind in cursor.fetchall()]
    if partner_code:
        partners = [p for p in partners if p.code == partner_code]
    if not partners:
        raise NotFound(_("核验机构不存在，或您无权访问。"))
    return partners[0]


# The verification hot path is plain SQL valid on SQLite and PostgreSQL (the tests run it on both): on this
# platform's 2-core servers the ORM spends longer compiling a query than the database spends answering it
# (docs/performance.md). The API-key path makes two statements — one SELECT for the key, its scope, its recent
# attempts and the card, one INSERT for the scan log; the session path three (rate count, card, log).

# Every entitlement some partner kind may be shown: the card query answers all of them (an EXISTS each, on indexes)
# so one statement serves every partner; ``_present`` keeps only the partner's own.
_ALL_ENTITLEMENT_CODES: tuple[str, ...] = tuple(sorted({code for fields in FIELD_SETS.values()
                                                        for code in entitlement_codes(fields)}))


@dataclass(frozen=True, slots=True)
class CardRow:
    """What verification reads of a card: status, class, validity, photo, the holder's name, the employer's name and
    which of ``_ALL_ENTITLEMENT_CODES`` the card's class carries. Never the ID number, phone or family."""

    pk: int
    card_id: str
    status: str
    card_class: str
    valid_until: date
    photo: str
    holder_id: int
    holder_name: str
    employer_name: str
    entitlements: frozenset[str]


@lru_cache(maxsize=1)
def _card_sql() -> tuple[str, str]:
    """(columns, joins) of the card part: ``c`` the card by ``card_id = %s``, left-joined so that a missing card (or
    no card id at all) still gives the row of the API-key query, with NULLs."""
    from onestop.employers.models import Enterprise
    from onestop.talents.models import TalentProfile

    # One correlated subquery: bit i set when the card's class carries _ALL_ENTITLEMENT_CODES[i] (and it is active).
    bits = " ".join(f"WHEN %s THEN {1 << i}" for i in range(len(_ALL_ENTITLEMENT_CODES)))
    entitlement_bits = (f"(SELECT COALESCE(SUM(CASE e.code {bits} ELSE 0 END), 0) "  # noqa: S608
                        f"FROM {ClassEntitlement._meta.db_table} ce JOIN {Entitlement._meta.db_table} e "
                        "ON e.id = ce.entitlement_id WHERE ce.card_class = c.card_class AND e.is_active)")
    columns = (f"c.id, c.status, c.card_class, c.valid_until, c.photo, c.holder_id, h.real_name, ent.name, "
               f"{entitlement_bits}")
    joins = (f"LEFT JOIN {GreenCard._meta.db_table} c ON c.card_id = %s "
             f"LEFT JOIN {User._meta.db_table} h ON h.id = c.holder_id "
             f"LEFT JOIN {TalentProfile._meta.db_table} tp ON tp.user_id = c.holder_id "
             f"LEFT JOIN {Enterprise._meta.db_table} ent ON ent.id = tp.employer_id")
    return columns, joins


def _card_from(card_id: str | None, row: tuple[Any, ...] | list[Any]) -> CardRow | None:
    if card_id is None or row[0] is None:
        return None
    pk, status, card_class, valid_until, photo, holder_id, holder_name, employer_name = row[:8]
    if isinstance(valid_until, str):
        valid_until = date.fromisoformat(valid_until)
    bits = int(row[8] or 0)
    held = frozenset(code for i, code in enumerate(_ALL_ENTITLEMENT_CODES) if bits & (1 << i))
    return CardRow(int(pk), card_id, status, card_class, valid_until, photo or "", int(holder_id), holder_name or "",
                   employer_name or "", held)


def _card_row(card_id: str) -> CardRow | None:
    """The card, for the session path (the API-key path reads it in its key query)."""
    columns, joins = _card_sql()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM (SELECT 1 AS one) one_row {joins}",  # noqa: S608
                       [*_ALL_ENTITLEMENT_CODES, card_id])
        row = cursor.fetchone()
    return _card_from(card_id, row)


def _rate_exceeded(checker: User, moment: datetime, *, api_key_id: int | None = None) -> bool:
    """At most GREENCARD_VERIFY_RATE_PER_MINUTE attempts per checker (GREENCARD_M2M_RATE_PER_MINUTE per API key) in
    any 60 s (sliding window over the scan log, so it holds across processes and servers; two racing requests may
    overshoot by one — a limit, not an invariant)."""
    if api_key_id is not None:
        column, value, limit = "api_key_id", api_key_id, int(settings.GREENCARD_M2M_RATE_PER_MINUTE)
    else:
        column, value, limit = "checker_id", checker.pk, int(settings.GREENCARD_VERIFY_RATE_PER_MINUTE)
    since = connection.ops.adapt_datetimefield_value(moment - timedelta(seconds=60))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM {Verification._meta.db_table} "  # noqa: S608
                       f"WHERE {column} = %s AND checked_at > %s LIMIT %s) recent", [value, since, limit])
        row = cursor.fetchone()
    return int(row[0]) >= limit


_LOG_COLUMNS = ("card_id", "checker_id", "partner_id", "result", "reason", "channel", "checked_at", "source_ip",
                "api_key_id")


def _log_verification(*, card_pk: int | None, checker_id: int, partner_id: int, reason: str, channel: str,
                      checked_at: datetime, source_ip: str | None, api_key_id: int | None) -> ScanRecord:
    """Append one row to the scan log (one INSERT … RETURNING id)."""
    result = VerifyResult.VALID if reason == VerifyReason.OK else VerifyResult.INVALID
    params = [card_pk, checker_id, partner_id, str(result), str(reason), str(channel),
              connection.ops.adapt_datetimefield_value(checked_at), source_ip, api_key_id]
    sql = (f"INSERT INTO {Verification._meta.db_table} ({', '.join(_LOG_COLUMNS)}) "  # noqa: S608
           f"VALUES ({', '.join(['%s'] * len(_LOG_COLUMNS))}) RETURNING id")
    if connection.vendor == "postgresql" or not connection.get_autocommit():
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The scan log does not wait for its WAL flush (a crash may lose the last fraction of a second of
                # log rows, never corrupt them); card state changes keep full durability. See docs/greencard.md.
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            cursor.execute(sql, params)
            row = cursor.fetchone()
    else:
        # SQLite in autocommit: the single INSERT is its own transaction; BEGIN/COMMIT around it would only add
        # two round trips through the driver.
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
    return ScanRecord(int(row[0]), card_pk, str(result), str(reason), str(channel), checked_at)


def _parse(token: str) -> credential.Parsed | credential.TokenError:
    try:
        return credential.parse((token or "").strip())
    except credential.TokenError as exc:
        return exc


def _check_token(parsed: credential.Parsed | credential.TokenError,
                 moment: datetime) -> tuple[str, credential.Claims | None]:
    """The reason and, when the signature held (valid, or only outside its validity), the claims."""
    if isinstance(parsed, credential.TokenError):
        return VerifyReason(str(parsed.reason)), None
    ring = keys.verifying_keys()
    try:
        claims = credential.verify_parsed(parsed, keys=ring.usable, now=int(moment.timestamp()))
    except credential.TokenError as exc:
        if exc.reason == credential.Reason.UNKNOWN_KEY and exc.detail in ring.compromised:
            return VerifyReason.KEY_COMPROMISED, None
        reason = VerifyReason(str(exc.reason))
        if reason in (VerifyReason.NOT_YET_VALID, VerifyReason.EXPIRED):
            return reason, parsed.claims  # the signature held: the token is genuine, only outside its validity
        return reason, None
    return VerifyReason.OK, claims


def card_verify(*, token: str, checker: User, channel: str = VerifyChannel.API, partner_code: str = "",
                source_ip: str | None = None, now: datetime | None = None) -> VerifyOutcome:
    """Verify a scanned token for a partner checker, log it, and return only the partner's fields.

    Order: the checker's partner (404 if none) → the per-checker rate limit (every attempt counts, refused ones too;
    a refusal is logged and raised as 429) → signature, key and validity → the card's status → the field set."""
    partner = checker_partner(checker, partner_code)
    if channel not in VerifyChannel.values or channel == VerifyChannel.M2M:
        channel = VerifyChannel.API
    moment = now or timezone.now()
    if _rate_exceeded(checker, moment):
        _refuse_rate_limited(checker_id=checker.pk, partner_id=partner.pk, channel=channel, moment=moment,
                             source_ip=source_ip, api_key_id=None)
    parsed = _parse(token)
    reason, claims = _check_token(parsed, moment)
    card = _card_row(claims.card_id) if claims is not None else None
    return _conclude(reason=reason, claims=claims, card=card, checker_id=checker.pk, partner=partner,
                     channel=channel, moment=moment, source_ip=source_ip, api_key_id=None)


def _refuse_rate_limited(*, checker_id: int, partner_id: int, channel: str, moment: datetime,
                         source_ip: str | None, api_key_id: int | None) -> None:
    _log_verification(card_pk=None, checker_id=checker_id, partner_id=partner_id, reason=VerifyReason.RATE_LIMITED,
                      channel=channel, checked_at=moment, source_ip=source_ip, api_key_id=api_key_id)
    raise RateLimited(str(VerifyReason.RATE_LIMITED.label),
                      extra={"reason": VerifyReason.RATE_LIMITED, "retry_after": 60})


def _conclude(*, reason: str, claims: credential.Claims | None, card: CardRow | None, checker_id: int,
              partner: PartnerInfo, channel: str, moment: datetime, source_ip: str | None,
              api_key_id: int | None) -> VerifyOutcome:
    """The shared end of both paths: the card's state decides, the attempt is logged, the partner's fields built.
    ``card`` is only trusted when ``claims`` is (the signature held)."""
    if claims is None:
        card = None
    elif card is None:
        reason = VerifyReason.UNKNOWN_CARD
    elif reason == VerifyReason.OK and card.status != CardStatus.ACTIVE:
        reason = STATUS_REASONS[CardStatus(card.status)]
    elif reason == VerifyReason.OK and card.card_class != claims.card_class:
        reason = VerifyReason.REPLACED
    verification = _log_verification(card_pk=card.pk if card is not None else None, checker_id=checker_id,
                                     partner_id=partner.pk, reason=reason, channel=channel, checked_at=moment,
                                     source_ip=source_ip, api_key_id=api_key_id)
    outcome = VerifyOutcome(verification=verification, reason=reason, partner=partner, card=card)
    if reason == VerifyReason.OK and card is not None:
        outcome.fields = _present(card, fields_for(partner.kind), verification.pk)
    return outcome


def _present(card: CardRow, wanted: tuple[str, ...], verification_id: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if NAME in wanted:
        out["name"] = card.holder_name
    if PHOTO in wanted:
        out["photo_url"] = (reverse("greencards:verification_photo", kwargs={"pk": verification_id})
                            if card.photo else None)
    if CARD_CLASS in wanted:
        out["card_class"] = card.card_class
        out["card_class_label"] = str(CardClass(card.card_class).label)
    if VALID_UNTIL in wanted:
        out["valid_until"] = card.valid_until.isoformat()
    if EMPLOYER in wanted:
        out["employer"] = card.employer_name
    codes = entitlement_codes(wanted)
    if codes:
        out["entitlements"] = {code: code in card.entitlements for code in codes}
    return out


# --- machine-to-machine API keys ------------------------------------------------------------------------------------

API_KEY_PREFIX = "gck"
API_KEY_NAME_MAX = 64


class Unauthenticated(ApplicationError):
    """No usable API key. The view answers 401 with ``"code": "unauthenticated"`` (as the session middleware does)."""

    code = ErrorCode.FORBIDDEN
    status = 401


@dataclass(frozen=True)
class IssuedApiKey:
    """The key as created: ``secret`` is the whole presented key, returned once and never stored."""

    key: ApiKey
    secret: str


def api_key_hash(presented: str) -> str:
    return hashlib.sha256(presented.encode()).hexdigest()


def _may_manage_keys(actor: User, checker: User) -> bool:
    from onestop.core.permissions import Capability, has_capability

    return actor.is_active and ((actor.pk == checker.pk and has_capability(actor, Capability.GREENCARD_VERIFY))
                                or has_capability(actor, Capability.SECURITY_MANAGE))


def api_key_create(*, checker: User, name: str, actor: User, partner_code: str = "") -> IssuedApiKey:
    """A new key for ``checker`` at their partner organisation, made by the checker or the security admin.

    The presented key is ``gck_<key_id>_<secret>``: 48 random bits of public id, 256 random bits of secret. Only the
    SHA-256 of the whole string is stored; the caller shows ``IssuedApiKey.secret`` once."""
    if not _may_manage_keys(actor, checker):
        raise NotFound(_("核验员不存在，或您无权访问。"))
    partner = checker_partner(checker, partner_code)
    errors = FieldErrors()
    name = (name or "").strip()
    if not name:
        errors.add("name", _("名称：请填写密钥用途，例如“二号窗口扫码枪”。"))
    elif len(name) > API_KEY_NAME_MAX:
        errors.add("name", _("名称：不能超过 64 个字符。"))
    errors.raise_if_any()
    key_id = secrets.token_hex(6)
    presented = f"{API_KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        key = ApiKey.objects.create(key_id=key_id, secret_hash=api_key_hash(presented), name=name, checker=checker,
                                    partner_id=partner.pk, created_by=actor)
        audit_record(action=events.API_KEY_CREATE, actor=actor, obj=key,
                     after={"key_id": key_id, "checker": checker.pk, "partner": partner.code, "name": name})
    return IssuedApiKey(key=key, secret=presented)


def api_key_revoke(*, key: ApiKey, actor: User) -> ApiKey:
    """Revoke at once: the next request with the key answers 401 (no cache between the key row and the check)."""
    if not _may_manage_keys(actor, key.checker):
        raise NotFound(_("密钥不存在，或您无权访问。"))
    moment = timezone.now()
    with transaction.atomic():
        updated = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=moment,
                                                                                   revoked_by=actor)
        if updated != 1:
            raise Conflict(_("该密钥已吊销。"))
        audit_record(action=events.API_KEY_REVOKE, actor=actor, obj=key, after={"key_id": key.key_id})
    key.revoked_at, key.revoked_by = moment, actor
    return key


@lru_cache(maxsize=1)
def _m2m_sql() -> str:
    from onestop.core.choices import PARTNER_ROLES
    from onestop.core.models import RoleAssignment

    columns, joins = _card_sql()
    roles = ", ".join(["%s"] * len(PARTNER_ROLES))
    return (
        f"SELECT k.id, k.secret_hash, k.checker_id, p.id, p.code, p.name, p.kind, "  # noqa: S608
        f"(SELECT COUNT(*) FROM (SELECT 1 FROM {Verification._meta.db_table} v WHERE v.api_key_id = k.id "
        f"AND v.checked_at > %s LIMIT %s) recent), {columns} "
        f"FROM {ApiKey._meta.db_table} k JOIN {User._meta.db_table} u ON u.id = k.checker_id "
        f"JOIN {PartnerOrganization._meta.db_table} p ON p.id = k.partner_id {joins} "
        "WHERE k.key_id = %s AND k.revoked_at IS NULL AND u.is_active AND p.is_active "
        f"AND EXISTS (SELECT 1 FROM {RoleAssignment._meta.db_table} r WHERE r.user_id = k.checker_id "
        f"AND r.partner_id = k.partner_id AND r.role IN ({roles}))")


def _api_key_principal(presented: str, moment: datetime, card_id: str | None
                       ) -> tuple[int, int, PartnerInfo, bool, tuple[Any, ...]]:
    """The key's id, its checker's id, its partner, whether its rate limit is reached, and the card columns, or
    ``Unauthenticated``. One indexed query: the key by its public id, still unrevoked, its checker active and still
    a checker at the key's partner, the partner active, with the key's attempts in the last 60 s (``_rate_exceeded``'s
    window) and the card named by the not yet verified token (left-joined: read, and trusted only once the signature
    has held). The hash comparison is constant-time; an unknown id, a wrong secret and a revoked key answer the
    same."""
    from onestop.core.choices import PARTNER_ROLES

    parts = (presented or "").split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or not parts[1] or len(presented) > 200:
        raise Unauthenticated(_("接口密钥无效或已吊销。"))
    limit = int(settings.GREENCARD_M2M_RATE_PER_MINUTE)
    since = connection.ops.adapt_datetimefield_value(moment - timedelta(seconds=60))
    with connection.cursor() as cursor:
        cursor.execute(_m2m_sql(), [since, limit, *_ALL_ENTITLEMENT_CODES, card_id, parts[1],
                                    *[str(r) for r in PARTNER_ROLES]])
        row = cursor.fetchone()
    expected = row[1] if row is not None else "0" * 64
    if not hmac.compare_digest(expected, api_key_hash(presented)) or row is None:
        raise Unauthenticated(_("接口密钥无效或已吊销。"))
    key_pk, _hash, checker_id, partner_pk, code, name, kind, recent = row[:8]
    return (int(key_pk), int(checker_id), PartnerInfo(int(partner_pk), code, name, kind),
            int(recent) >= limit, row[8:])


def card_verify_m2m(*, presented_key: str, token: str, source_ip: str | None = None,
                    now: datetime | None = None) -> VerifyOutcome:
    """Verification for a partner's scanner or system, authenticated by an API key instead of a session. Same checks
    in the same order as ``card_verify`` (key → rate limit → signature, key and validity → card state → field set),
    same scan log (with the key), the key's partner's field set; ``Unauthenticated`` → 401. Two statements: the key
    query (which also reads the card) and the scan-log insert."""
    moment = now or timezone.now()
    parsed = _parse(token)
    card_id = parsed.claims.card_id if isinstance(parsed, credential.Parsed) else None
    key_pk, checker_id, partner, limited, card_columns = _api_key_principal(presented_key, moment, card_id)
    if limited:
        _refuse_rate_limited(checker_id=checker_id, partner_id=partner.pk, channel=VerifyChannel.M2M, moment=moment,
                             source_ip=source_ip, api_key_id=key_pk)
    reason, claims = _check_token(parsed, moment)
    return _conclude(reason=reason, claims=claims, card=_card_from(card_id, card_columns), checker_id=checker_id,
                     partner=partner, channel=VerifyChannel.M2M, moment=moment, source_ip=source_ip,
                     api_key_id=key_pk)


# --- entitlement requests (on the generic workflow) ------------------------------------------------------------------

def entitlement_request_submit(*, holder: User, entitlement_code: str, detail: str = "",
                               is_demo: bool = False) -> EntitlementRequest:
    """The holder asks to use an entitlement of their card; the request runs as a ``greencard_service`` case whose
    definition names the owning department and the deadline in working days (escalated when overdue)."""
    from onestop.workflow.services import case_start

    card = GreenCard.objects.filter(holder=holder, status=CardStatus.ACTIVE).first()
    if card is None:
        raise NotFound(_("您没有有效的人才绿卡。"))
    errors = FieldErrors()
    entitlement = Entitlement.objects.filter(code=entitlement_code, is_active=True).first()
    if entitlement is None or not ClassEntitlement.objects.filter(card_class=card.card_class,
                                                                  entitlement=entitlement).exists():
        errors.add("entitlement", _("服务权益：您的绿卡类别不含此项服务。"))
    detail = (detail or "").strip()
    if len(detail) > 2000:
        errors.add("detail", _("需求说明：不能超过 2000 个字符。"))
    errors.raise_if_any()
    assert entitlement is not None
    profile = getattr(holder, "talent_profile", None)
    context = {"entitlement": entitlement.code, "card_class": card.card_class,
               "nationality": (profile.nationality if profile is not None else "") or "中国"}
    with transaction.atomic():
        try:
            with transaction.atomic():
                request = EntitlementRequest.objects.create(card=card, holder=holder, entitlement=entitlement,
                                                            detail=detail, is_demo=is_demo)
        except IntegrityError:
            raise Conflict(_("该项服务已有办理中的申请，请勿重复提交。"))
        audit_record(action=events.REQUEST_SUBMIT, actor=holder, obj=request,
                     after={"entitlement": entitlement.code, "card": card.card_id})
        case_start(definition_code=GREENCARD_DEFINITION, subject=request, applicant=holder,
                   title=_("人才绿卡·%(name)s") % {"name": entitlement.name}, context=context, actor=holder)
    return request


def request_case(request: EntitlementRequest) -> Any:
    from django.contrib.contenttypes.models import ContentType

    from onestop.workflow.models import Case

    return (Case.objects.filter(subject_type=ContentType.objects.get_for_model(EntitlementRequest),
                                subject_id=request.pk).select_related("definition").order_by("-created_at").first())


def entitlement_request_add_material(*, request: EntitlementRequest, holder: User, message: str) -> EntitlementRequest:
    """The holder answers a department's request for more material: the paused deadline resumes (workflow)."""
    from onestop.workflow.services import case_provide_info

    if request.holder_id != holder.pk:
        raise NotFound(_("申请不存在，或您无权访问。"))
    case = request_case(request)
    if case is None:
        raise NotFound(_("申请不存在，或您无权访问。"))
    with transaction.atomic():
        case_provide_info(case=case, actor=holder, message=message)
        audit_record(action=events.REQUEST_MATERIAL, actor=holder, obj=request, after={"case": case.pk})
    return request


def request_record_outcome(*, case: Any, outcome: str, actor: User | None) -> None:
    """Workflow outcome handler (registered in apps.py): the request takes the case's outcome."""
    status = outcome if outcome in RequestStatus.values else RequestStatus.CANCELLED
    changed = EntitlementRequest.objects.filter(pk=case.subject_id, status=RequestStatus.OPEN).update(
        status=status, closed_at=timezone.now())
    if changed == 1:
        audit_record(action=events.REQUEST_CLOSE, actor=actor, object_type="greencards.entitlementrequest",
                     object_id=str(case.subject_id), before={"status": RequestStatus.OPEN}, after={"status": status})
        transaction.on_commit(partial(_ask_rating, case.subject_id))


def _ask_rating(request_id: int) -> None:
    request = EntitlementRequest.objects.select_related("holder", "entitlement").get(pk=request_id)
    notification_send(recipient=request.holder,
                      title=_("请为“%(name)s”服务评价") % {"name": request.entitlement.name},
                      body=_("您的申请已办结，欢迎对办理服务作出评价。"),
                      link=reverse("greencards:request_detail", kwargs={"pk": request.pk}))


def entitlement_request_rate(*, request: EntitlementRequest, holder: User, rating: int,
                             comment: str = "") -> EntitlementRequest:
    """After the case closes the holder rates the service once (1–5). Satisfaction feeds the dashboard selectors."""
    if request.holder_id != holder.pk:
        raise NotFound(_("申请不存在，或您无权访问。"))
    errors = FieldErrors()
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        errors.add("rating", _("满意度：请选择 1–5 星。"))
    comment = (comment or "").strip()
    if len(comment) > 500:
        errors.add("comment", _("评价：不能超过 500 个字符。"))
    errors.raise_if_any()
    with transaction.atomic():
        changed = EntitlementRequest.objects.filter(pk=request.pk, rating__isnull=True).exclude(
            status=RequestStatus.OPEN).update(rating=rating, rating_comment=comment, rated_at=timezone.now())
        if changed != 1:
            request.refresh_from_db()
            if request.status == RequestStatus.OPEN:
                raise TransitionNotAllowed(_("申请办结后才能评价。"))
            raise TransitionNotAllowed(_("您已评价过此项服务。"))
        audit_record(action=events.REQUEST_RATE, actor=holder, obj=request, after={"rating": rating})
    request.refresh_from_db()
    return request

