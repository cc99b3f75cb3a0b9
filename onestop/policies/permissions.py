"""Who may edit and publish which policy: staff with the capability, in the policy's own department."""

from __future__ import annotations

from onestop.core.choices import DEPARTMENT_ROLES, Role
from onestop.core.models import User
from onestop.core.permissions import Capability, has_capability

from .models import Policy


def can_edit(user: User, policy: Policy) -> bool:
    return (has_capability(user, Capability.POLICY_EDIT)
            and policy.department_id in user.department_ids(*DEPARTMENT_ROLES))


def can_publish(user: User, policy: Policy) -> bool:
    return (has_capability(user, Capability.POLICY_PUBLISH)
            and policy.department_id in user.department_ids(Role.DEPT_HEAD))
