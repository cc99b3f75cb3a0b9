"""Concurrency (issue 11 §5): 20 real threads, each with its own signed-in client and database connection, race for
one invariant; exactly the allowed number succeed, the rest get a clean refusal, nobody a server error. Runs on the
file SQLite database of the suite and on PostgreSQL (DATABASE_URL).

Covered here: one claim per task (workflow, through the page every staff member uses), the funding cap per employer
(employers), one bed per night and one talent apartment per person (housing: ``stay_book``, ``offer_accept``), and one
offer per policy per person (onething: concurrent matching runs through ``match_policy``)."""

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


@pytest.mark.django_db(transaction=True)
def test_twenty_guests_book_the_last_bed_for_a_night_one_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    """One bed per night (housing): one bed of two is taken; 20 graduates book the other for the same nights through
    ``stay_book`` — exactly one gets it, nineteen get BedUnavailable, the night holds two bed-nights."""
    from datetime import timedelta

    from onestop.core.exceptions import ApplicationError
    from onestop.housing import rules, services
    from onestop.housing.choices import RuleSetKind
    from onestop.housing.errors import BedUnavailable
    from onestop.housing.models import BedNight, StayBooking
    from onestop.housing.tests.conftest import TODAY, graduate, make_station

    monkeypatch.setattr("onestop.workflow.calendar.today", lambda: TODAY)
    station = make_station(beds=2, code="sec-race")
    check_in = TODAY + timedelta(days=3)
    services.stay_book(guest=graduate(), station=station, check_in=check_in, nights=2)
    for kind in RuleSetKind:
        rules.active(kind)  # loaded before the race
    people = [graduate() for _ in range(THREADS)]

    def book(i: int) -> str:
        services.stay_book(guest=people[i], station=station, check_in=check_in, nights=2)
        return "ok"

    results = _race(THREADS, book)
    assert results.count("ok") == 1, results
    assert all(isinstance(r, BedUnavailable) for r in results if r != "ok"), results
    assert all(isinstance(r, ApplicationError) for r in results if r != "ok")
    assert BedNight.objects.filter(night=check_in).count() == 2
    assert BedNight.objects.filter(night=check_in + timedelta(days=1)).count() == 2
    assert StayBooking.objects.filter(guest__in=people).count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_person_accepts_twenty_apartment_offers_at_once_one_lease(monkeypatch: pytest.MonkeyPatch) -> None:
    """One talent apartment per person (housing): one person holds open offers for 20 units in 20 rounds and accepts
    them all at once through ``offer_accept`` — exactly one lease, nineteen Conflicts (the partial unique constraint
    on active leases per tenant), every other offer still open."""
    from datetime import timedelta

    from onestop.core.exceptions import Conflict
    from onestop.core.tests.factories import DepartmentFactory, StaffFactory
    from onestop.housing import rules, services
    from onestop.housing.choices import ApplicationStatus, LeaseStatus, OfferStatus, RuleSetKind
    from onestop.housing.models import Application, Lease, Offer
    from onestop.housing.tests.conftest import TODAY, employed, make_units

    monkeypatch.setattr("onestop.workflow.calendar.today", lambda: TODAY)
    desk = StaffFactory(department=DepartmentFactory(code="housing", name="住房和城乡建设局", name_en="Housing"))
    for kind in RuleSetKind:
        rules.active(kind)
    tenant = employed()
    offers = []
    for i, unit in enumerate(make_units(THREADS, project_code="sec-apt")):
        rnd = services.round_create(actor=desk, code=f"sec-{i:02d}", title=f"第{i}批", opens_on=TODAY,
                                    closes_on=TODAY + timedelta(days=7), unit_ids=[unit.pk])
        app = Application.objects.create(round=rnd, applicant=tenant, code=f"HSEC{i:04d}",
                                         status=ApplicationStatus.OFFERED)
        offers.append(Offer.objects.create(application=app, unit=unit, deadline=TODAY + timedelta(days=7)))

    def accept(i: int) -> str:
        services.offer_accept(offer=offers[i], actor=tenant, today=TODAY)
        return "ok"

    results = _race(THREADS, accept)
    assert results.count("ok") == 1, results
    assert all(isinstance(r, Conflict) for r in results if r != "ok"), results
    assert Lease.objects.filter(tenant=tenant, status=LeaseStatus.ACTIVE).count() == 1
    assert Offer.objects.filter(application__applicant=tenant, status=OfferStatus.ACCEPTED).count() == 1
    assert Offer.objects.filter(application__applicant=tenant, status=OfferStatus.OPEN).count() == THREADS - 1


@pytest.mark.django_db(transaction=True)
def test_twenty_matching_runs_grant_one_policy_to_one_person_once() -> None:
    """One offer per policy per person (onething): 20 matching runs evaluate the same 免申即享 grant policy for the
    same eligible talent, each from a snapshot taken before any of them wrote (``match_policy`` with no existing
    offers) — exactly one inserts the grant, the other nineteen count zero (the unique constraint and ON CONFLICT /
    INSERT OR IGNORE), nobody fails, one offer row remains."""
    import polars as pl
    from django.db import transaction

    from onestop.onething.choices import BenefitMode, RunStatus
    from onestop.onething.facts_io import registry_facts_frame
    from onestop.onething.matching import benefit_policies, match_policy
    from onestop.onething.models import BenefitOffer, BenefitSetting, MatchRun
    from onestop.onething.tests.conftest import TODAY, make_talent
    from onestop.policies.models import Policy
    from onestop.policies.services import policy_load_package

    policy_load_package()
    BenefitSetting.objects.update_or_create(policy=Policy.objects.get(code="young-graduate-allowance"),
                                            defaults={"mode": BenefitMode.GRANT})
    _user, profile = make_talent()
    (version, mode), = [(v, m) for v, m in benefit_policies(as_of=TODAY) if m == BenefitMode.GRANT]
    facts = registry_facts_frame(as_of=TODAY)
    assert len(facts) == 1
    runs = [MatchRun.objects.create(as_of=TODAY, status=RunStatus.DONE, is_active=False) for _ in range(THREADS)]
    stale = pl.DataFrame({"policy_id": [], "person_id": [], "flagged": []},
                         schema={"policy_id": pl.Int64, "person_id": pl.Int64, "flagged": pl.Boolean})

    def grant(i: int) -> int:
        with transaction.atomic():
            return match_policy(run=runs[i], version=version, mode=mode, facts=facts, as_of=TODAY,
                                existing=stale)["grants"]

    results = _race(THREADS, grant)
    assert sorted(results, key=repr) == [0] * (THREADS - 1) + [1], results
    assert BenefitOffer.objects.filter(policy_id=version.policy_id, profile=profile).count() == 1
