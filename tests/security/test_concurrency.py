"""Concurrency (issue 11 §5): 20 real threads, each with its own signed-in client and database connection, race for
one invariant; exactly the allowed number succeed, the rest get a clean refusal, nobody a server error. Runs on the
file SQLite database of the suite and on PostgreSQL (DATABASE_URL).

Covered here: one claim per task (workflow, through the page every staff member uses) and the funding cap per
employer (employers). Not yet here: one bed per night and one flat per person (housing has its own 20-thread last-bed
race in onestop/housing/tests/test_concurrency.py) and one offer per policy per person (onething)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client

from .world import sign_in

THREADS = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_staff_claim_one_task_one_wins() -> None:
    from onestop.core.tests.factories import DepartmentFactory, StaffFactory, TalentFactory
    from onestop.workflow.choices import EventKind
    from onestop.workflow.definitions import read_spec, shipped_spec_files
    from onestop.workflow.models import Case, CaseEvent, Task
    from onestop.workflow.services import (
        calendar_year_load_package,
        definition_publish,
        service_request_submit,
    )

    office = DepartmentFactory(code="talent_office", name="人才工作领导小组办公室", name_en="Talent Office")
    for code in ("hrss", "exit_entry", "housing"):
        DepartmentFactory(code=code)
    for year in (2024, 2025, 2026):
        calendar_year_load_package(year=year)
    (path,) = [p for p in shipped_spec_files() if p.name == "talent_service.json"]
    definition_publish(spec=read_spec(path))
    request = service_request_submit(applicant=TalentFactory(), kind="housing", title="申请人才公寓")
    case = Case.objects.get(subject_id=request.pk, definition__code="talent_service")
    task = case.tasks.get(department=office)
    clients = [sign_in(Client(), StaffFactory(department=office), otp=True) for _ in range(THREADS)]

    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()

    def claim(client: Client) -> None:
        try:
            barrier.wait(timeout=30)
            response = client.post(f"/workflow/tasks/{task.pk}/claim/", HTTP_HX_REQUEST="true")
            with lock:
                statuses.append(response.status_code)
        except Exception as exc:
            with lock:
                errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert not errors, errors
    assert len(statuses) == THREADS
    assert all(s < 500 for s in statuses), statuses
    claimed = CaseEvent.objects.filter(task=task, kind=EventKind.CLAIMED).count()
    assert claimed == 1, f"{claimed} claims recorded; statuses {sorted(statuses)}"
    assert Task.objects.get(pk=task.pk).assignee_id is not None




def _race(n: int, work: Callable[[int], object]) -> list[object]:
    """Run ``work(i)`` in ``n`` threads released together; each result or the exception it raised."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


@pytest.mark.django_db(transaction=True)
def test_twenty_charges_never_pass_an_employers_funding_cap() -> None:
    """Funding cap per employer and year: 20 concurrent charges of 1 million yuan under a 5 million cap — exactly
    five succeed, fifteen get the business refusal (Conflict), the ledger ends at the cap."""
    from onestop.core.exceptions import ApplicationError
    from onestop.core.tests.factories import EnterpriseFactory
    from onestop.employers.models import FundingLedger
    from onestop.employers.services import funding_ledger_charge

    enterprise = EnterpriseFactory()

    def charge(_i: int) -> str:
        funding_ledger_charge(enterprise_id=enterprise.pk, year=2026, amount_fen=100_000_000, cap_fen=500_000_000)
        return "ok"

    results = _race(THREADS, charge)
    assert results.count("ok") == 5, results
    assert all(isinstance(r, ApplicationError) for r in results if r != "ok"), results
    assert FundingLedger.objects.get(enterprise=enterprise, year=2026).granted_fen == 500_000_000
