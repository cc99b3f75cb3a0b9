"""The figures from stored day partials equal a pure recount of the records (measures.monthly, the reference) after
any sequence of writes — back-dated, indirect (a profile's education, a denial, a postdoc record), deletions, bulk —
with or without a refresh in between; the triggers that mark days dirty are all installed; a mark written while a
refresh counts survives it."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onestop.targets import figures, measures, partials
from onestop.targets.models import DayPartial, DirtyDay, PartialCoverage

from .conftest import EXPECTED, TODAY

pytestmark = pytest.mark.django_db
KEYS = list(measures.MEASURES)


def _same(as_of: date = TODAY) -> None:
    fast = partials.monthly(KEYS, 2024, as_of)
    assert fast is not None, "no partials stored"
    reference = measures.monthly(KEYS, 2024, as_of)
    for key in KEYS:
        assert (fast[key].a, fast[key].b) == (reference[key].a, reference[key].b), (key, as_of)


def _marked(source: str) -> set[date]:
    return set(DirtyDay.objects.filter(source=source).values_list("day", flat=True))


def test_every_trigger_is_installed(db):
    assert partials.expected_triggers() <= partials.installed_triggers()


def test_a_missing_trigger_voids_the_stored_partials(world):
    from onestop.targets.apps import _partials_guard

    partials.refresh(2024, today=TODAY)
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER workflow_task_dirty_upd" + (" ON workflow_task" if connection.vendor == "postgresql"
                                                                  else ""))
    _partials_guard(sender=None)
    assert not PartialCoverage.objects.exists()
    assert partials.refresh(2024, today=TODAY) == {}  # nor stored again while the trigger is missing
    assert partials.monthly(KEYS, 2024, TODAY) is None


def test_the_figures_from_partials_equal_the_hand_computed_values(world):
    counted = partials.refresh(2024, today=TODAY)
    assert counted["employment"] == (TODAY - date(2024, 1, 1)).days  # 1 January to the day before today
    assert PartialCoverage.objects.filter(year=2024).count() == len({m.source for m in measures.MEASURES.values()})
    assert not DirtyDay.objects.filter(day__gte=date(2024, 1, 2), day__lt=TODAY - timedelta(days=1)).exists()
    data = figures.compute(2024, TODAY)
    assert {t["code"]: t["value"] for t in data["targets"] if t["code"] in EXPECTED} == EXPECTED
    for as_of in (TODAY, date(2024, 3, 31), date(2024, 1, 1), date(2024, 12, 31)):
        _same(as_of)


def test_with_nothing_changed_only_today_is_counted_live(world):
    partials.refresh(2024, today=TODAY)
    with CaptureQueriesContext(connection) as ctx:
        partials.monthly(KEYS, 2024, TODAY)
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    # coverage, marks, the stored sums, then one query per source restricted to today
    selects = [q for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert len(selects) == 3 + len({m.source for m in measures.MEASURES.values()}), sql
    _same()


def test_a_changed_definition_is_not_read_from_partials(world, monkeypatch):
    partials.refresh(2024, today=TODAY)
    monkeypatch.setattr(partials, "fingerprint", lambda source_key: "another definition")
    assert partials.monthly(KEYS, 2024, TODAY) is None  # every source counted again (measures.monthly)
    partials.refresh(2024, today=TODAY)
    _same()


def test_indirect_writes_mark_the_days_they_change(world):
    from onestop.employers.models import EmploymentDecision
    from onestop.talents.models import EducationRecord, Employment, TalentProfile

    def refreshed() -> None:  # what the tick does: count the marked days again (their marks go)
        partials.refresh(2024, today=TODAY)
        assert not _marked("employment") & {date(2024, 1, 10), date(2024, 2, 20), date(2024, 3, 1), date(2024, 5, 1)}

    refreshed()
    p1 = world.p1
    # an earlier job of the same person moves "the first new job of the year" from March to February
    Employment.objects.create(profile=p1, enterprise=world.e3, start_date=date(2024, 2, 20), end_date=date(2024, 2, 28))
    assert {date(2024, 2, 20), date(2024, 3, 1), date(2024, 5, 1)} <= _marked("employment")
    _same()
    refreshed()
    TalentProfile.objects.filter(pk=p1.pk).update(education="doctor")  # a profile edit changes the PhD count
    assert {date(2024, 2, 20), date(2024, 3, 1), date(2024, 5, 1)} <= _marked("employment")
    _same()
    refreshed()
    p2 = Employment.objects.get(start_date=date(2024, 1, 10)).profile
    EducationRecord.objects.create(profile=p2, level="doctor", school="郑州大学", graduation_date=date(2020, 1, 1))
    assert date(2024, 1, 10) in _marked("employment")
    _same()
    refreshed()
    job = Employment.objects.get(start_date=date(2024, 2, 20))
    EmploymentDecision.objects.create(employment=job, enterprise=world.e3, decision="denied", reason="非本单位职工",
                                      decided_by=world.boss)
    assert {date(2024, 2, 20), date(2024, 3, 1), date(2024, 5, 1)} <= _marked("employment")
    _same()
    refreshed()
    before = set(DirtyDay.objects.values_list("source", "day", "version"))
    TalentProfile.objects.filter(pk=p1.pk).update(job_title="工程师")  # a column no measure reads: no mark
    assert set(DirtyDay.objects.values_list("source", "day", "version")) == before
    _same()


def test_a_mark_written_while_the_refresh_counts_survives_it(world, monkeypatch):
    from onestop.talents.models import Employment

    partials.refresh(2024, today=TODAY)
    job = Employment.objects.filter(start_date=date(2024, 3, 1)).get()
    Employment.objects.filter(pk=job.pk).update(start_date=date(2024, 3, 2))  # marks 1 and 2 March
    counting = partials._count_days

    def count_then_write(*args: Any, **kwargs: Any) -> Any:
        rows = list(counting(*args, **kwargs))
        # a write that commits after the count read the records: it moves the job again
        Employment.objects.filter(pk=job.pk).update(start_date=date(2024, 3, 3))
        return rows

    monkeypatch.setattr(partials, "_count_days", count_then_write)
    partials.refresh(2024, today=TODAY, sources=["employment"])
    assert date(2024, 3, 2) in _marked("employment") and date(2024, 3, 3) in _marked("employment")
    _same()


# --- random write sequences ------------------------------------------------------------------------------------------

def _moment(rng: random.Random) -> datetime:
    day = date(2024, 1, 1) + timedelta(days=rng.randrange(0, 300))
    hour, minute = rng.choice([(0, 10), (0, 30), (7, 59), (8, 0), (12, 0), (15, 59), (16, 0), (23, 30)])
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


def _day(rng: random.Random) -> date:
    return date(2023, 12, 25) + timedelta(days=rng.randrange(0, 290))


def _write(rng: random.Random, world: Any) -> str:
    from onestop.core.models import User
    from onestop.employers.models import EmploymentDecision
    from onestop.engagement.models import Event, Problem, Visit
    from onestop.housing.models import Lease, StayBooking
    from onestop.talents.models import (
        Certificate,
        CertificationApplication,
        EducationRecord,
        Employment,
        TalentProfile,
    )
    from onestop.workflow.models import Task

    def pick(model: Any) -> Any:
        pks = list(model.objects.values_list("pk", flat=True))
        return model.objects.get(pk=rng.choice(pks)) if pks else None

    profiles = list(TalentProfile.objects.values_list("pk", flat=True))
    kind = rng.choice(["job_new", "job_move", "job_delete", "deny", "undeny", "profile", "education", "registry",
                       "task", "certificate", "nomination", "event", "visit", "stay", "lease", "problem", "bulk"])
    if kind == "job_new":
        Employment.objects.create(profile_id=rng.choice(profiles), enterprise=world.e1, start_date=_day(rng),
                                  end_date=date(2025, 6, 30))  # ended: a person has one current job
    elif kind == "job_move" and (job := pick(Employment)):
        Employment.objects.filter(pk=job.pk).update(start_date=min(_day(rng), job.end_date or date(2099, 1, 1)))
    elif kind == "job_delete" and (job := pick(Employment)):
        job.delete()
    elif kind == "deny" and (job := pick(Employment)):
        EmploymentDecision.objects.update_or_create(employment=job, defaults={
            "enterprise": world.e1, "decision": "denied", "reason": "非本单位职工", "decided_by": world.boss})
    elif kind == "undeny" and (decision := pick(EmploymentDecision)):
        if rng.random() < 0.5:
            decision.delete()
        else:
            EmploymentDecision.objects.filter(pk=decision.pk).update(decision="confirmed")
    elif kind == "profile":
        TalentProfile.objects.filter(pk=rng.choice(profiles)).update(**rng.choice([
            {"education": rng.choice(["high_school", "bachelor", "master", "doctor"])},
            {"skill_level": rng.choice(["", "senior_worker", "technician"])},
            {"graduation_date": _day(rng) - timedelta(days=rng.randrange(0, 1500))},
            {"user": User.objects.create(username=f"swap{rng.random()}", account_type="talent")}]))
    elif kind == "education":
        found = pick(EducationRecord)
        if found and rng.random() < 0.5:
            found.delete()
        else:
            EducationRecord.objects.create(profile_id=rng.choice(profiles), level=rng.choice(["doctor", "postdoc",
                                                                                              "master"]),
                                           school="某大学", graduation_date=date(2020, 1, 1))
    elif kind == "registry":
        TalentProfile.objects.filter(pk=rng.choice(profiles)).update(created_at=_moment(rng))
    elif kind == "task" and (task := pick(Task)):
        Task.objects.filter(pk=task.pk).update(**rng.choice([
            {"decided_at": _moment(rng), "state": rng.choice(["approved", "rejected"])},
            {"due_date": _day(rng)}, {"state": "pending", "decided_at": None},
            {"state": "skipped", "department": None}]))
    elif kind == "certificate" and (cert := pick(Certificate)):
        Certificate.objects.filter(pk=cert.pk).update(**rng.choice([
            {"status": "revoked", "revoked_at": timezone.now(), "revoke_reason": "材料不实"}, {"status": "valid"},
            {"issued_at": _moment(rng)}, {"tier": rng.choice("ABE")}]))
    elif kind == "nomination" and (app := pick(CertificationApplication)):
        CertificationApplication.objects.filter(pk=app.pk).update(**rng.choice([
            {"status": rng.choice(["review", "withdrawn"])}, {"created_at": _moment(rng)},
            {"claimed_tier": rng.choice("ACE")}, {"applied_by": world.boss}]))
    elif kind == "event" and (event := pick(Event)):
        Event.objects.filter(pk=event.pk).update(**rng.choice([
            {"status": rng.choice(["finished", "published", "cancelled"])}, {"starts_at": (m := _moment(rng)), "ends_at": m + timedelta(hours=2)},
            {"kind": rng.choice(["recruitment", "publicity"])}]))
    elif kind == "visit":
        visit = pick(Visit)
        if visit and rng.random() < 0.5:
            Visit.objects.filter(pk=visit.pk).update(visited_on=_day(rng))
        else:
            Visit.objects.create(official=world.boss, enterprise=world.e2, visited_on=_day(rng), participants="王",
                                 explained="政策")
    elif kind == "stay" and (stay := pick(StayBooking)):
        StayBooking.objects.filter(pk=stay.pk).update(**rng.choice([
            {"status": rng.choice(["checked_in", "checked_out", "no_show"])},
            {"check_in": (d := _day(rng)), "check_out": d + timedelta(days=2)}]))
    elif kind == "lease" and (lease := pick(Lease)):
        Lease.objects.filter(pk=lease.pk).update(start_date=_day(rng))
    elif kind == "problem" and (problem := pick(Problem)):
        Problem.objects.filter(pk=problem.pk).update(**rng.choice([
            {"satisfaction": rng.choice([1, 3, 5])} if problem.status == "closed" else {"title": "改"},
            {"closed_at": _moment(rng), "status": "closed", "confirmed_by": world.boss, "satisfaction": 4}]))
    elif kind == "bulk":
        Employment.objects.bulk_create([Employment(profile_id=rng.choice(profiles), enterprise=world.e2,
                                                   start_date=_day(rng), end_date=date(2025, 6, 30))
                                        for _ in range(rng.randrange(2, 6))])
    return kind


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_writes_keep_the_partials_equal_to_the_recount(world, clock, seed):
    rng = random.Random(seed)
    clock.today = date(2024, 6, 1)
    partials.refresh(2024)
    kinds = []
    for step in range(60):
        kinds.append(_write(rng, world))
        if rng.random() < 0.15:
            clock.today = min(clock.today + timedelta(days=rng.randrange(0, 40)), TODAY)
            partials.refresh(2024)
        if step % 6 == 5:
            _same(clock.today)
            _same(date(2024, 3, 31))
    partials.refresh(2024)
    _same(clock.today)
    assert DayPartial.objects.exists()
    assert len(set(kinds)) >= 12, kinds


def test_a_request_that_counts_changed_days_live_asks_for_a_refresh(world, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    from onestop.talents.models import Employment

    partials.refresh(2024, today=TODAY)
    cache.clear()
    Employment.objects.filter(start_date=date(2024, 3, 1)).update(start_date=date(2024, 3, 2))
    assert date(2024, 3, 2) in _marked("employment")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        figures.compute(2024, TODAY)
        figures.compute(2024, TODAY)  # once a minute
    assert len(callbacks) == 1
    assert date(2024, 3, 2) not in _marked("employment")  # counted again by the task
    _same()


@pytest.mark.django_db(transaction=True)
def test_a_write_committed_on_another_connection_during_a_refresh_keeps_its_mark(monkeypatch):
    """PostgreSQL, two connections: the refresh has counted; another transaction moves a job and commits; the
    refresh then deletes the marks it read — the moved job's marks must survive. (SQLite: the refresh holds the
    write lock from BEGIN IMMEDIATE, so the other writer waits for it; nothing to race.)"""
    import threading

    from django.db import connections

    from onestop.core.tests.factories import EnterpriseFactory, TalentFactory
    from onestop.talents.models import Employment, TalentProfile

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises the refresh with every writer")
    profile = TalentProfile.objects.get(user=TalentFactory())
    job = Employment.objects.create(profile=profile, enterprise=EnterpriseFactory(), start_date=date(2024, 3, 1))
    partials.refresh(2024, today=TODAY)
    Employment.objects.filter(pk=job.pk).update(start_date=date(2024, 3, 2))
    counted, written = threading.Event(), threading.Event()
    counting = partials._count_days

    def count_then_wait(*args: Any, **kwargs: Any) -> Any:
        rows = list(counting(*args, **kwargs))
        counted.set()
        assert written.wait(20)
        return rows

    monkeypatch.setattr(partials, "_count_days", count_then_wait)
    errors: list[BaseException] = []

    def refresh() -> None:
        try:
            partials.refresh(2024, today=TODAY, sources=["employment"])
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    worker = threading.Thread(target=refresh)
    worker.start()
    assert counted.wait(20)
    Employment.objects.filter(pk=job.pk).update(start_date=date(2024, 3, 3))  # commits (autocommit)
    written.set()
    worker.join(30)
    assert not errors, errors
    assert {date(2024, 3, 2), date(2024, 3, 3)} <= _marked("employment")
    monkeypatch.setattr(partials, "_count_days", counting)
    _same()


def test_the_triggers_watch_every_column_the_definitions_read(db):
    """A definition that starts reading another column needs migration 0005's triggers to watch it (a new
    migration): otherwise a write to that column would change a stored day without marking it."""
    import importlib
    import re

    spec = importlib.import_module("onestop.targets.migrations.0005_dirty_day_triggers")
    watched: dict[str, set[str]] = {}
    for _table, source, _column, _is_dt, columns in spec.DIRECT:
        watched.setdefault(source, set()).update(columns)
    watched["employment"] = {*spec.JOB, *spec.DECISION, *spec.EDUCATION, *spec.PROFILE_FACTS}
    watched["nominations"].add("user_id")  # the profile's account (talents_talentprofile_dirty_… on user_id)
    for key, source in measures.SOURCES.items():
        ms = partials._sources_measures()[key]
        qs = (source.base(date(2024, 1, 1), date(2024, 1, 2)).annotate(_day=partials._day_of(source))
              .values("_day").annotate(**partials._aggs(ms, 2024)))
        read = {column for _alias, column in re.findall(r'"?(\w+)"?\."?(\w+)"?', str(qs.query))}
        assert read - {"id"} <= watched[key], (key, read - {"id"} - watched[key])
