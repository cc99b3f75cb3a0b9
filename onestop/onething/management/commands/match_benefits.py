"""Run the 免申即享 matching over the whole registry (schedule it nightly; idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onestop.core.exceptions import ApplicationError
from onestop.onething.matching import match_run_create, match_run_execute, match_run_now


class Command(BaseCommand):
    help = "Evaluate every published 免申即享 policy over the registry; grant, offer, flag and list near misses."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--enqueue", action="store_true", help="hand the run to the task worker")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            if opts["enqueue"]:
                run = match_run_now(actor=None, trigger="schedule")
                self.stdout.write(f"run #{run.pk} queued")
                return
            run = match_run_execute(run_id=match_run_create(actor=None, trigger="schedule").pk)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(
            f"run #{run.pk} {run.status}: {run.persons} persons, {run.grants} grants, {run.offers} offers, "
            f"{run.flagged} flagged, {run.near_misses} near misses, {len(run.errors)} errors, "
            f"{run.duration or 0:.2f} s"))
        if run.errors:
            for err in run.errors:
                self.stderr.write(f"{err['policy']}: {err['error']}")
