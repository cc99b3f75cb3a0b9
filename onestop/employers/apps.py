from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmployersConfig(AppConfig):
    name = "onestop.employers"
    label = "employers"
    verbose_name = _("用人单位")

    def ready(self) -> None:
        from onestop.workflow.choices import CaseStatus
        from onestop.workflow.handlers import outcome_handlers

        from . import services

        outcome_handlers.register(services.FUNDING_DEFINITION, CaseStatus.APPROVED, services.on_funding_approved)
        for outcome in (CaseStatus.REJECTED, CaseStatus.WITHDRAWN, CaseStatus.CANCELLED):
            outcome_handlers.register(services.FUNDING_DEFINITION, outcome, services.on_funding_ended)
