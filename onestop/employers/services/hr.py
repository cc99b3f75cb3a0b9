"""HR invitations: the enterprise administrator invites an HR user by a one-time link."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.choices import AccountType, Role
from onestop.core.exceptions import Conflict, NotFound
from onestop.core.models import User
from onestop.core.services import FieldErrors, account_create, check_identity, check_password, role_assign

from ..models import (
    Enterprise,
    HrInvitation,
)
from .common import own_enterprise

INVITATION_DAYS = 7


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hr_invite(*, actor: User, enterprise: Enterprise, real_name: str, phone: str) -> tuple[HrInvitation, str]:
    """The enterprise administrator invites an HR user; returns the invitation and the one-time token (the link is
    shown once to the administrator and sent by SMS)."""
    own_enterprise(actor, enterprise, admin=True)
    errors = FieldErrors()
    phone_n, _id = check_identity(errors, phone=phone, id_type=None, id_number=None, real_name=real_name)
    errors.raise_if_any()
    assert phone_n is not None
    from onestop.core import crypto

    if User.objects.filter(phone_index=crypto.blind_index(str(phone_n), purpose="phone")).exists():
        errors.add("phone", _("手机号：该手机号已注册平台账号，请换用其他手机号或联系人才办。"))
        errors.raise_if_any()
    token = secrets.token_urlsafe(24)
    with transaction.atomic():
        invitation = HrInvitation.objects.create(
            enterprise=enterprise, real_name=real_name.strip(), phone=phone_n, token_hash=_token_hash(token),
            invited_by=actor, expires_at=timezone.now() + timedelta(days=INVITATION_DAYS))
        audit_record(action="enterprise.hr.invite", actor=actor, obj=enterprise,
                     after={"invitation": invitation.pk, "real_name": invitation.real_name})
        from onestop.core.sms import get_sms_backend

        text = _("%(e)s 邀请您成为人事专员，请在 7 天内打开 %(l)s 设置密码。") % {
            "e": enterprise.name, "l": f"/employer/invitations/{token}/"}
        transaction.on_commit(lambda: get_sms_backend().send(phone=str(phone_n), text=text))
    return invitation, token


def invitation_by_token(token: str) -> HrInvitation:
    invitation = (HrInvitation.objects.select_related("enterprise")
                  .filter(token_hash=_token_hash(token or ""), accepted_at__isnull=True, revoked_at__isnull=True,
                          expires_at__gt=timezone.now()).first())
    if invitation is None:
        raise NotFound(_("邀请链接无效或已过期。"))
    return invitation


def hr_invitation_accept(*, token: str, password: str) -> User:
    """The invitee sets a password: an employer account with the HR role in the inviting enterprise."""
    invitation = invitation_by_token(token)
    errors = FieldErrors()
    check_password(errors, password, User(real_name=invitation.real_name))
    errors.raise_if_any()
    with transaction.atomic():
        changed = HrInvitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True,
                                              revoked_at__isnull=True).update(accepted_at=timezone.now())
        if changed != 1:
            raise Conflict(_("该邀请已被使用。"))
        user = account_create(account_type=AccountType.EMPLOYER, real_name=invitation.real_name, password=password,
                              phone=invitation.phone)
        role_assign(user=user, role=Role.EMPLOYER_HR, actor=None, enterprise=invitation.enterprise)
        HrInvitation.objects.filter(pk=invitation.pk).update(accepted_user=user)
        audit_record(action="enterprise.hr.accept", actor=user, obj=invitation.enterprise,
                     after={"invitation": invitation.pk})
    return user


def hr_invitation_revoke(*, actor: User, invitation: HrInvitation) -> None:
    own_enterprise(actor, invitation.enterprise_id, admin=True)
    with transaction.atomic():
        changed = HrInvitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True,
                                              revoked_at__isnull=True).update(revoked_at=timezone.now())
        if changed != 1:
            raise Conflict(_("该邀请已被使用或已撤销。"))
        audit_record(action="enterprise.hr.revoke", actor=actor, obj=invitation.enterprise,
                     after={"invitation": invitation.pk})
