"""Run every module's periodic job once, in dependency order. Cron runs this hourly on one host (`make run` loops it).

Each job is idempotent and catches up on its own; one failing job is reported and does not stop the others.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError

logger = logging.getLogger(__name__)

# (command, what it does) — deadlines first, then the modules that react to them.
TICKS: list[tuple[str, str]] = [
    ("workflow_tick", "reminders the working day before a deadline, escalation of overdue tasks"),
    ("certification_tick", "certificates after publicity; withdrawal of unanswered material requests"),
    ("greencard_tick", "green card expiry"),
    ("housing_tick", "warm-station decisions, no-shows, offer deadlines"),
    ("engagement_tick", "overdue first replies of the enterprise problem ledger"),
    ("targets_tick", "recompute the targets dashboard's cached figures (enqueued for the task worker)"),
    ("retention", "PIPL retention: expired personal data deleted or anonymised, once a day"),
]
ARGS: dict[str, list[str]] = {"retention": ["--if-due"]}


class Command(BaseCommand):
    help = "Run every module's periodic job once (hourly from cron)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--only", nargs="*", help="run only these jobs")

    def handle(self, *args: Any, **opts: Any) -> None:
        available = get_commands()
        failed: list[str] = []
        for name, purpose in TICKS:
            if opts.get("only") and name not in opts["only"]:
                continue
            if name not in available:
                continue
            try:
                call_command(name, *ARGS.get(name, []), verbosity=max(0, opts["verbosity"] - 1))
                if opts["verbosity"] > 0:
                    self.stdout.write(f"{name}: ok ({purpose})")
            except Exception as exc:  # one module's failure must not stop the others
                logger.exception("%s failed", name)
                failed.append(f"{name}: {exc}")
        if failed:
            raise CommandError("; ".join(failed))
