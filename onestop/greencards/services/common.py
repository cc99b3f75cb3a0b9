"""What the green card services share: constants, the business errors, and small helpers (who manages cards,
the reason of a status change, the validity window of a token)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.exceptions import ApplicationError, ErrorCode, NotFound, ValidationFailed
from onestop.core.models import PartnerOrganization, User

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
    from ..selectors import is_card_manager

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


@dataclass(frozen=True, slots=True)
class PartnerInfo:
    """The partner organisation a verification is made for, as read on the hot path (not a model instance)."""

    pk: int
    code: str
    name: str
    kind: str


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
