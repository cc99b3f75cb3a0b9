"""免申即享: grants and offers from the whole registry, idempotent reruns (a DB constraint), people who stop being
eligible flagged not dropped, near misses with the missing condition, run records, and the fast facts reader."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from django.db import IntegrityError

from onestop.core.exceptions import Conflict, NotFound
from onestop.core.models import Notification
from onestop.policies.models import Policy
from onestop.talents.facts import registry_frame
from onestop.talents.models import (
    Certificate,
    CertificationApplication,
    EducationRecord,
    Employment,
    FamilyMember,
    HomeOwnership,
    Qualification,
    SocialInsuranceMonth,
    TalentProfile,
)

from .. import services
from ..choices import BenefitMode, OfferStatus, RunStatus
from ..facts_io import registry_facts_frame
from ..matching import match_run_create, match_run_execute
from ..models import BenefitOffer, BenefitSetting, NearMiss
from .conftest import make_talent


def _mode(code: str, mode: str) -> None:
    BenefitSetting.objects.update_or_create(policy=Policy.objects.get(code=code), defaults={"mode": mode})


def _run():
    return match_run_execute(run_id=match_run_create(actor=None).pk)


@pytest.fixture
def registry(zone):
    _mode("young-graduate-allowance", BenefitMode.GRANT)
    _mode("talent-hukou", BenefitMode.OFFER)
    eligible, _p = make_talent()                    # allowance and hukou
    short, _p = make_talent(months=4)               # allowance: one condition short (insurance months)
    settled, _p = make_talent(hukou="zone")         # allowance only (already registered in the zone)
    return {"eligible": eligible, "short": short, "settled": settled}


def test_a_run_grants_offers_lists_near_misses_and_records_itself(registry, zone, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = _run()
    assert run.status == RunStatus.DONE and run.errors == []
    assert run.persons == 3 and run.policies_total == 2 and run.progress == 100
    assert run.grants == 2 and run.offers == 2
    assert run.started_at and run.finished_at and run.duration is not None
    allowance = Policy.objects.get(code="young-graduate-allowance")
    granted = BenefitOffer.objects.get(policy=allowance, profile__user=registry["eligible"])
    assert granted.status == OfferStatus.GRANTED and granted.rules == ["living_allowance"]
    assert granted.amount_fen > 0
    near = NearMiss.objects.get(run=run, policy=allowance)
    assert near.profile.user == registry["short"] and "社保" in near.condition
    # notifications went out after commit, once per offer
    assert Notification.objects.filter(recipient=registry["eligible"], title__contains="免申即享").count() == 2


def test_reruns_are_idempotent_and_the_constraint_forbids_duplicates(registry):
    _run()
    before = sorted(BenefitOffer.objects.values_list("policy_id", "profile_id", "status"))
    second = _run()
    assert second.grants == 0 and second.offers == 0 and second.flagged == 0
    assert sorted(BenefitOffer.objects.values_list("policy_id", "profile_id", "status")) == before
    offer = BenefitOffer.objects.first()
    with pytest.raises(IntegrityError):
        BenefitOffer.objects.create(policy=offer.policy, profile=offer.profile, status=OfferStatus.OFFERED)


def test_an_offer_written_behind_the_runs_back_is_skipped_and_not_counted(registry):
    """A writer that inserts offers after the run read them (stale snapshot): the insert skips the conflicting rows and
    the run record counts only the rows actually inserted."""
    from ..matching import benefit_policies, match_policy

    first = _run()
    before = BenefitOffer.objects.count()
    run = match_run_create(actor=None)
    version, mode = next((v, m) for v, m in benefit_policies(as_of=run.as_of) if m == BenefitMode.GRANT)
    stale = pl.DataFrame({"policy_id": [], "person_id": [], "flagged": []},
                         schema={"policy_id": pl.Int64, "person_id": pl.Int64, "flagged": pl.Boolean})
    counts = match_policy(run=run, version=version, mode=mode, facts=registry_facts_frame(as_of=run.as_of),
                          as_of=run.as_of, existing=stale)
    assert first.grants == 2 and counts["grants"] == 0 and counts["offers"] == 0
    assert BenefitOffer.objects.count() == before


def test_who_stops_being_eligible_is_flagged_not_dropped_and_unflagged_when_back(registry):
    _run()
    profile = TalentProfile.objects.get(user=registry["eligible"])
    employer = profile.employer
    TalentProfile.objects.filter(pk=profile.pk).update(employer=None)
    run = _run()
    assert run.flagged == 2
    offers = BenefitOffer.objects.filter(profile=profile)
    assert offers.count() == 2 and all(o.ineligible_since is not None for o in offers)
    TalentProfile.objects.filter(pk=profile.pk).update(employer=employer)
    _run()
    assert all(o.ineligible_since is None for o in BenefitOffer.objects.filter(profile=profile))


def test_one_click_accept_and_scoping(registry):
    _run()
    offer = BenefitOffer.objects.get(profile__user=registry["eligible"], status=OfferStatus.OFFERED)
    with pytest.raises(NotFound):
        services.offer_accept(offer_id=offer.pk, actor=registry["short"])
    accepted = services.offer_accept(offer_id=offer.pk, actor=registry["eligible"])
    assert accepted.status == OfferStatus.ACCEPTED
    with pytest.raises(Exception, match="已确认"):
        services.offer_accept(offer_id=offer.pk, actor=registry["eligible"])


def test_one_active_run_at_a_time(registry):
    match_run_create(actor=None)
    with pytest.raises(Conflict):
        match_run_create(actor=None)


def test_a_failing_policy_is_recorded_and_the_others_go_on(registry, monkeypatch):
    from .. import matching

    real = matching.policy_evaluate

    def flaky(**kw):
        if kw["version"].policy.code == "talent-hukou":
            raise RuntimeError("boom")
        return real(**kw)

    monkeypatch.setattr(matching, "policy_evaluate", flaky)
    run = _run()
    assert run.status == RunStatus.DONE and run.grants == 2 and run.policies_done == 2
    assert run.errors == [{"policy": "talent-hukou", "error": "RuntimeError: boom"}]


def test_a_policy_whose_writes_fail_leaves_nothing_half_written(registry, monkeypatch):
    """The offers, flags and near misses of a policy commit together with its progress, or not at all."""
    from .. import matching

    real = matching.policy_persist
    allowance = Policy.objects.get(code="young-graduate-allowance")

    def flaky(*, run, outcome):
        counts = real(run=run, outcome=outcome)
        if outcome.policy_id == allowance.pk:
            raise RuntimeError("disk full")
        return counts

    monkeypatch.setattr(matching, "policy_persist", flaky)
    run = _run()
    assert run.status == RunStatus.DONE and run.grants == 0 and run.offers == 2 and run.policies_done == 2
    assert run.errors == [{"policy": "young-graduate-allowance", "error": "RuntimeError: disk full"}]
    assert not BenefitOffer.objects.filter(policy=allowance).exists()
    assert not NearMiss.objects.filter(policy=allowance).exists()
    monkeypatch.setattr(matching, "policy_persist", real)
    assert _run().grants == 2   # the next run makes up for it


def test_heads_mark_only_their_own_departments_policies(zone):
    policy = Policy.objects.get(code="young-graduate-allowance")   # hrss
    services.benefit_setting_set(policy=policy, actor=zone.heads["hrss"], mode=BenefitMode.OFFER)
    assert BenefitSetting.objects.get(policy=policy).mode == BenefitMode.OFFER
    with pytest.raises(NotFound):
        services.benefit_setting_set(policy=policy, actor=zone.heads["housing"], mode=BenefitMode.GRANT)
    with pytest.raises(NotFound):
        services.benefit_setting_set(policy=policy, actor=zone.staff["hrss"], mode=BenefitMode.GRANT)


def test_the_fast_reader_agrees_with_the_registry_frame(zone):
    # given a varied registry
    make_talent()
    make_talent(employed=False, months=0, hukou="")
    _u, profile = make_talent(hukou="zone")
    TalentProfile.objects.filter(pk=profile.pk).update(nationality="德国", skill_level="technician", industry="aerospace",
                                                        job_seeking=True, education="", birth_date=date(1962, 5, 4))
    EducationRecord.objects.create(profile=profile, level="doctor", school="TU", country="德国",
                                   graduation_date=date(2020, 6, 1), verified=True)
    EducationRecord.objects.create(profile=profile, level="postdoc", school="X", graduation_date=date(2022, 6, 1))
    Qualification.objects.create(profile=profile, kind="honour", name="国家杰青")
    Qualification.objects.create(profile=profile, kind="title", name="教授", title_level="senior")
    Employment.objects.create(profile=profile, enterprise=profile.employer, start_date=date(2023, 1, 1),
                              contract_type="flexible", monthly_salary_fen=3_000_000)
    HomeOwnership.objects.create(profile=profile, city="郑州市")
    FamilyMember.objects.create(profile=profile, relation="spouse", name="配偶")
    FamilyMember.objects.create(profile=profile, relation="child", name="孩子")
    app = CertificationApplication.objects.create(profile=profile, applied_by=profile.user, claimed_tier="B",
                                                  status="certified")
    Certificate.objects.create(application=app, profile=profile, number="C1", track="standard", tier="B",
                               valid_from=date(2024, 1, 1), valid_until=date(2029, 1, 1))
    SocialInsuranceMonth.objects.create(profile=profile, month=date(2030, 1, 1))  # after as_of: not counted
    as_of = date(2024, 9, 23)
    # then both readers give the same facts
    reference = registry_frame(as_of=as_of).drop("tier_group", "industry_group")
    fast = registry_facts_frame(as_of=as_of)
    assert fast.columns == reference.columns
    assert fast.to_dicts() == reference.to_dicts()
    assert fast.filter(pl.col("person_id") == profile.pk)["certified_tier"].to_list() == ["B"]


@pytest.mark.django_db(transaction=True)
def test_reading_and_writing_on_worker_connections_gives_the_same_run(registry, settings, monkeypatch):
    """On PostgreSQL a run outside a transaction reads in one exported snapshot on several connections and writes on
    writer threads; it must give exactly what one connection gives (on SQLite both are the one-connection path)."""
    import threading

    from django.db import connection

    from .. import facts_io, matching

    threads = set()

    def spy(module, name):
        real = getattr(module, name)

        def wrapper(*args, **kwargs):
            threads.add((name, threading.current_thread().name.split("_")[0]))
            return real(*args, **kwargs)
        monkeypatch.setattr(module, name, wrapper)

    spy(facts_io, "_read_in_snapshot")
    spy(matching, "_persist_on_own_connection")
    def state(run):
        offers = sorted(BenefitOffer.objects.values_list("policy_id", "profile_id", "status", "rules", "amount_fen"))
        near = sorted(NearMiss.objects.filter(run=run).values_list("policy_id", "profile_id", "rule_id", "condition"))
        return offers, near

    settings.ONETHING_READ_CONNECTIONS, settings.ONETHING_WRITE_CONNECTIONS = 1, 1
    single = _run()
    expected = state(single)
    assert not threads
    BenefitOffer.objects.all().delete()
    settings.ONETHING_READ_CONNECTIONS, settings.ONETHING_WRITE_CONNECTIONS = 3, 2
    as_of = date(2024, 9, 23)
    assert registry_facts_frame(as_of=as_of).equals(registry_frame(as_of=as_of).drop("tier_group", "industry_group"))
    threaded = _run()
    assert state(threaded) == expected
    assert threads == ({("_read_in_snapshot", "facts-read"), ("_persist_on_own_connection", "match-write")}
                       if connection.vendor == "postgresql" else set())
    assert [(r.grants, r.offers, r.near_misses, r.policies_done, r.errors) for r in (single, threaded)] == \
        [(2, 2, 2, 2, [])] * 2
    rerun = _run()
    assert (rerun.grants, rerun.offers, rerun.flagged) == (0, 0, 0) and state(rerun) == expected


def test_the_libpq_copy_reader_reports_errors_and_leaves_the_connection_usable(zone):
    """PostgreSQL only: an error before or in the middle of the COPY stream raises, and the savepoint rolls back on a
    connection that is ready for the next command."""
    from django.db import DatabaseError, connection, transaction

    from ..facts_io import copy_out

    if connection.vendor != "postgresql":
        pytest.skip("COPY reader of PostgreSQL")
    for sql in ("SELECT 1/0", "SELECT 10/(g - 3) FROM generate_series(1, 5) g"):
        with pytest.raises(DatabaseError, match="division by zero"), transaction.atomic():
            copy_out(sql)
        assert bytes(copy_out("SELECT g, 'a,b' FROM generate_series(1, 3) g")) == b'1,"a,b"\n2,"a,b"\n3,"a,b"\n'
    assert TalentProfile.objects.count() == 0
