"""``manage.py retention``: delete or anonymise personal data past its retention period (onestop/core/retention.py).

``--dry-run`` reports what would go, changing nothing; ``--if-due`` queues the run for the task worker if no run is recorded
today (the hourly ``platform_tick`` uses it, so the job runs once a day)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from onestop.core.retention import retention_due, retention_run, rules


class Command(BaseCommand):
    help = "Delete or anonymise personal data past its retention period; --dry-run reports only."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count what would be deleted; change nothing")
        parser.add_argument("--if-due", action="store_true", help="skip if a run is already recorded today")
        parser.add_argument("--batch", type=int, default=500, help="records per transaction")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["if_due"] and not opts["dry_run"]:
            if not retention_due():
                if opts["verbosity"] > 0:
                    self.stdout.write("retention: already ran today")
                return
            from onestop.core.tasks import retention_task

            retention_task.enqueue()  # the worker runs it (django-tasks-db); the task checks it is still due
            if opts["verbosity"] > 0:
                self.stdout.write("retention: queued for the task worker")
            return
        report = retention_run(dry_run=opts["dry_run"], batch=max(1, opts["batch"]))
        if opts["verbosity"] == 0:
            return
        head = "would delete or anonymise" if report.dry_run else "deleted or anonymised"
        self.stdout.write(f"retention ({'dry run' if report.dry_run else 'run'}) at {report.now:%Y-%m-%d %H:%M}")
        for rule in rules():
            self.stdout.write(f"  {rule.key:<30} {rule.period():>5} d  {rule.action:<9} {report.counts[rule.key]:>7}"
                              f"  {rule.label}")
        self.stdout.write(f"{head}: {report.total} records" + ("" if report.dry_run else f", {report.files} files"))
