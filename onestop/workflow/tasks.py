"""Background work of the workflow engine (Django Tasks API). ``manage.py workflow_tick`` runs the same code from a
scheduler (cron); the task form lets a web request or another job enqueue it after a commit."""

from __future__ import annotations

from django_tasks import task

from .services import workflow_tick


@task()
def workflow_tick_task() -> dict[str, int]:
    """Send deadline reminders and escalate overdue tasks. Idempotent."""
    return workflow_tick()


@task()
def send_reminders_task() -> int:
    from .services import tasks_send_reminders

    return tasks_send_reminders()


@task()
def escalate_overdue_task() -> int:
    from .services import tasks_escalate_overdue

    return tasks_escalate_overdue()
