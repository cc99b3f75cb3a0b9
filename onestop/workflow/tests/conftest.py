"""Fixtures of the workflow tests: a movable clock, the official calendar 2024–2026, the three departments of the
sample workflow with staff and heads, the published sample definition, and talents with or without an employer."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from onestop.core.choices import Role
from onestop.core.tests.factories import (
    DepartmentFactory,
    EmployerUserFactory,
    EnterpriseFactory,
    StaffFactory,
    TalentFactory,
)
from onestop.workflow import calendar as wd
from onestop.workflow.definitions import read_spec, shipped_spec_files
from onestop.workflow.services import calendar_year_load_package, definition_publish, service_request_submit


class Clock:
    def __init__(self, day: date) -> None:
        self.day = day

    def set(self, day: date) -> None:
        self.day = day


@pytest.fixture
def clock(monkeypatch):
    """The platform's 'today' (Asia/Shanghai date), frozen at Monday 2024-09-23 unless moved."""
    c = Clock(date(2024, 9, 23))
    monkeypatch.setattr(wd, "today", lambda: c.day)
    return c


@pytest.fixture
def official_calendar(db):
    for year in (2024, 2025, 2026):
        calendar_year_load_package(year=year)


@pytest.fixture
def depts(db, department):
    return SimpleNamespace(
        talent_office=department,
        hrss=DepartmentFactory(code="hrss", name="人力资源和社会保障局", name_en="HRSS"),
        exit_entry=DepartmentFactory(code="exit_entry", name="公安分局出入境管理大队", name_en="Exit-Entry"),
        housing=DepartmentFactory(code="housing", name="住房和城乡建设局", name_en="Housing"),
    )


@pytest.fixture
def people(depts, staff):
    return SimpleNamespace(
        office=staff,
        office2=StaffFactory(department=depts.talent_office),
        office_head=StaffFactory(department=depts.talent_office, department__role=Role.DEPT_HEAD),
        hrss=StaffFactory(department=depts.hrss),
        hrss_head=StaffFactory(department=depts.hrss, department__role=Role.DEPT_HEAD),
        exit_entry=StaffFactory(department=depts.exit_entry),
        housing=StaffFactory(department=depts.housing),
    )


@pytest.fixture
def sample_definition(depts):
    (path,) = [p for p in shipped_spec_files() if p.name == "talent_service.json"]
    definition, _created = definition_publish(spec=read_spec(path))
    return definition


@pytest.fixture
def wf(clock, official_calendar, sample_definition, people):
    """Everything the sample workflow needs, with the clock on Monday 2024-09-23."""
    return SimpleNamespace(clock=clock, definition=sample_definition, **vars(people))


@pytest.fixture
def employed_talent(db):
    enterprise = EnterpriseFactory()
    talent = TalentFactory()
    talent.talent_profile.employer = enterprise
    talent.talent_profile.save()
    hr = EmployerUserFactory(enterprise=enterprise)
    return SimpleNamespace(user=talent, enterprise=enterprise, hr=hr)


@pytest.fixture
def foreign_talent(employed_talent):
    profile = employed_talent.user.talent_profile
    profile.nationality = "德国"
    profile.save()
    return employed_talent


def submit(talent, kind: str = "housing", title: str = "申请人才公寓"):
    """Submit a sample service request; returns its case."""
    from onestop.workflow.models import Case

    request = service_request_submit(applicant=talent, kind=kind, title=title)
    return Case.objects.get(subject_id=request.pk, definition__code="talent_service")


def task_of(case, step_code: str):
    return case.tasks.select_related("step", "case").get(step__code=step_code)
