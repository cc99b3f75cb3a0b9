"""Recompute the cached dashboard figures of every year with targets (hourly from ``platform_tick``).

Enqueues the task for the worker; ``--now`` computes in this process instead (cron without a worker, or a check)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Recompute the cached figures of the targets dashboard."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--now", action="store_true", help="compute here instead of enqueuing the task")

    def handle(self, *args: Any, **opts: Any) -> None:
        from onestop.targets.services import snapshots_refresh_all
        from onestop.targets.tasks import snapshots_refresh_task

        if opts["now"]:
            years = snapshots_refresh_all()
            if opts["verbosity"] > 0:
                self.stdout.write(f"targets: figures recomputed for {years}")
            return
        snapshots_refresh_task.enqueue()
        if opts["verbosity"] > 0:
            self.stdout.write("targets: recomputation enqueued")
