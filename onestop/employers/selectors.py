"""Reads of the employer side, always scoped to the user: an employer sees its own enterprise's records only, the
talent office sees what it reviews. A record outside the scope is ``NotFound`` exactly like a missing one."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from onestop.core.audit import audit_record
from onestop.core.choices import AuditResult
from onestop.core.exceptions import NotFound
from onestop.core.models import User
from onestop.core.permissions import Capability, has_capability

from .choices import EnterpriseStatus, JobStatus
from .models import EDUCATION_VALUES, Enterprise, FundingApplication, HrInvitation, Job, Placement
from .services import PLACEMENT_DEPARTMENTS, REVIEW_DEPARTMENT, in_department


def _denied(user: User, object_type: str, pk: Any) -> NotFound:
    audit_record(action="employers.read", actor=user, object_type=object_type, object_id=str(pk),
                 result=AuditResult.DENIED)
    return NotFound("记录不存在，或您无权访问。")


def enterprises_for(*, user: User) -> QuerySet[Enterprise]:
    """The enterprises the user works for as employer admin or HR; nothing else."""
    return Enterprise.objects.filter(pk__in=user.enterprise_ids())


def enterprise_for(*, user: User, pk: int) -> Enterprise:
    enterprise = enterprises_for(user=user).filter(pk=pk).first()
    if enterprise is None:
        raise _denied(user, "employers.enterprise", pk)
    return enterprise


def primary_enterprise(*, user: User) -> Enterprise:
    enterprise = enterprises_for(user=user).order_by("pk").first()
    if enterprise is None:
        raise NotFound("您尚未关联任何单位。")
    return enterprise


def registrations_for_review(*, user: User, status: str = EnterpriseStatus.PENDING) -> QuerySet[Enterprise]:
    if not in_department(user, REVIEW_DEPARTMENT):
        return Enterprise.objects.none()
    qs = Enterprise.objects.annotate(licence_count=Count("licences"))
    return qs.filter(status=status).order_by("registered_at") if status else qs.order_by("-registered_at")


def registration_for_review(*, user: User, pk: int) -> Enterprise:
    enterprise = registrations_for_review(user=user, status="").filter(pk=pk).first()
    if enterprise is None:
        raise _denied(user, "employers.enterprise", pk)
    return enterprise


def licence_for(*, user: User, pk: int) -> Any:
    """The licence file for the enterprise's own users and the talent office."""
    from .models import BusinessLicence

    licence = BusinessLicence.objects.select_related("enterprise").filter(pk=pk).first()
    if licence is None or not (licence.enterprise_id in user.enterprise_ids()
                               or in_department(user, REVIEW_DEPARTMENT)):
        raise _denied(user, "employers.licence", pk)
    return licence


def invitations_for(*, user: User, enterprise: Enterprise) -> QuerySet[HrInvitation]:
    return HrInvitation.objects.filter(enterprise=enterprise, enterprise_id__in=user.enterprise_ids())


def employments_for_employer(*, user: User, enterprise: Enterprise) -> QuerySet[Any]:
    """Current jobs naming the enterprise, with the decision if any (for confirm / deny)."""
    from onestop.talents.models import Employment

    return (Employment.objects.select_related("profile__user", "decision")
            .filter(enterprise=enterprise, enterprise_id__in=user.enterprise_ids(), end_date__isnull=True)
            .order_by("confirmed_at", "-start_date"))


def talents_for_employer(*, user: User, enterprise: Enterprise) -> list[dict[str, Any]]:
    """The enterprise's own talents (current employer on the registry) with their certification status."""
    from onestop.talents.models import Certificate, CertificationApplication, TalentProfile

    if enterprise.pk not in user.enterprise_ids():
        raise _denied(user, "employers.enterprise", enterprise.pk)
    profiles = list(TalentProfile.objects.select_related("user").filter(employer=enterprise).order_by("pk"))
    ids = [p.pk for p in profiles]
    apps: dict[int, Any] = {}
    for app in CertificationApplication.objects.filter(profile_id__in=ids).order_by("created_at"):
        apps[app.profile_id] = app
    certs: dict[int, Any] = {}
    for cert in Certificate.objects.filter(profile_id__in=ids, status="valid"):
        certs[cert.profile_id] = cert
    placements = dict(Placement.objects.filter(profile_id__in=ids, status="active").values_list("profile_id",
                                                                                                "contract_no"))
    return [{"profile": p, "application": apps.get(p.pk), "certificate": certs.get(p.pk),
             "placement": placements.get(p.pk)} for p in profiles]


