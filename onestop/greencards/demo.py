"""Demo data for ``manage.py seed_demo``: a housing desk with its checker, and a card for every certified demo talent
(issued by the same service the certification event uses). Idempotent."""

from __future__ import annotations

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from onestop.core.choices import AccountType, PartnerKind, Role
from onestop.core.demo import accounts as demo
from onestop.core.models import PartnerOrganization, RoleAssignment, User

from .choices import TIER_TO_CLASS
from .services import card_for_certification

HOUSING_DESK = ("housing_desk", "航空港区人才住房服务窗口", "Zone Talent Housing Desk", PartnerKind.HOUSING)


def _housing_desk(password_hash: str) -> None:
    code, name, name_en, kind = HOUSING_DESK
    partner, _ = PartnerOrganization.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en,
                                                                                 "kind": kind})
    username = f"{code}_checker"
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, real_name=f"{name}核验员", account_type=AccountType.PARTNER, is_demo=True,
                    password=password_hash)
        user.save(force_insert=True)
    if not RoleAssignment.objects.filter(user=user, role=Role.PARTNER_CHECKER, partner=partner).exists():
        RoleAssignment.objects.create(user=user, role=Role.PARTNER_CHECKER, partner=partner)
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(user=user, name="demo", key=demo.demo_totp_key(username), confirmed=True)


def seed_demo_greencards(*, password_hash: str) -> dict[str, int]:
    from onestop.talents.choices import CertificateStatus
    from onestop.talents.models import Certificate

    _housing_desk(password_hash)
    issued = 0
    today = timezone.localdate()
    for cert in (Certificate.objects.select_related("profile__user")
                 .filter(status=CertificateStatus.VALID, valid_until__gte=today).order_by("issued_at", "pk")):
        holder = cert.profile.user
        card_class = TIER_TO_CLASS.get(cert.tier)
        if card_class is None or holder.green_cards.filter(certificate=cert).exists():
            continue
        card_for_certification(holder=holder, card_class=card_class, valid_from=cert.valid_from,
                               valid_until=cert.valid_until, certificate=cert)
        issued += 1
    return {"cards": issued}
