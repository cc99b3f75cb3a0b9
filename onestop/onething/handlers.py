"""How sub-cases report back: workflow outcome handlers for the matters' own definitions and for the registry's
certification case, plus the registry's certification domain events (a certification matter is approved when the
certificate is issued after publicity, and rejected when an objection is upheld during publicity). Explicit
registrations, no signals."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from onestop.core.models import User
from onestop.workflow.choices import CaseStatus, EventKind
from onestop.workflow.handlers import outcome_handlers
from onestop.workflow.models import Case

from .catalogue import catalogue
from .choices import HistoryKind, MatterStatus

OUTCOME_STATUS = {CaseStatus.APPROVED: MatterStatus.APPROVED, CaseStatus.REJECTED: MatterStatus.REJECTED,
                  CaseStatus.WITHDRAWN: MatterStatus.WITHDRAWN, CaseStatus.CANCELLED: MatterStatus.CANCELLED}
CERTIFICATION_DEFINITION = "talent_certification"


def _reason(case: Case) -> str:
    event = case.events.filter(kind=EventKind.CASE_CLOSED).order_by("-id").first()
    return event.reason if event is not None else ""


def on_matter_case_closed(*, case: Case, outcome: str, actor: User | None) -> None:
    from .services import matter_record_outcome, matters_of_cases

    for matter in matters_of_cases([case.pk]):
        matter_record_outcome(matter=matter, status=OUTCOME_STATUS[CaseStatus(outcome)], actor=actor,
                              reason=_reason(case))


def on_certification_case_closed(*, case: Case, outcome: str, actor: User | None) -> None:
    """Review passed → publicity (the matter stays running until the certificate); otherwise the matter ends."""
    from .models import HistoryEntry
    from .services import matter_record_outcome, matters_of_cases

    for matter in matters_of_cases([case.pk]):
        if outcome == CaseStatus.APPROVED:
            HistoryEntry.objects.create(application=matter.application, matter=matter, actor=actor,
                                        kind=HistoryKind.MATTER_DECIDED,
                                        note=_("人才认定审核通过，进入公示；公示期满发证后自动办理后续事项。"))
        else:
            matter_record_outcome(matter=matter, status=OUTCOME_STATUS[CaseStatus(outcome)], actor=actor,
                                  reason=_reason(case))


def on_certification_granted(event: Any) -> None:
    from .services import matter_record_outcome, running_certification_matters

    for matter in running_certification_matters(profile_id=event.profile_id):
        matter_record_outcome(matter=matter, status=MatterStatus.APPROVED, actor=None,
                              reason=_("证书编号 %(n)s，%(t)s 类") % {"n": event.certificate_number, "t": event.tier})


def on_certification_rejected(event: Any) -> None:
    """Publicity ended with an upheld objection: the matter of that application is rejected, its dependents
    cancelled (no staff action needed)."""
    from .services import matter_record_outcome, running_certification_matters

    actor = User.objects.filter(pk=event.actor_id).first() if event.actor_id else None
    for matter in running_certification_matters(profile_id=event.profile_id, application_id=event.application_id):
        matter_record_outcome(matter=matter, status=MatterStatus.REJECTED, actor=actor, reason=event.reason)


def register() -> None:
    from onestop.talents.events import CertificationGranted, CertificationRejected, certification_events

    codes = {m["definition"] for m in catalogue()["matters"]} - {CERTIFICATION_DEFINITION}
    for code in sorted(codes):
        for outcome in OUTCOME_STATUS:
            outcome_handlers.register(code, outcome, on_matter_case_closed)
    for outcome in OUTCOME_STATUS:
        outcome_handlers.register(CERTIFICATION_DEFINITION, outcome, on_certification_case_closed)
    certification_events.subscribe(CertificationGranted, on_certification_granted)
    certification_events.subscribe(CertificationRejected, on_certification_rejected)
