from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "onestop.workflow"
    label = "workflow"
    verbose_name = _("办件流程")

    def ready(self) -> None:
        # The sample subject's outcome handlers are registered explicitly here, the way every module registers its
        # own in its AppConfig.ready() (see docs/workflow.md). No model signals are involved.
        from . import rulebook_conditions, sample

        sample.register_handlers()
        # Step conditions may be written in the rules engine's language ({"rulebook": {...}}).
        rulebook_conditions.register()
