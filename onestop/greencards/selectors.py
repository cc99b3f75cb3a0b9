"""Reads of the green card, scoped to the user asking; the public key set and the revocation list are public."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Avg, Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.exceptions import NotFound
from onestop.core.models import User

from . import credential
from .choices import CURRENT_CARD_STATES, CardStatus, KeyStatus, RequestStatus, VerifyResult
from .models import (
    ApiKey,
    ClassEntitlement,
    Entitlement,
    EntitlementRequest,
    GreenCard,
    SigningKey,
    Verification,
)

REVOCATION_LIST_TTL = 300  # seconds a partner may rely on a downloaded list before fetching a new one


def current_card_for(*, user: User) -> GreenCard | None:
    return (GreenCard.objects.select_related("signing_key").filter(holder=user, status__in=CURRENT_CARD_STATES)
            .first())


def cards_for(*, user: User) -> QuerySet[GreenCard]:
    return GreenCard.objects.filter(holder=user).order_by("-issued_at", "-id")


def verifications_for_holder(*, user: User, limit: int = 50) -> list[Verification]:
    """Who checked my card, when, where: every verification of any of the holder's cards (old cards too)."""
    return list(Verification.objects.filter(card__holder=user).select_related("partner", "card")
                .order_by("-checked_at", "-id")[:limit])


def verification_for_checker(*, user: User, verification_id: int) -> Verification:
    """A checker's own recent valid verification (to show the holder's photo); anything else is 404."""
    since = timezone.now() - timedelta(seconds=settings.GREENCARD_PHOTO_SECONDS)
    found = (Verification.objects.select_related("card").filter(
        pk=verification_id, checker=user, result=VerifyResult.VALID, checked_at__gte=since).first())
    if found is None or found.card is None or not found.card.photo:
        raise NotFound(_("记录不存在，或您无权访问。"))
    return found


def recent_verifications_by_checker(*, user: User, limit: int = 10) -> list[Verification]:
    return list(Verification.objects.filter(checker=user).select_related("partner").order_by("-checked_at", "-id")
                [:limit])


# --- the talent office's card management ----------------------------------------------------------------------------

MANAGING_DEPARTMENT = "talent_office"


def is_card_manager(user: User) -> bool:
    """Staff or head of the talent office (人才办): the department that suspends and reinstates cards."""
    from onestop.core.choices import DEPARTMENT_ROLES
    from onestop.core.models import Department

    if not user.is_authenticated or not user.is_active:
        return False
    ids = user.department_ids(*DEPARTMENT_ROLES)
    return bool(ids) and Department.objects.filter(pk__in=ids, code=MANAGING_DEPARTMENT).exists()


def cards_for_manager(*, user: User, query: str = "", status: str = "") -> QuerySet[GreenCard]:
    """Cards the talent office manages, newest change first; nobody else sees any (their list is empty). ``query``
    is a card id or a holder's full name (exact: no browsing by name fragments)."""
    if not is_card_manager(user):
        return GreenCard.objects.none()
    cards = GreenCard.objects.select_related("holder").order_by(F("status_changed_at").desc(nulls_last=True),
                                                                 "-issued_at", "-id")
    query = (query or "").strip()
    if query:
        cards = cards.filter(Q(card_id=query.upper()) | Q(holder__real_name=query))
    if status in CardStatus.values:
        cards = cards.filter(status=status)
    return cards


def card_for_manager(*, user: User, pk: int) -> GreenCard:
    found = cards_for_manager(user=user).select_related("signing_key").filter(pk=pk).first()
    if found is None:
        raise NotFound(_("绿卡不存在，或您无权访问。"))
    return found


def card_status_history(*, card: GreenCard, limit: int = 20) -> list[Any]:
    """The card's audit entries (issue, suspension, reinstatement, …), newest first, for the managing page."""
    from onestop.core.models import AuditEvent

    return list(AuditEvent.objects.filter(object_type="greencards.greencard", object_id=str(card.pk))
                .order_by("-seq")[:limit])


def entitlements_for_card(*, card: GreenCard | None) -> list[Entitlement]:
    if card is None:
        return []
    ids = ClassEntitlement.objects.filter(card_class=card.card_class).values_list("entitlement_id", flat=True)
    return list(Entitlement.objects.filter(pk__in=ids, is_active=True))


