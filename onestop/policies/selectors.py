"""Reads of the policy catalogue. The public library sees published versions only; editors see their department's
policies; anything else is NotFound."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from onestop.core.choices import DEPARTMENT_ROLES
from onestop.core.exceptions import NotFound
from onestop.core.models import User
from onestop.core.permissions import Capability, has_capability

from . import search
from .choices import VersionStatus
from .models import Policy, PolicyVersion

PUBLIC_STATUSES = (VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED)


def versions_in_force(*, as_of: date, subject: str | None = None) -> list[PolicyVersion]:
    """For each policy, the version whose effective period covers ``as_of`` (published preferred to superseded)."""
    qs = (PolicyVersion.objects.select_related("policy")
          .filter(status__in=PUBLIC_STATUSES, effective_from__lte=as_of)
          .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=as_of)))
    if subject:
        qs = qs.filter(policy__subject=subject)
    chosen: dict[int, PolicyVersion] = {}
    for version in qs.order_by("policy__category", "policy__code", "-number"):
        current = chosen.get(version.policy_id)
        if current is None or (current.status != VersionStatus.PUBLISHED
                               and version.status == VersionStatus.PUBLISHED):
            chosen[version.policy_id] = version
    return list(chosen.values())


def policies_public(*, category: str = "", audience: str = "", industry: str = "", q: str = "") -> QuerySet[Policy]:
    """The public library: policies with a published version, filtered; ``q`` is a Chinese full-text query."""
    published = PolicyVersion.objects.filter(status=VersionStatus.PUBLISHED)
    qs = Policy.objects.filter(versions__status=VersionStatus.PUBLISHED).prefetch_related(
        Prefetch("versions", queryset=published, to_attr="published_versions")).select_related("department")
    if category:
        qs = qs.filter(category=category)
    if audience:
        qs = qs.filter(audiences__icontains=f'"{audience}"')
    if industry:
        qs = qs.filter(Q(industries=[]) | Q(industries__icontains=f'"{industry}"'))
    qs = qs.order_by("category", "code")
    return search.search(qs, q) if q else qs


def policy_public_detail(*, code: str) -> tuple[Policy, PolicyVersion, list[PolicyVersion]]:
    """A published policy, its current version and its public version history (newest first)."""
    policy = Policy.objects.select_related("department").filter(code=code).first()
    current = policy.versions.filter(status=VersionStatus.PUBLISHED).first() if policy else None
    if policy is None or current is None:
        raise NotFound(_("政策不存在或尚未发布。"))
    history = list(policy.versions.filter(status__in=PUBLIC_STATUSES).select_related("published_by"))
    return policy, current, history


def _denied(user: User, action: str, object_type: str, object_id: str) -> None:
    """A forbidden object answers like a missing one, and the attempt is recorded."""
    from onestop.core.audit import audit_record
    from onestop.core.choices import AuditResult

    audit_record(action=action, actor=user, object_type=object_type, object_id=object_id, result=AuditResult.DENIED)


def policies_for_editor(*, user: User) -> QuerySet[Policy]:
    if not has_capability(user, Capability.POLICY_EDIT):
        return Policy.objects.none()
    return (Policy.objects.filter(department_id__in=user.department_ids(*DEPARTMENT_ROLES))
            .select_related("department").prefetch_related("versions").order_by("category", "code"))


def policy_for_editor(*, user: User, code: str) -> Policy:
    policy = policies_for_editor(user=user).filter(code=code).first()
    if policy is None:
        _denied(user, "policy.version.start", "policies.policy", code)
        raise NotFound(_("政策不存在，或您无权访问。"))
    return policy


def version_for_editor(*, user: User, version_id: int) -> PolicyVersion:
    version = (PolicyVersion.objects.select_related("policy", "policy__department", "created_by", "submitted_by",
                                                    "published_by")
               .filter(pk=version_id, policy__in=policies_for_editor(user=user)).first())
    if version is None:
        _denied(user, "policy.version.open", "policies.policyversion", str(version_id))
        raise NotFound(_("政策版本不存在，或您无权访问。"))
    return version


def versions_awaiting_review(*, user: User) -> QuerySet[PolicyVersion]:
    return (PolicyVersion.objects.filter(status=VersionStatus.IN_REVIEW, policy__in=policies_for_editor(user=user))
            .select_related("policy", "submitted_by"))


def enterprises_for_employer(*, user: User) -> QuerySet[Any]:
    """The enterprises the user administers or does HR for — the only ones whose calculator they may run."""
    from onestop.core.choices import Role
    from onestop.employers.models import Enterprise

    if not user.is_authenticated or not has_capability(user, Capability.EMPLOYER_CENTRE):
        return Enterprise.objects.none()
    return Enterprise.objects.filter(pk__in=user.enterprise_ids(Role.EMPLOYER_ADMIN, Role.EMPLOYER_HR)).order_by("pk")


def enterprise_for_employer(*, user: User, enterprise_id: int) -> Any:
    enterprise = enterprises_for_employer(user=user).filter(pk=enterprise_id).first()
    if enterprise is None:
        _denied(user, "policy.calculate.enterprise", "employers.enterprise", str(enterprise_id))
        raise NotFound(_("用人单位不存在，或您无权查看。"))
    return enterprise
