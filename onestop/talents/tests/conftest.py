"""Fixtures of the registry and certification tests."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from onestop.core.choices import Role
from onestop.core.tests.factories import EmployerUserFactory, EnterpriseFactory, StaffFactory, TalentFactory
from onestop.policies.services import policy_load_package
from onestop.talents import services
from onestop.talents.models import TalentProfile
from onestop.workflow import calendar as wd
from onestop.workflow.definitions import read_spec, shipped_spec_files
from onestop.workflow.services import calendar_year_load_package, definition_publish


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.ONESTOP_PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def setup(db, department, monkeypatch):
    from onestop.core.tests.factories import DepartmentFactory

    day = {"today": date(2024, 9, 23)}
    monkeypatch.setattr(wd, "today", lambda: day["today"])
    for code in ("hrss", "housing", "education", "health"):
        DepartmentFactory(code=code)
    for year in (2024, 2025):
        calendar_year_load_package(year=year)
    (path,) = [p for p in shipped_spec_files() if p.name == "talent_certification.json"]
    definition_publish(spec=read_spec(path))
    policy_load_package()
    enterprise = EnterpriseFactory()
    talent = TalentFactory()
    TalentProfile.objects.filter(user=talent).update(birth_date=date(1995, 1, 1), education="master",
                                                     employer=enterprise)
    document = services.document_upload(actor=talent, kind="diploma",
                                        upload=SimpleUploadedFile("d.pdf", b"%PDF-1.4 x"))
    return {
        "day": day, "talent": talent, "document": document, "enterprise": enterprise,
        "hr": EmployerUserFactory(enterprise=enterprise),
        "office": StaffFactory(department=department),
        "head": StaffFactory(department=department, department__role=Role.DEPT_HEAD),
        "housing": StaffFactory(department=DepartmentFactory(code="housing")),
    }
