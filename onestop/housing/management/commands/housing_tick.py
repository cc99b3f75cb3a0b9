"""Daily housing housekeeping: no-shows release their beds, overdue offers lapse and go to the next in line.

    30 0 * * *  cd /srv/onestop && .venv/bin/python manage.py housing_tick
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from onestop.housing.services import housing_tick


class Command(BaseCommand):
    help = "Release warm-station no-shows and lapse overdue apartment offers (idempotent)."

    def handle(self, *args: Any, **opts: Any) -> None:
        result = housing_tick()
        self.stdout.write(", ".join(f"{k}={v}" for k, v in result.items()))
