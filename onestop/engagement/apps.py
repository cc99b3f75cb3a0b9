from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngagementConfig(AppConfig):
    name = "onestop.engagement"
    label = "engagement"
    verbose_name = _("活动、需求榜与万人助万企")

    def ready(self) -> None:
        from onestop.workflow.choices import CaseStatus
        from onestop.workflow.handlers import outcome_handlers

        from .services import visits

        outcome_handlers.register(visits.PROBLEM_DEFINITION, CaseStatus.APPROVED, visits.on_problem_case_done)
        for outcome in (CaseStatus.REJECTED, CaseStatus.WITHDRAWN, CaseStatus.CANCELLED):
            outcome_handlers.register(visits.PROBLEM_DEFINITION, outcome, visits.on_problem_case_ended)
