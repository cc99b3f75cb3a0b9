"""The policy part of the JSON API: the library, a policy, and the calculator (anonymous or from the profile)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema
from ninja.security import django_auth

from onestop.core.exceptions import NotFound
from onestop.workflow import calendar as wd

from . import rules, selectors
from .calculator import calculate

router = Router(tags=["policies"])


class PolicyOut(Schema):
    code: str
    title: str
    title_en: str
    category: str
    issuer: str
    document_number: str
    summary: str
    summary_en: str
    legal_reference: str
    illustrative: bool


class CalculatorIn(Schema):
    birth_date: date | None = None
    education: str | None = None
    graduation_date: date | None = None
    title_level: str = "无"
    skill_level: str = "无"
    honours: list[str] = []
    employed_in_zone: bool | None = None
    insured_months: int | None = None
    monthly_salary_fen: int | None = None
    owns_home_in_city: bool | None = None
    job_seeking: bool | None = None
    industry: str | None = None
    certified_tier: str | None = None
    has_spouse: bool | None = None
    children_count: int | None = None


def _policy_out(p: Any) -> PolicyOut:
    version = p.published_versions[0] if getattr(p, "published_versions", None) else None
    return PolicyOut(code=p.code, title=p.title, title_en=p.title_en, category=p.category, issuer=p.issuer,
                     document_number=p.document_number, summary=p.summary, summary_en=p.summary_en,
                     legal_reference=p.legal_reference,
                     illustrative=bool(version and version.has_illustrative))


@router.get("/", response=list[PolicyOut], summary="政策库 / The policy library (filters, Chinese full-text q)")
def policy_list(request: HttpRequest, q: str = "", category: str = "", audience: str = "",
                industry: str = "") -> list[PolicyOut]:
    qs = selectors.policies_public(category=category, audience=audience, industry=industry, q=q[:100])
    return [_policy_out(p) for p in qs[:200]]


@router.post("/calculate", auth=None, summary="政策计算器（匿名）/ Calculator from a short form")
def calculate_anonymous(request: HttpRequest, payload: CalculatorIn) -> dict[str, Any]:
    facts = payload.dict()
    facts["monthly_salary"] = facts.pop("monthly_salary_fen")
    return calculate(facts=facts, as_of=wd.today()).as_dict()


@router.get("/calculate/me", auth=django_auth, summary="政策计算器（按我的人才档案）/ Calculator from my profile")
def calculate_me(request: HttpRequest) -> dict[str, Any]:
    from onestop.talents.facts import facts_for_user

    facts = facts_for_user(request.user, as_of=wd.today())
    if facts is None:
        raise Http404
    return calculate(facts=facts, as_of=wd.today()).as_dict()


@router.get("/calculate/enterprise/{enterprise_id}", auth=django_auth,
            summary="用人单位政策计算器（本单位）/ Calculator for my own enterprise")
def calculate_enterprise(request: HttpRequest, enterprise_id: int) -> dict[str, Any]:
    from .calculator import calculate_for_enterprise

    try:
        enterprise = selectors.enterprise_for_employer(user=request.user, enterprise_id=enterprise_id)  # type: ignore[arg-type]
    except NotFound:
        raise Http404
    return {"enterprise": {"id": enterprise.pk, "name": enterprise.name, "uscc": enterprise.uscc},
            **calculate_for_enterprise(enterprise=enterprise, as_of=wd.today()).as_dict()}


@router.get("/{code}", summary="政策详情 / A published policy with readable conditions and history")
def policy_detail(request: HttpRequest, code: str) -> dict[str, Any]:
    try:
        policy, version, history = selectors.policy_public_detail(code=code)
    except NotFound:
        raise Http404
    views = rules.rule_views(version.document)
    return {
        "code": policy.code, "title": policy.title, "summary": policy.summary, "legal_reference": policy.legal_reference,
        "illustrative": version.has_illustrative, "illustrative_notes": version.illustrative_notes,
        "rules": [{"id": v.id, "title": v.title, "legal": v.legal, "rows": v.rows} for v in views],
        "parameters": rules.parameter_rows(version.document, as_of=wd.today()),
        "versions": [{"number": v.number, "status": v.status, "effective_from": v.effective_from,
                      "effective_to": v.effective_to} for v in history],
    }
