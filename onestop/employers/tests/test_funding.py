"""Employer funding: amount from the rule set, review on the workflow, the annual cap held by the database even
under 20 concurrent approvals, payments never above the approved amount."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection

from onestop.core.exceptions import Conflict, NotFound, ValidationFailed
from onestop.core.tests.factories import TalentFactory
from onestop.employers import services
from onestop.employers.models import FundingApplication, FundingLedger, FundingPayment
from onestop.workflow.models import Case, Task

from .conftest import certify

STATEMENT = "该人才由本单位于 2024 年全职引进，担任研发中心负责人。"


def _task(application: FundingApplication) -> Task:
    case = Case.objects.get(subject_id=application.pk, definition__code="employer_funding")
    return case.tasks.select_related("step", "case").get()


@pytest.fixture
def funding(org, funding_policy, funding_workflow):
    return org


def test_amount_and_cap_come_from_the_published_rule_set(funding):
    quote = services.funding_quote(enterprise=funding.ours, as_of=date.today())
    assert quote.amount_fen == 100_000_000          # 示例值 per talent in the package
    assert quote.cap_fen == 500_000_000             # 5,000,000 yuan, the 2024 package
    assert "郑港人才〔2024〕2号" in quote.reference


def test_apply_then_office_approves_charges_the_ledger_and_payments_close_it(funding):
    from onestop.workflow.services import task_approve

    cert = certify(funding.talents[0].talent_profile)
    application = services.funding_apply(actor=funding.hr, enterprise=funding.ours, certificate_id=cert.pk,
                                         statement=STATEMENT)
    assert application.status == "review" and application.amount_fen == 100_000_000
    task_approve(task=_task(application), actor=funding.office)
    application.refresh_from_db()
    assert application.status == "approved"
    ledger = FundingLedger.objects.get(enterprise=funding.ours, year=application.year)
    assert ledger.granted_fen == 100_000_000 and ledger.cap_fen == 500_000_000
    services.funding_payment_record(actor=funding.office, application=application, amount_fen=60_000_000,
                                    paid_on=date.today(), voucher_no="PZ-1")
    with pytest.raises(Conflict) as exc:
        services.funding_payment_record(actor=funding.office, application=application, amount_fen=60_000_000,
                                        paid_on=date.today(), voucher_no="PZ-2")
    assert "累计拨付不能超过核定金额" in exc.value.field_errors["amount"][0]
    assert FundingPayment.objects.count() == 1
    services.funding_payment_record(actor=funding.office, application=application, amount_fen=40_000_000,
                                    paid_on=date.today(), voucher_no="PZ-3")
    application.refresh_from_db()
    assert application.status == "paid" and application.paid_fen == application.amount_fen


def test_bad_input_names_every_field_and_saves_nothing(funding):
    other = TalentFactory()  # not our employee
    cert = certify(other.talent_profile)
    with pytest.raises(ValidationFailed) as exc:
        services.funding_apply(actor=funding.admin, enterprise=funding.ours, certificate_id=cert.pk, statement="短")
    assert set(exc.value.field_errors) == {"certificate", "statement"}
    assert exc.value.field_errors["certificate"][0].startswith("人才认定证书：")
    assert FundingApplication.objects.count() == 0 and Case.objects.count() == 0


def test_one_application_per_talent(funding):
    cert = certify(funding.talents[0].talent_profile)
    services.funding_apply(actor=funding.admin, enterprise=funding.ours, certificate_id=cert.pk, statement=STATEMENT)
    with pytest.raises(ValidationFailed):
        services.funding_apply(actor=funding.admin, enterprise=funding.ours, certificate_id=cert.pk,
                               statement=STATEMENT)
    assert FundingApplication.objects.count() == 1


def test_an_employer_cannot_apply_for_another_enterprise(funding):
    cert = certify(funding.talents[0].talent_profile)
    with pytest.raises(NotFound):
        services.funding_apply(actor=funding.other_admin, enterprise=funding.ours, certificate_id=cert.pk,
                               statement=STATEMENT)


def test_the_cap_refuses_the_sixth_approval_and_rolls_the_decision_back(funding):
    from onestop.workflow.services import task_approve

    apps = []
    for _i in range(6):
        t = TalentFactory()
        t.talent_profile.employer = funding.ours
        t.talent_profile.save()
        cert = certify(t.talent_profile)
        apps.append(services.funding_apply(actor=funding.admin, enterprise=funding.ours, certificate_id=cert.pk,
                                           statement=STATEMENT))
    for app in apps[:5]:
        task_approve(task=_task(app), actor=funding.office)
    with pytest.raises(Conflict) as exc:
        task_approve(task=_task(apps[5]), actor=funding.office)
    assert "超过年度上限" in exc.value.message
    apps[5].refresh_from_db()
    assert apps[5].status == "review"
    assert _task(apps[5]).state in ("pending", "in_progress")  # the approval itself was rolled back
    assert FundingLedger.objects.get(enterprise=funding.ours).granted_fen == 500_000_000


def _run_in_threads(n: int, work) -> list[object]:  # type: ignore[no-untyped-def]
    results: list[object] = [None] * n
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_ledger_charges_never_pass_the_cap(org):
    def charge(i: int) -> str:
        services.funding_ledger_charge(enterprise_id=org.ours.pk, year=2026, amount_fen=100_000_000,
                                       cap_fen=500_000_000)
        return "ok"

    results = _run_in_threads(20, charge)
    assert results.count("ok") == 5
    assert all(isinstance(r, Conflict) for r in results if r != "ok"), results
    assert FundingLedger.objects.get(enterprise=org.ours, year=2026).granted_fen == 500_000_000


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_approvals_through_the_workflow_never_pass_the_cap(org, funding_policy, funding_workflow):
    from onestop.workflow.services import task_approve

    tasks = []
    for _i in range(20):
        t = TalentFactory()
        t.talent_profile.employer = org.ours
        t.talent_profile.save()
        cert = certify(t.talent_profile)
        app = services.funding_apply(actor=org.admin, enterprise=org.ours, certificate_id=cert.pk,
                                     statement=STATEMENT)
        tasks.append(_task(app))

    results = _run_in_threads(20, lambda i: task_approve(task=tasks[i], actor=org.office))
    approved = [r for r in results if isinstance(r, Task)]
    assert len(approved) == 5, results
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, Task)), results
    assert FundingApplication.objects.filter(status="approved").count() == 5
    assert FundingLedger.objects.get(enterprise=org.ours).granted_fen == 500_000_000


def test_payments_only_by_the_talent_office(funding):
    from onestop.workflow.services import task_approve

    cert = certify(funding.talents[0].talent_profile)
    application = services.funding_apply(actor=funding.admin, enterprise=funding.ours, certificate_id=cert.pk,
                                         statement=STATEMENT)
    task_approve(task=_task(application), actor=funding.office)
    for outsider in (funding.housing, funding.admin):
        with pytest.raises(NotFound):
            services.funding_payment_record(actor=outsider, application=application, amount_fen=1,
                                            paid_on=date.today(), voucher_no="X")
