from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TalentsConfig(AppConfig):
    name = "onestop.talents"
    label = "talents"
    verbose_name = _("人才")

    def ready(self) -> None:
        # Certification reacts to the end of its workflow cases through explicit outcome handlers (no signals).
        from . import certification

        certification.register_handlers()
