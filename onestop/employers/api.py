"""The employer part of the JSON API (/api/v1/employers): my enterprises, employment confirm/deny, own talents, jobs
(search is public), funding applications and payments. Same services as the pages; out of scope answers 404."""

from __future__ import annotations

from datetime import date, datetime

from django.http import Http404, HttpRequest
from ninja import Router, Schema
from ninja.responses import Status
from ninja.security import django_auth

from onestop.core.exceptions import NotFound
from onestop.core.models import User
from onestop.core.permissions import Capability, has_capability

from . import selectors, services
from .models import FundingApplication, Job

router = Router(tags=["employers"], auth=django_auth)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _enterprise(request: HttpRequest):  # type: ignore[no-untyped-def]
    try:
        return selectors.primary_enterprise(user=_user(request))
    except NotFound:
        raise Http404


class EnterpriseOut(Schema):
    id: int
    uscc: str
    name: str
    industry: str
    status: str


class DecisionIn(Schema):
    confirm: bool
    reason: str = ""


class DecisionOut(Schema):
    employment_id: int
    decision: str


class TalentRow(Schema):
    profile_id: int
    name: str
    certification_status: str | None
    certificate_tier: str | None


class JobIn(Schema):
    title: str
    industry: str
    education_min: str
    description: str
    salary_min_fen: int
    salary_max_fen: int
    headcount: int = 1
    location: str = "郑州航空港区"
    publish: bool = True


class JobOut(Schema):
    id: int
    enterprise: str
    title: str
    industry: str
    education_min: str
    salary_min_fen: int
    salary_max_fen: int
    status: str
    published_at: datetime | None

    @staticmethod
    def of(job: Job) -> JobOut:
        return JobOut(id=job.pk, enterprise=job.enterprise.name, title=job.title, industry=job.industry,
                      education_min=job.education_min, salary_min_fen=job.salary_min_fen,
                      salary_max_fen=job.salary_max_fen, status=job.status, published_at=job.published_at)


class FundingIn(Schema):
    certificate_id: int
    statement: str


class FundingOut(Schema):
    id: int
    reference: str
    year: int
    amount_fen: int
    paid_fen: int
    status: str
    rule_reference: str

    @staticmethod
    def of(a: FundingApplication) -> FundingOut:
        return FundingOut(id=a.pk, reference=a.reference, year=a.year, amount_fen=a.amount_fen, paid_fen=a.paid_fen,
                          status=a.status, rule_reference=a.rule_reference)


class PaymentIn(Schema):
    amount_fen: int
    paid_on: date
    voucher_no: str


@router.get("/me", response=list[EnterpriseOut], summary="我的单位 / My enterprises")
def my_enterprises(request: HttpRequest) -> list[EnterpriseOut]:
    """Employer admins and HR only (employer.centre, as the 单位中心 page); any other role works for no enterprise
    here and gets 404, not an empty list."""
    user = _user(request)
    if not has_capability(user, Capability.EMPLOYER_CENTRE):
        raise Http404
    return [EnterpriseOut(id=e.pk, uscc=e.uscc, name=e.name, industry=e.industry, status=e.status)
            for e in selectors.enterprises_for(user=user)]


@router.post("/employments/{employment_id}/decision", response={200: DecisionOut},
             summary="确认或否认任职 / Confirm or deny employment")
def employment_decision(request: HttpRequest, employment_id: int, payload: DecisionIn) -> DecisionOut:
    decision = services.employment_decide(actor=_user(request), employment_id=employment_id,
                                          confirm=payload.confirm, reason=payload.reason)
    return DecisionOut(employment_id=employment_id, decision=decision.decision)


@router.get("/talents", response=list[TalentRow], summary="本单位人才 / Own talents and their statuses")
def own_talents(request: HttpRequest) -> list[TalentRow]:
    rows = selectors.talents_for_employer(user=_user(request), enterprise=_enterprise(request))
    return [TalentRow(profile_id=r["profile"].pk, name=r["profile"].user.display_name,
                      certification_status=r["application"].status if r["application"] else None,
                      certificate_tier=r["certificate"].tier if r["certificate"] else None) for r in rows]


@router.get("/jobs", response=list[JobOut], auth=None, summary="搜索岗位 / Search jobs (public)")
def job_search(request: HttpRequest, industry: str = "", education: str = "", q: str = "") -> list[JobOut]:
    return [JobOut.of(j) for j in selectors.jobs_search(industry=industry, education=education, q=q[:50])[:100]]


@router.post("/jobs", response={201: JobOut}, summary="发布岗位 / Post a job")
def job_create(request: HttpRequest, payload: JobIn) -> Status[JobOut]:
    job = services.job_create(actor=_user(request), enterprise=_enterprise(request), **payload.dict())
    return Status(201, JobOut.of(job))


@router.get("/funding", response=list[FundingOut], summary="经费申请 / Funding applications")
def funding_list(request: HttpRequest) -> list[FundingOut]:
    return [FundingOut.of(a) for a in selectors.funding_for_employer(user=_user(request),
                                                                     enterprise=_enterprise(request))]


@router.post("/funding", response={201: FundingOut}, summary="申请引才育才工作经费 / Apply for funding")
def funding_apply(request: HttpRequest, payload: FundingIn) -> Status[FundingOut]:
    application = services.funding_apply(actor=_user(request), enterprise=_enterprise(request),
                                         certificate_id=payload.certificate_id, statement=payload.statement)
    return Status(201, FundingOut.of(application))


@router.post("/funding/{application_id}/payments", response={201: FundingOut},
             summary="登记拨付（人才办）/ Record a payment")
def funding_payment(request: HttpRequest, application_id: int, payload: PaymentIn) -> Status[FundingOut]:
    application = selectors.funding_application_for(user=_user(request), pk=application_id)
    services.funding_payment_record(actor=_user(request), application=application, amount_fen=payload.amount_fen,
                                    paid_on=payload.paid_on, voucher_no=payload.voucher_no)
    return Status(201, FundingOut.of(application))
