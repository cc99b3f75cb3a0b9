"""Signing keys: create, rotate, compromise; signing a card's token with the active key (``keys.py`` seals and
opens the private halves)."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.exceptions import NotFound
from onestop.core.models import User

from .. import credential, events, keys
from ..choices import CURRENT_CARD_STATES, KeyStatus
from ..models import GreenCard, SigningKey
from .common import TransitionNotAllowed, _reason, validity_window

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
