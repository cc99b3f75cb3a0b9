from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _partials_guard(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """After every ``migrate``: if a dirty-day trigger is missing (on SQLite a migration that rebuilds a table drops
    its triggers), the stored day partials can no longer be trusted — forget them; the dashboard then counts every
    record until the triggers are back and the next refresh counts the days again (ADR 0009)."""
    from django.db import connections

    from . import partials

    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        return
    if "targets_partialcoverage" not in connection.introspection.table_names():
        return
    if not partials.expected_triggers() <= partials.installed_triggers():
        partials.reset()


class TargetsConfig(AppConfig):
    name = "onestop.targets"
    label = "targets"
    verbose_name = _("年度目标与数据看板")

    def ready(self) -> None:
        post_migrate.connect(_partials_guard, sender=self, dispatch_uid="targets_partials_guard")
