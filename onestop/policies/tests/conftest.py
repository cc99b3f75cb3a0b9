"""Fixtures of the policy tests: the departments of the package, the 2024 package loaded, an editor, a second head."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from onestop.core.choices import Role
from onestop.core.tests.factories import DepartmentFactory, StaffFactory

AS_OF = date(2024, 9, 23)


@pytest.fixture
def package_departments(db, department):
    return SimpleNamespace(
        talent_office=department,
        hrss=DepartmentFactory(code="hrss", name="人力资源和社会保障局", name_en="HRSS"),
        housing=DepartmentFactory(code="housing", name="住房和城乡建设局", name_en="Housing"),
        education=DepartmentFactory(code="education", name="教育局", name_en="Education"),
        health=DepartmentFactory(code="health", name="卫生健康委员会", name_en="Health"),
    )


@pytest.fixture
def package(package_departments):
    from onestop.policies.services import policy_load_package

    policy_load_package()
    return package_departments


@pytest.fixture
def editors(package, staff):
    """The talent office: a staff member (author) and two heads (publishers); a housing officer outside it."""
    return SimpleNamespace(
        author=staff,
        head=StaffFactory(department=package.talent_office, department__role=Role.DEPT_HEAD),
        head2=StaffFactory(department=package.talent_office, department__role=Role.DEPT_HEAD),
        housing=StaffFactory(department=package.housing),
    )


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.ONESTOP_PRIVATE_MEDIA_ROOT = tmp_path / "private"
