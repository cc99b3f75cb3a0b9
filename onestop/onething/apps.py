from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OneThingConfig(AppConfig):
    name = "onestop.onething"
    label = "onething"
    verbose_name = _("人才一件事与免申即享")

    def ready(self) -> None:
        # Sub-cases report their outcome through explicit workflow outcome handlers (no signals).
        from . import handlers

        handlers.register()
