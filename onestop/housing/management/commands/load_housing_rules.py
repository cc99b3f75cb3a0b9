"""Load the shipped housing rule sets (onestop/housing/rulesets/*.json). Idempotent: an unchanged file is left alone,
a changed one becomes a new active version (running rounds keep theirs)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onestop.core.exceptions import ValidationFailed
from onestop.housing.rules import rulesets_load_shipped
from onestop.workflow import calendar as wd


class Command(BaseCommand):
    help = "Validate and load the housing rule sets."

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            loaded = rulesets_load_shipped(as_of=wd.today())
        except ValidationFailed as exc:
            raise CommandError("; ".join(m for ms in exc.field_errors.values() for m in ms))
        for rule_set, changed in loaded:
            self.stdout.write(f"{rule_set.code} v{rule_set.version}: {'loaded' if changed else 'unchanged'}")
