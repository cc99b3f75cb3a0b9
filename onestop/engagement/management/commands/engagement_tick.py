"""Escalate 万人助万企 problems whose first reply is overdue (7 working days). Idempotent; schedule it hourly or daily:

    0 8 * * *  cd /srv/onestop && .venv/bin/python manage.py engagement_tick
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from onestop.engagement.services.visits import problems_escalate_overdue


class Command(BaseCommand):
    help = "Escalate 万人助万企 problems without a first reply after their deadline to the department heads."

    def handle(self, *args: Any, **opts: Any) -> None:
        count = problems_escalate_overdue()
        self.stdout.write(f"escalated {count} overdue problem(s)")
