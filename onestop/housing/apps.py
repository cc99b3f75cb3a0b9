from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HousingConfig(AppConfig):
    name = "onestop.housing"
    label = "housing"
    verbose_name = _("人才住房")

    def ready(self) -> None:
        # Explicit subscriptions to the certification's domain events; no model signals.
        from . import handlers

        handlers.register()
