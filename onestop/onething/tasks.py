"""Background work (Django Tasks API), enqueued only after the transaction commits."""

from __future__ import annotations

from django_tasks import task


@task()
def match_run_task(run_id: int) -> int:
    """Execute a queued 免申即享 matching run."""
    from .matching import match_run_execute

    return match_run_execute(run_id=run_id).pk


@task()
def benefit_notify_task() -> int:
    from .services import benefit_offers_notify

    return benefit_offers_notify()
