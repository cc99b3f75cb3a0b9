"""Background work (Django Tasks API), enqueued only after the transaction commits."""

from __future__ import annotations

from django_tasks import task


@task()
def snapshot_refresh_task(year: int) -> int:
    """Recompute one year's cached figures (on demand)."""
    from .services import snapshot_refresh

    return snapshot_refresh(year=year).duration_ms


@task()
def snapshots_refresh_task() -> list[int]:
    """Recompute every year's cached figures (from ``targets_tick``, run by ``platform_tick``)."""
    from .services import snapshots_refresh_all

    return snapshots_refresh_all()


@task()
def partials_refresh_task(year: int) -> dict[str, int]:
    """Count again the days of ``year`` marked dirty since the last refresh (asked for by the data endpoint)."""
    from .partials import refresh

    return refresh(year)


@task()
def report_generate_task(report_id: int) -> str:
    from .services import report_generate

    return report_generate(report_id=report_id).status