def requests_for(*, user: User) -> QuerySet[EntitlementRequest]:
    return EntitlementRequest.objects.filter(holder=user).select_related("entitlement", "card")


def request_for(*, user: User, request_id: int) -> EntitlementRequest:
    found = requests_for(user=user).filter(pk=request_id).first()
    if found is None:
        raise NotFound(_("申请不存在，或您无权访问。"))
    return found


# --- published documents ---------------------------------------------------------------------------------------------

def jwks(*, at: datetime | None = None) -> dict[str, Any]:
    """The public keys that verify now: the active key and retired keys until the last token they signed expires.
    Compromised keys are never published."""
    moment = at or timezone.now()
    out = []
    for key in SigningKey.objects.exclude(status=KeyStatus.COMPROMISED).order_by("created_at", "id"):
        if key.status == KeyStatus.RETIRED and (key.verify_until is None or key.verify_until <= moment):
            continue
        extra: dict[str, Any] = {"status": key.status}
        if key.status == KeyStatus.RETIRED and key.verify_until is not None:
            extra["verify_until"] = int(key.verify_until.timestamp())
        out.append(credential.public_jwk(key.kid, credential.b64url_decode(key.public_key), **extra))
    return {"keys": out}


def revocation_list(*, at: datetime | None = None) -> dict[str, Any]:
    """Cards that must not verify although their token has not expired: revoked, suspended, replaced."""
    moment = at or timezone.now()
    today = timezone.localdate(moment)
    rows = (GreenCard.objects.filter(status__in=[CardStatus.REVOKED, CardStatus.SUSPENDED, CardStatus.REPLACED],
                                     valid_until__gte=today)
            .order_by("card_id").values_list("card_id", "status", "status_changed_at"))
    return {
        "typ": "greencard-revocation-list",
        "iat": int(moment.timestamp()),
        "next_update": int(moment.timestamp()) + REVOCATION_LIST_TTL,
        "revoked": [{"jti": card_id, "reason": status, "since": int(changed.timestamp()) if changed else None}
                    for card_id, status, changed in rows],
    }


def revocation_list_signed(*, at: datetime | None = None) -> str:
    """The same list as a compact JWS signed by the active key (typ ``gc-crl+jwt``), for copies carried offline."""
    from .services import _active_key

    key, private = _active_key()
    return credential.sign_document(private_key=private, kid=key.kid, document=revocation_list(at=at))


# --- satisfaction (for the dashboard) --------------------------------------------------------------------------------

def satisfaction_by_entitlement() -> list[dict[str, Any]]:
    """Average rating and counts per entitlement over closed, rated requests (the dashboard's satisfaction figure)."""
    rows = (EntitlementRequest.objects.exclude(status=RequestStatus.OPEN)
            .values("entitlement__code", "entitlement__name")
            .annotate(closed=Count("id"), rated=Count("rating"), average=Avg("rating"))
            .order_by("entitlement__name"))
    return [{"code": r["entitlement__code"], "name": r["entitlement__name"], "closed": r["closed"],
             "rated": r["rated"], "average": round(float(r["average"]), 2) if r["average"] is not None else None}
            for r in rows]


def api_keys_for(*, user: User) -> QuerySet[ApiKey]:
    """The API keys a user may see: a checker their own, the security admin every key; others none."""
    from onestop.core.permissions import Capability, has_capability

    keys = ApiKey.objects.select_related("checker", "partner", "created_by", "revoked_by").order_by("-created_at", "-id")
    if has_capability(user, Capability.SECURITY_MANAGE):
        return keys
    if has_capability(user, Capability.GREENCARD_VERIFY):
        return keys.filter(checker=user)
    return keys.none()


def api_key_for(*, user: User, key_id: str) -> ApiKey:
    found = api_keys_for(user=user).filter(key_id=key_id).first()
    if found is None:
        raise NotFound(_("密钥不存在，或您无权访问。"))
    return found


def checker_by_username(*, user: User, username: str) -> User:
    """For the security admin creating a key on a checker's behalf: an active partner checker, else 404."""
    from onestop.core.choices import Role
    from onestop.core.permissions import Capability, has_capability

    found = (User.objects.filter(username=username, is_active=True, role_assignments__role=Role.PARTNER_CHECKER)
             .first() if has_capability(user, Capability.SECURITY_MANAGE) else None)
    if found is None:
        raise NotFound(_("核验员不存在，或您无权访问。"))
    return found
