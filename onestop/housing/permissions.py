"""Who may do what in housing. Staff of the housing department (住建) run the inventory, the desk (decisions,
check-in/out), rounds, leases and gifted housing; a talent sees only their own stays, applications, offers, leases and
entitlements (selectors scope every read; anything else is a 404)."""

from __future__ import annotations

from onestop.core.choices import DEPARTMENT_ROLES, Role
from onestop.core.models import Department, User
from onestop.core.permissions import Capability, has_capability

HOUSING_DEPARTMENT = "housing"


def _housing_department_ids() -> set[int]:
    return set(Department.objects.filter(code=HOUSING_DEPARTMENT).values_list("pk", flat=True))


def is_housing_staff(user: User) -> bool:
    if not user.is_authenticated or not has_capability(user, Capability.HOUSING_DESK):
        return False
    return bool(user.department_ids(*DEPARTMENT_ROLES) & _housing_department_ids())


def is_housing_head(user: User) -> bool:
    return is_housing_staff(user) and bool(user.department_ids(Role.DEPT_HEAD) & _housing_department_ids())


def housing_staff_users() -> list[User]:
    return list(User.objects.filter(role_assignments__department__code=HOUSING_DEPARTMENT,
                                    role_assignments__role__in=[str(r) for r in DEPARTMENT_ROLES],
                                    is_active=True).distinct())
