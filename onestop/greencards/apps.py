from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GreenCardsConfig(AppConfig):
    name = "onestop.greencards"
    label = "greencards"
    verbose_name = _("人才绿卡")

    def ready(self) -> None:
        # Explicit registrations, no model signals: the workflow tells us how an entitlement request's case ended.
        from . import handlers

        handlers.register()
