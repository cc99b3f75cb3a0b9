"""Fixtures of the one-thing tests: the zone's departments with staff, the 2024 policy package, the published
workflow specs (the matters' and certification's), the matter catalogue, a frozen clock, and a talent whose registry
data makes them a likely young-talent applicant."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from onestop.core.choices import Role
from onestop.core.tests.factories import DepartmentFactory, EnterpriseFactory, StaffFactory, TalentFactory
from onestop.policies.services import policy_load_package
from onestop.talents.models import HouseholdRegistration, SocialInsuranceMonth, TalentProfile
from onestop.workflow import calendar as wd
from onestop.workflow.definitions import read_spec, shipped_spec_files
from onestop.workflow.services import definition_publish

from ..catalogue import matter_catalogue_load

TODAY = date(2024, 9, 23)
DEPARTMENTS = ["talent_office", "hrss", "housing", "education", "health", "exit_entry"]
PDF = b"%PDF-1.4 test document"


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.ONESTOP_PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def clock(monkeypatch):
    day = {"today": TODAY}
    monkeypatch.setattr(wd, "today", lambda: day["today"])
    return day


@pytest.fixture
def zone(db, clock, department):
    depts = {"talent_office": department}
    for code in DEPARTMENTS[1:]:
        depts[code] = DepartmentFactory(code=code, name=f"{code}部门")
    for path in shipped_spec_files():
        if path.parent.parent.name == "onething" or path.name == "talent_certification.json":
            definition_publish(spec=read_spec(path))
    policy_load_package()
    matter_catalogue_load()
    staff = {code: StaffFactory(department=d) for code, d in depts.items()}
    heads = {code: StaffFactory(department=d, department__role=Role.DEPT_HEAD) for code, d in depts.items()}
    return SimpleNamespace(depts=depts, staff=staff, heads=heads)


def make_talent(*, employed: bool = True, months: int = 8, hukou: str = "other") -> tuple:
    """A bachelor graduate of 2023, 29 years old, employed in the zone with ``months`` months of social insurance."""
    enterprise = EnterpriseFactory()
    user = TalentFactory()
    TalentProfile.objects.filter(user=user).update(
        birth_date=date(1995, 3, 1), graduation_date=date(2023, 7, 1), education="bachelor",
        employer=enterprise if employed else None, homes_declared=True)
    profile = TalentProfile.objects.get(user=user)
    for i in range(months):
        SocialInsuranceMonth.objects.create(profile=profile, month=date(2024, 1 + i, 1))
    if hukou:
        HouseholdRegistration.objects.create(profile=profile, hukou_type=hukou)
    return user, profile


@pytest.fixture
def applicant(zone):
    user, profile = make_talent()
    return SimpleNamespace(user=user, profile=profile)


def upload(name: str = "d.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")
