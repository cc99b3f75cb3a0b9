from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "onestop.core"
    label = "core"
    verbose_name = _("平台核心")

    def ready(self) -> None:
        from . import auth  # noqa: F401  (connects the login audit receivers)
