"""Daily: expire cards past their validity. Idempotent; schedule it beside ``workflow_tick``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from onestop.greencards.services import cards_expire


class Command(BaseCommand):
    help = "Expire green cards whose validity has ended."

    def handle(self, *args: Any, **opts: Any) -> None:
        self.stdout.write(f"expired {cards_expire()}")
