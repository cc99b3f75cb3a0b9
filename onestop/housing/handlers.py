"""How housing reacts to the certification (talents.events), registered explicitly in ``AppConfig.ready()``:

* ``CertificationGranted`` on the medical-science-city track → a gifted-housing entitlement (area from the rule set);
* ``CertificationRevoked`` → the talent's active apartment lease is flagged for review and a gifted-housing
  entitlement of that certificate goes to review. Both run inside the certification's transaction.
"""

from __future__ import annotations

from onestop.core.models import User
from onestop.talents.choices import CertTrack
from onestop.talents.events import CertificationGranted, CertificationRevoked, certification_events

from .services import gift_entitle, gifts_flag_for_revocation, leases_flag_for_revocation


def on_certification_granted(event: CertificationGranted) -> None:
    if event.track != CertTrack.MEDICAL:
        return
    holder = User.objects.filter(pk=event.talent_user_id).first()
    if holder is not None:
        gift_entitle(holder=holder, certificate_number=event.certificate_number, medical_class=event.tier)


def on_certification_revoked(event: CertificationRevoked) -> None:
    leases_flag_for_revocation(talent_user_id=event.talent_user_id, certificate_number=event.certificate_number,
                               reason=event.reason)
    gifts_flag_for_revocation(certificate_number=event.certificate_number, reason=event.reason)


def register() -> None:
    certification_events.subscribe(CertificationGranted, on_certification_granted)
    certification_events.subscribe(CertificationRevoked, on_certification_revoked)
