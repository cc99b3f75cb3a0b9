"""Fixtures of the housing tests: a fixed clock (a Monday; no holiday data → Monday–Friday), the housing desk, a warm
station, talents whose registry facts make them eligible, certified C/D talents, an apartment project and a round."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from onestop.core.choices import Role
from onestop.core.tests.factories import DepartmentFactory, EnterpriseFactory, StaffFactory, TalentFactory
from onestop.housing import services
from onestop.housing.choices import Layout, ProjectKind
from onestop.housing.models import Bed, Building, Project, Room, Unit, WarmStation

TODAY = date(2026, 3, 2)  # a Monday


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """Every service reads the date through ``onestop.workflow.calendar.today``."""
    state = SimpleNamespace(today=TODAY)
    monkeypatch.setattr("onestop.workflow.calendar.today", lambda: state.today)
    return state


@pytest.fixture
def housing_dept(db):
    return DepartmentFactory(code="housing", name="住房和城乡建设局", name_en="Housing")


@pytest.fixture
def desk(housing_dept):
    return StaffFactory(department=housing_dept, real_name="住建经办")


@pytest.fixture
def desk_head(housing_dept):
    return StaffFactory(department=housing_dept, department__role=Role.DEPT_HEAD, real_name="住建负责人")


def make_station(*, beds: int = 2, code: str = "ws1") -> WarmStation:
    station = WarmStation.objects.create(code=code, name=f"暖心驿站{code}", address="航空港区迎宾大道 8 号",
                                         phone="0371-12345678")
    room = Room.objects.create(station=station, number="101")
    for i in range(beds):
        Bed.objects.create(room=room, label=chr(ord("A") + i))
    return station


@pytest.fixture
def station(db):
    return make_station(beds=2)


def graduate(**profile: Any):
    """A talent who meets the warm-station defaults: bachelor, from another province, graduating this summer, no
    home in the city, coming for an interview."""
    from onestop.talents.models import HouseholdRegistration

    user = TalentFactory()
    p = user.talent_profile
    p.birth_date = date(2003, 5, 1)
    p.graduation_date = date(2026, 6, 30)
    p.homes_declared = True
    p.job_seeking = True
    for key, value in profile.items():
        setattr(p, key, value)
    p.save()
    HouseholdRegistration.objects.create(profile=p, hukou_type="other")
    return user


def employed(*, education: str = "bachelor", birth: date = date(1996, 1, 1), insured_from: date | None = None,
             insured_months: int = 0, industry: str = "electronic_info", enterprise=None):
    """A talent employed in the zone, no home in the city: eligible for apartments (young group by default)."""
    from onestop.talents.models import SocialInsuranceMonth

    user = TalentFactory()
    p = user.talent_profile
    p.birth_date = birth
    p.education = education
    p.homes_declared = True
    p.employer = enterprise or EnterpriseFactory()
    p.industry = industry
    p.save()
    start = insured_from or date(2024, 1, 1)
    for i in range(insured_months):
        month = date(start.year + (start.month - 1 + i) // 12, (start.month - 1 + i) % 12 + 1, 1)
        SocialInsuranceMonth.objects.create(profile=p, month=month)
    return user


def certify(user, *, tier: str = "C", track: str = "standard", issued: date = date(2025, 6, 1)):
    """A valid certificate (created directly: the certification itself is tested in talents)."""
    from onestop.talents.models import Certificate, CertificationApplication

    app = CertificationApplication.objects.create(
        profile=user.talent_profile, applied_by=user, track=track, claimed_tier=tier, decided_tier=tier,
        status="certified")
    return Certificate.objects.create(application=app, profile=user.talent_profile, track=track, tier=tier,
                                      number=f"ZZGK-{issued.year}-{tier}-{app.pk:06d}", valid_from=issued,
                                      valid_until=issued + timedelta(days=5 * 365))


def make_units(n: int, *, layout: str = Layout.ONE_BED, project_code: str = "apt1",
               kind: str = ProjectKind.APARTMENT, area: str = "45.00", start: int = 1) -> list[Unit]:
    project, _ = Project.objects.get_or_create(code=project_code, defaults={
        "name": f"人才公寓{project_code}", "kind": kind, "address": "航空港区新港大道 1 号"})
    building, _ = Building.objects.get_or_create(project=project, name="1号楼")
    return [Unit.objects.create(building=building, number=f"{start + i:04d}", code=f"{project_code}-1号楼-{start + i:04d}",
                                floor=1 + i // 10, area_m2=Decimal(area), layout=layout, monthly_rent_fen=180000,
                                discount_percent=50) for i in range(n)]


def open_round(desk, units, *, code: str = "2026-01"):
    return services.round_create(actor=desk, code=code, title=f"人才公寓 {code} 批次", opens_on=TODAY,
                                 closes_on=TODAY + timedelta(days=7), unit_ids=[u.pk for u in units])


def at(day: date, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))
