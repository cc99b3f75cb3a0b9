"""How the green card reacts to other modules: named handlers, registered explicitly in ``AppConfig.ready()``.

* certification (talents.events): ``CertificationGranted`` → issue, renew or re-class the card;
  ``CertificationRevoked`` → revoke the card that rests on that certificate (it stops verifying at once and goes on
  the revocation list). Both run inside the certification's transaction, so the card changes with it or not at all.
* workflow: an entitlement request's ``greencard_service`` case closed → the request takes its outcome.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from onestop.core.models import User
from onestop.talents.events import CertificationGranted, CertificationRevoked, certification_events
from onestop.workflow.choices import CaseStatus
from onestop.workflow.handlers import outcome_handlers

from .choices import CURRENT_CARD_STATES, TIER_TO_CLASS
from .models import GreenCard
from .services import GREENCARD_DEFINITION, card_for_certification, card_revoke, request_record_outcome


def on_certification_granted(event: CertificationGranted) -> None:
    from onestop.talents.models import Certificate

    card_class = TIER_TO_CLASS.get(event.tier)
    holder = User.objects.filter(pk=event.talent_user_id).first()
    certificate = Certificate.objects.filter(pk=event.certificate_id).first()
    if card_class is None or holder is None or certificate is None:
        return
    card_for_certification(holder=holder, card_class=card_class, valid_from=certificate.valid_from,
                           valid_until=event.valid_until, certificate=certificate)


def on_certification_revoked(event: CertificationRevoked) -> None:
    card = GreenCard.objects.filter(holder_id=event.talent_user_id, certificate_id=event.certificate_id,
                                    status__in=CURRENT_CARD_STATES).first()
    if card is not None:
        card_revoke(card=card, reason=_("人才认定已撤销：%(r)s") % {"r": event.reason}, actor=None)


def register() -> None:
    certification_events.subscribe(CertificationGranted, on_certification_granted)
    certification_events.subscribe(CertificationRevoked, on_certification_revoked)
    for outcome in (CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.WITHDRAWN, CaseStatus.CANCELLED):
        outcome_handlers.register(GREENCARD_DEFINITION, outcome, request_record_outcome)
