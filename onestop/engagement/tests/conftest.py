"""Fixtures of the engagement tests: the official calendar, the zone's departments with staff, two enterprises with
admins, officials with assigned enterprises, talents and researchers."""

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


@pytest.fixture
def clock(monkeypatch):
    from onestop.workflow import calendar as wd

    day = SimpleNamespace(value=date(2024, 9, 23))
    monkeypatch.setattr(wd, "today", lambda: day.value)
    return day


@pytest.fixture
def zone(db, department, clock):
    from onestop.engagement.models import VisitAssignment
    from onestop.workflow.definitions import read_spec, shipped_spec_files
    from onestop.workflow.services import calendar_year_load_package, definition_publish

    for year in (2024, 2025, 2026):
        calendar_year_load_package(year=year)
    hrss = DepartmentFactory(code="hrss", name="人力资源和社会保障局", name_en="HRSS")
    industry = DepartmentFactory(code="industry_it", name="工业和信息化局", name_en="Industry & IT")
    investment = DepartmentFactory(code="investment", name="投资促进局", name_en="Investment")
    (path,) = [p for p in shipped_spec_files() if p.name == "visit_talent_problem.json"]
    definition_publish(spec=read_spec(path))
    ours, theirs = EnterpriseFactory(name="郑州甲电子有限公司"), EnterpriseFactory(name="郑州乙生物有限公司")
    official = StaffFactory(department=investment)
    other_official = StaffFactory(department=investment)
    VisitAssignment.objects.create(official=official, enterprise=ours)
    VisitAssignment.objects.create(official=other_official, enterprise=theirs)
    return SimpleNamespace(
        talent_office=department, hrss=hrss, industry=industry, investment=investment,
        ours=ours, theirs=theirs,
        admin=EmployerUserFactory(enterprise=ours), other_admin=EmployerUserFactory(enterprise=theirs),
        official=official, other_official=other_official,
        investment_head=StaffFactory(department=investment, department__role=Role.DEPT_HEAD),
        office=StaffFactory(department=department),
        industry_staff=StaffFactory(department=industry),
        hrss_staff=StaffFactory(department=hrss),
        talent=TalentFactory(), talent2=TalentFactory(),
        clock=clock,
    )
