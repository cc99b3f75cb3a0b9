"""Who may do what. Capabilities are granted to roles here, in one reviewable table; object scoping (own records,
own enterprise, own department's queue) is done by selectors and the ``can_*`` policies below."""

from __future__ import annotations

from enum import StrEnum

from .choices import Role
from .models import User


class Capability(StrEnum):
    STAFF_WORKBENCH = "staff.workbench"
    PII_UNMASK = "pii.unmask"
    AUDIT_READ = "audit.read"
    AUDIT_EXPORT = "audit.export"
    USERS_MANAGE = "users.manage"
    ROLES_MANAGE = "roles.manage"
    SECURITY_MANAGE = "security.manage"
    EMPLOYER_CENTRE = "employer.centre"
    EMPLOYER_MANAGE = "employer.manage"
    TALENT_CENTRE = "talent.centre"
    PARTNER_DESK = "partner.desk"
    DASHBOARD = "dashboard.read"
    WORKFLOW_QUEUE = "workflow.queue"
    WORKFLOW_LOAD = "workflow.load"
    CALENDAR_MANAGE = "calendar.manage"
    POLICY_EDIT = "policy.edit"
    POLICY_PUBLISH = "policy.publish"
    REGISTRY_IMPORT = "registry.import"
    CERT_REVIEW = "certification.review"
    GREENCARD_VERIFY = "greencard.verify"
    GREENCARD_MANAGE = "greencard.manage"
    HOUSING_DESK = "housing.desk"
    EMPLOYER_REVIEW = "employer.review"
    ENGAGEMENT_STAFF = "engagement.staff"
    VISITS_ASSIGN = "visits.assign"
    ONETHING_APPLY = "onething.apply"
    BENEFITS_VIEW = "benefits.view"
    BENEFITS_MANAGE = "benefits.manage"
    TARGETS_VIEW = "targets.view"
    TARGETS_REPORT = "targets.report"


# The three administrators (三员) hold disjoint powers: the system admin runs accounts and organisation data, the
# security admin grants roles and handles lockouts, the audit admin reads and exports the audit trail. None of
# them handles cases, and none may do another's work.
GRANTS: dict[str, frozenset[Capability]] = {
    Role.TALENT: frozenset({Capability.TALENT_CENTRE}),
    Role.EMPLOYER_ADMIN: frozenset({Capability.EMPLOYER_CENTRE, Capability.EMPLOYER_MANAGE,
                                    Capability.WORKFLOW_QUEUE}),
    Role.EMPLOYER_HR: frozenset({Capability.EMPLOYER_CENTRE, Capability.WORKFLOW_QUEUE}),
    Role.DEPT_STAFF: frozenset({Capability.STAFF_WORKBENCH, Capability.PII_UNMASK, Capability.WORKFLOW_QUEUE,
                                Capability.POLICY_EDIT, Capability.REGISTRY_IMPORT, Capability.CERT_REVIEW,
                                Capability.HOUSING_DESK}),
    Role.DEPT_HEAD: frozenset({Capability.STAFF_WORKBENCH, Capability.PII_UNMASK, Capability.DASHBOARD,
                               Capability.WORKFLOW_QUEUE, Capability.WORKFLOW_LOAD, Capability.POLICY_EDIT,
                               Capability.POLICY_PUBLISH, Capability.REGISTRY_IMPORT, Capability.CERT_REVIEW,
                               Capability.HOUSING_DESK}),
    Role.PARTNER_CHECKER: frozenset({Capability.PARTNER_DESK, Capability.GREENCARD_VERIFY}),
    Role.AUDITOR: frozenset({Capability.AUDIT_READ, Capability.DASHBOARD}),
    Role.SYS_ADMIN: frozenset({Capability.USERS_MANAGE, Capability.CALENDAR_MANAGE}),
    Role.SEC_ADMIN: frozenset({Capability.ROLES_MANAGE, Capability.SECURITY_MANAGE}),
    Role.AUDIT_ADMIN: frozenset({Capability.AUDIT_READ, Capability.AUDIT_EXPORT}),
}

# Employers and engagement (employer review, events, 需求榜 review, 万人助万企): department staff and heads; heads also
# assign enterprises to officials. Selectors narrow each to the right department or assigned enterprises.
for _role, _caps in {Role.DEPT_STAFF: {Capability.EMPLOYER_REVIEW, Capability.ENGAGEMENT_STAFF},
                     Role.DEPT_HEAD: {Capability.EMPLOYER_REVIEW, Capability.ENGAGEMENT_STAFF,
                                      Capability.VISITS_ASSIGN}}.items():
    GRANTS[_role] = GRANTS[_role] | _caps

# Green cards: department staff and heads may open the card management pages; the selectors show cards only to the
# talent office (人才办), which suspends and reinstates them (onestop/greencards).
for _role in (Role.DEPT_STAFF, Role.DEPT_HEAD):
    GRANTS[_role] = GRANTS[_role] | {Capability.GREENCARD_MANAGE}

# 人才一件事 and 免申即享: talents apply once; department staff see matching runs and their policies' outreach lists,
# heads also run the matching and mark their department's policies 免申即享 (selectors narrow to the department).
for _role, _caps in {Role.TALENT: {Capability.ONETHING_APPLY},
                     Role.DEPT_STAFF: {Capability.BENEFITS_VIEW},
                     Role.DEPT_HEAD: {Capability.BENEFITS_VIEW, Capability.BENEFITS_MANAGE}}.items():
    GRANTS[_role] = GRANTS[_role] | _caps


# Targets and the dashboard: department staff and heads see their own department's targets and enter the figures
# those targets report; the talent office (the office of the talent work leading group), the read-only auditor and
# the leadership (领导) see every department's (onestop/targets/selectors.py narrows the scope). The leader only
# watches: the dashboard, target detail, masked drill-down, big screen, Excel export and monthly reports — no figure
# entry, no case work, no unmasking of personal data.
GRANTS[Role.LEADER] = frozenset()
for _role, _caps in {Role.DEPT_STAFF: {Capability.TARGETS_VIEW, Capability.TARGETS_REPORT},
                     Role.DEPT_HEAD: {Capability.TARGETS_VIEW, Capability.TARGETS_REPORT},
                     Role.AUDITOR: {Capability.TARGETS_VIEW},
                     Role.LEADER: {Capability.TARGETS_VIEW}}.items():
    GRANTS[_role] = GRANTS[_role] | _caps


def capabilities(user: User) -> frozenset[Capability]:
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    caps: set[Capability] = set()
    for role in user.role_set():
        caps |= GRANTS.get(role, frozenset())
    return frozenset(caps)


def has_capability(user: User, capability: Capability) -> bool:
    return capability in capabilities(user)


def can_unmask(viewer: User, subject: User) -> bool:
    """The person themself, or staff whose role grants unmasking. Cases narrow this to a department's queue later."""
    if not viewer.is_authenticated:
        return False
    if viewer.pk == subject.pk:
        return True
    return has_capability(viewer, Capability.PII_UNMASK)
