"""Concurrent claims of one task: exactly one wins. Real threads with their own connections; on PostgreSQL the case
row lock and the conditional UPDATE decide, on SQLite the IMMEDIATE write lock and the same conditional UPDATE."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from onestop.workflow import services
from onestop.workflow.choices import EventKind, TaskState
from onestop.workflow.errors import TransitionNotAllowed
from onestop.workflow.models import Task

from .conftest import submit, task_of


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("contenders", [2, 4])
def test_concurrent_claims_one_wins(wf, talent, contenders):
    from onestop.core.tests.factories import StaffFactory

    task = task_of(submit(talent), "talent_office_review")
    people = [wf.office, wf.office2] + [StaffFactory(department=task.department) for _ in range(contenders - 2)]
    barrier = threading.Barrier(contenders)
    outcomes: list[str] = []
    lock = threading.Lock()

    def claim(user):
        try:
            mine = Task.objects.get(pk=task.pk)
            barrier.wait(timeout=10)
            services.task_claim(task=mine, actor=user)
            result = "won"
        except TransitionNotAllowed:
            result = "lost"
        except Exception as exc:  # anything else is a failure of the guarantee
            result = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=claim, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sorted(outcomes) == ["lost"] * (contenders - 1) + ["won"]
    task.refresh_from_db()
    assert task.state == TaskState.IN_PROGRESS and task.assignee in people
    assert task.events.filter(kind=EventKind.CLAIMED).count() == 1
