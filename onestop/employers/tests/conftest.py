"""Fixtures of the employer tests: private media in a temp folder, the official calendar, the funding policy and
workflow published, an active enterprise with its admin, certified high-level talents, the talent office."""

from __future__ import annotations

import json
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from onestop.core.choices import Role
from onestop.core.tests.factories import (
    DepartmentFactory,
    EmployerUserFactory,
    EnterpriseFactory,
    StaffFactory,
)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.ONESTOP_PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def funding_policy(db, tmp_path):
    """Only the employer-funding policy of the 2024 package, loaded through the policy service."""
    from onestop.policies.services import FIXTURE, policy_load_package

    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    data["policies"] = [p for p in data["policies"] if p["code"] == "employer-talent-funding"]
    path = tmp_path / "funding.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    policy_load_package(path=path)


@pytest.fixture
def funding_workflow(db, department):
    from onestop.workflow.definitions import read_spec, shipped_spec_files
    from onestop.workflow.services import calendar_year_load_package, definition_publish

    for year in (2025, 2026):
        calendar_year_load_package(year=year)
    DepartmentFactory(code="hrss", name="人力资源和社会保障局", name_en="HRSS")
    (path,) = [p for p in shipped_spec_files() if p.name == "employer_funding.json"]
    return definition_publish(spec=read_spec(path))[0]


def certify(profile, tier: str = "B"):
    """A valid certificate for ``profile`` (the certification flow is tested by the talents app)."""
    from onestop.talents.models import Certificate, CertificationApplication

    app = CertificationApplication.objects.create(profile=profile, enterprise=profile.employer,
                                                  applied_by=profile.user, claimed_tier=tier, decided_tier=tier,
                                                  status="certified")
    today = timezone.localdate()
    return Certificate.objects.create(application=app, profile=profile, number=f"ZS{app.pk:08d}", track="standard",
                                      tier=tier, valid_from=today - timedelta(days=30),
                                      valid_until=today + timedelta(days=3 * 365))


@pytest.fixture
def org(db, department):
    """Two active enterprises with an admin each; talent office staff and a head; a housing officer."""
    from onestop.core.tests.factories import TalentFactory

    ours = EnterpriseFactory(name="郑州甲科技有限公司")
    theirs = EnterpriseFactory(name="郑州乙航空有限公司")
    admin = EmployerUserFactory(enterprise=ours)
    hr = EmployerUserFactory(enterprise=ours, enterprise__role=Role.EMPLOYER_HR)
    other_admin = EmployerUserFactory(enterprise=theirs)
    talents = []
    for _i in range(3):
        t = TalentFactory()
        t.talent_profile.employer = ours
        t.talent_profile.save()
        talents.append(t)
    return SimpleNamespace(
        ours=ours, theirs=theirs, admin=admin, hr=hr, other_admin=other_admin, talents=talents,
        office=StaffFactory(department=department),
        office_head=StaffFactory(department=department, department__role=Role.DEPT_HEAD),
        housing=StaffFactory(department=DepartmentFactory(code="housing", name="住房和城乡建设局")),
        today=date.today(),
    )
