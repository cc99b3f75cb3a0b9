"""Run by the scheduler next to ``workflow_tick`` (``make run`` runs both every 15 minutes; production: hourly)::

    0 * * * *  cd /srv/onestop && .venv/bin/python manage.py certification_tick

Issues the certificates of publicity periods that have ended without an open objection, and withdraws applications
whose request for more material passed its deadline unanswered. Idempotent: a second run the same day does nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onestop.talents.certification import certification_tick


class Command(BaseCommand):
    help = "Close ended certification publicity periods and expire unanswered material requests (run by a scheduler)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--today", help="pretend today is YYYY-MM-DD (for testing and catch-up runs)")

    def handle(self, *args: Any, **opts: Any) -> None:
        today = None
        if opts["today"]:
            try:
                today = date.fromisoformat(opts["today"])
            except ValueError:
                raise CommandError("--today must be YYYY-MM-DD")
        counts = certification_tick(today=today)
        self.stdout.write(f"issued {counts['issued']}, material expired {counts['material_expired']}")
