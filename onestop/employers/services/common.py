"""Shared by the employer services: the departments that review and place, whether an actor is one of their
staff, whether an actor works for an enterprise, and telling an enterprise's users."""

from __future__ import annotations

from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.choices import AuditResult, Role
from onestop.core.exceptions import NotFound
from onestop.core.models import Department, User
from onestop.core.notifications import notification_send

from ..models import (
    Enterprise,
)

REVIEW_DEPARTMENT = "talent_office"
PLACEMENT_DEPARTMENTS = ("talent_office", "hrss")


def in_department(actor: User, *codes: str) -> bool:
    """Staff (officer or head) of one of the named departments."""
    ids = actor.department_ids()
    return bool(ids) and Department.objects.filter(pk__in=ids, code__in=codes).exists()


def own_enterprise(actor: User, enterprise: Enterprise | int, *, admin: bool = False) -> Enterprise:
    """The enterprise if the actor works for it (as admin when ``admin``), else ``NotFound`` (audited)."""
    pk = enterprise if isinstance(enterprise, int) else enterprise.pk
    roles = (Role.EMPLOYER_ADMIN,) if admin else ()
    if pk not in actor.enterprise_ids(*roles):
        audit_record(action="enterprise.access", actor=actor, object_type="employers.enterprise", object_id=str(pk),
                     result=AuditResult.DENIED)
        raise NotFound(_("单位不存在，或您无权操作。"))
    return enterprise if isinstance(enterprise, Enterprise) else Enterprise.objects.get(pk=pk)


def _admins(enterprise: Enterprise) -> list[User]:
    return list(User.objects.filter(role_assignments__enterprise=enterprise,
                                    role_assignments__role__in=[Role.EMPLOYER_ADMIN, Role.EMPLOYER_HR]).distinct())


def _notify_enterprise(enterprise: Enterprise, title: str, body: str = "", link: str = "/employer/") -> None:
    for user in _admins(enterprise):
        notification_send(recipient=user, title=title, body=body, link=link)