def jobs_for_employer(*, user: User, enterprise: Enterprise) -> QuerySet[Job]:
    return Job.objects.filter(enterprise=enterprise, enterprise_id__in=user.enterprise_ids()).order_by("-created_at")


def job_for_employer(*, user: User, pk: int) -> Job:
    job = Job.objects.select_related("enterprise").filter(pk=pk, enterprise_id__in=user.enterprise_ids()).first()
    if job is None:
        raise _denied(user, "employers.job", pk)
    return job


def jobs_search(*, industry: str = "", education: str = "", q: str = "") -> QuerySet[Job]:
    """Published jobs of active enterprises. ``education`` is the seeker's level: jobs asking no more than it."""
    qs = Job.objects.select_related("enterprise").filter(status=JobStatus.PUBLISHED,
                                                         enterprise__status=EnterpriseStatus.ACTIVE)
    if industry:
        qs = qs.filter(industry=industry)
    if education in EDUCATION_VALUES:
        qs = qs.filter(education_rank__lte=EDUCATION_VALUES.index(education))
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(description__icontains=q) | Q(enterprise__name__icontains=q))
    return qs.order_by("-published_at", "-id")


def job_public(*, pk: int) -> Job:
    job = jobs_search().filter(pk=pk).first()
    if job is None:
        raise NotFound("岗位不存在或已结束招聘。")
    return job


def funding_for_employer(*, user: User, enterprise: Enterprise) -> QuerySet[FundingApplication]:
    return (FundingApplication.objects.select_related("certificate__profile__user", "enterprise")
            .filter(enterprise=enterprise, enterprise_id__in=user.enterprise_ids()))


def funding_for_office(*, user: User) -> QuerySet[FundingApplication]:
    if not in_department(user, REVIEW_DEPARTMENT):
        return FundingApplication.objects.none()
    return FundingApplication.objects.select_related("certificate__profile__user", "enterprise")


def funding_application_for(*, user: User, pk: int) -> FundingApplication:
    application = (FundingApplication.objects.select_related("certificate__profile__user", "enterprise")
                   .filter(pk=pk).first())
    if application is None or not (application.enterprise_id in user.enterprise_ids()
                                   or in_department(user, REVIEW_DEPARTMENT)):
        raise _denied(user, "employers.fundingapplication", pk)
    return application


def can_open_placements(*, user: User) -> bool:
    """The 区聘企用 page serves talents, enterprises and department staff (the placement departments register and
    see every contract; other departments' staff an empty list, as their menu links it). Anyone else — the
    leadership, the auditor, a partner, the administrators — gets 404 like any page outside their role."""
    return any(has_capability(user, c) for c in (Capability.TALENT_CENTRE, Capability.EMPLOYER_CENTRE,
                                                 Capability.ENGAGEMENT_STAFF))


def placements_for(*, user: User) -> QuerySet[Placement]:
    """Staff of the talent office / HRSS see all placements; an enterprise its own; a talent their own."""
    qs = Placement.objects.select_related("profile__user", "enterprise")
    if in_department(user, *PLACEMENT_DEPARTMENTS):
        return qs
    return qs.filter(Q(enterprise_id__in=user.enterprise_ids()) | Q(profile__user=user))


def placement_for(*, user: User, pk: int) -> Placement:
    placement = placements_for(user=user).filter(pk=pk).first()
    if placement is None:
        raise _denied(user, "employers.placement", pk)
    return placement
