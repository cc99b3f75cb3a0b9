"""How the green card reacts to other modules: named handlers, registered explicitly in ``AppConfig.ready()``.

* workflow: an entitlement request's ``greencard_service`` case closed → the request takes its outcome.
"""

from __future__ import annotations

from onestop.workflow.choices import CaseStatus
from onestop.workflow.handlers import outcome_handlers

from .services import GREENCARD_DEFINITION, request_record_outcome


def register() -> None:
    for outcome in (CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.WITHDRAWN, CaseStatus.CANCELLED):
        outcome_handlers.register(GREENCARD_DEFINITION, outcome, request_record_outcome)
