"""Machine-to-machine API keys of partner checkers: create (shown once, stored as a hash), revoke."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.exceptions import ApplicationError, Conflict, ErrorCode, NotFound
from onestop.core.models import User
from onestop.core.services import FieldErrors

from .. import events
from ..models import ApiKey
from .common import checker_partner

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
