"""The card lifecycle: issue, suspend, reinstate, revoke, reissue (loss), renew, follow certification, expire, photo.

Every status change is one service: validate, check who may do it, then inside ``transaction.atomic()`` a
conditional ``UPDATE … WHERE status IN (<allowed sources>)`` whose row count must be 1, then the audit entry and
the notification. The database refuses a second current card for one holder."""

from __future__ import annotations

import secrets
from datetime import date
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.choices import NotificationChannel, Role
from onestop.core.exceptions import Conflict, NotFound, ValidationFailed
from onestop.core.models import User
from onestop.core.notifications import notification_send
from onestop.core.services import FieldErrors

from .. import events
from ..choices import CURRENT_CARD_STATES, CardClass, CardStatus
from ..models import GreenCard
from .common import TransitionNotAllowed, _card_url, _certificate_of, _may_manage, _reason, new_card_id
from .signing import _sign_card

if TYPE_CHECKING:
    from onestop.talents.models import Certificate

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
