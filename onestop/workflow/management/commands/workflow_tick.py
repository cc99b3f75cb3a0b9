"""Run by the scheduler (cron, systemd timer, Kubernetes CronJob), e.g. every hour::

    0 * * * *  cd /srv/onestop && .venv/bin/python manage.py workflow_tick

Sends the working-day-before reminders and escalates overdue tasks. Idempotent: each task is reminded and escalated
once per deadline, however often it runs. ``--enqueue`` hands the work to the task worker instead."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onestop.workflow.services import workflow_tick


class Command(BaseCommand):
    help = "Send deadline reminders and escalate overdue workflow tasks (run hourly by a scheduler)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--today", help="pretend today is YYYY-MM-DD (for testing and catch-up runs)")
        parser.add_argument("--enqueue", action="store_true", help="enqueue the work for the task worker")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["enqueue"]:
            from onestop.workflow.tasks import workflow_tick_task

            result = workflow_tick_task.enqueue()
            self.stdout.write(f"enqueued {result.id}")
            return
        today = None
        if opts["today"]:
            try:
                today = date.fromisoformat(opts["today"])
            except ValueError:
                raise CommandError("--today must be YYYY-MM-DD")
        counts = workflow_tick(today=today)
        self.stdout.write(f"reminded {counts['reminded']}, escalated {counts['escalated']}")
