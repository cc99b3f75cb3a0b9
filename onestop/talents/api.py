"""The registry and certification part of the JSON API (session auth, CSRF on writes)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import File, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from ninja.security import django_auth

from onestop.core.exceptions import NotFound
from onestop.core.permissions import Capability, has_capability
from onestop.workflow import calendar as wd

from . import certification as cert
from .choices import ImportSource
from .facts import facts_for_user
from .importer import registry_import

router = Router(tags=["talents"], auth=django_auth)


class ImportRunOut(Schema):
    id: int
    kind: str
    total: int
    created: int
    updated: int
    unchanged: int
    failed: int
    errors: list[dict[str, Any]]


class ApplyIn(Schema):
    track: str = "standard"
    claimed_tier: str
    equivalent_claim: bool = False
    statement: str = ""
    document_ids: list[int] = []


class DecisionIn(Schema):
    action: str
    reason: str = ""
    tier: str = ""


def _app_out(a: Any) -> dict[str, Any]:
    certificate = getattr(a, "certificate", None) if hasattr(a, "certificate") else None
    return {"id": a.pk, "reference": a.reference, "status": a.status, "track": a.track, "claimed_tier": a.claimed_tier,
            "proposed_tier": a.proposed_tier, "decided_tier": a.decided_tier, "publicity_end": a.publicity_end,
            "material_due": a.material_due,
            "certificate": ({"number": certificate.number, "tier": certificate.tier, "status": certificate.status,
                             "valid_until": certificate.valid_until} if certificate else None)}


@router.post("/imports/{kind}", response={201: ImportRunOut},
             summary="导入社保/学历/在职确认 / Import registry data (CSV or JSON file, or a JSON list body)")
def import_data(request: HttpRequest, kind: str, file: File[UploadedFile] | None = None) -> Status[Any]:
    if file is not None:
        content: bytes | str = file.read()
        fmt = "json" if (file.name or "").lower().endswith(".json") else "csv"
        name = file.name or ""
    else:
        content, fmt, name = request.body, "json", "request body"
    try:
        run = registry_import(kind=kind, content=content, fmt=fmt, actor=request.user,  # type: ignore[arg-type]
                              source=ImportSource.API, file_name=name)
    except NotFound:
        raise Http404
    return Status(201, run)


@router.get("/me/facts", summary="我的政策事实 / The facts the rules read from my profile")
def my_facts(request: HttpRequest) -> dict[str, Any]:
    facts = facts_for_user(request.user, as_of=wd.today())
    if facts is None:
        raise Http404
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in facts.items()}


@router.get("/certifications", summary="我的认定申请 / My certification applications")
def my_applications(request: HttpRequest) -> list[dict[str, Any]]:
    """Only talents apply (as on the page, talent.centre); any other role has no applications here and gets 404."""
    if not has_capability(request.user, Capability.TALENT_CENTRE):  # type: ignore[arg-type]
        raise Http404
    return [_app_out(a) for a in cert.applications_for_talent(user=request.user)]  # type: ignore[arg-type]


@router.post("/certifications", response={201: dict}, summary="申请人才认定 / Apply for certification")
def apply(request: HttpRequest, payload: ApplyIn) -> Status[dict[str, Any]]:
    application = cert.certification_apply(actor=request.user, **payload.dict())  # type: ignore[arg-type]
    return Status(201, {**_app_out(application), "precheck": application.precheck})


@router.get("/certifications/{pk}", summary="认定申请详情 / A certification application")
def application_detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    try:
        application = cert.application_for(user=request.user, pk=pk)  # type: ignore[arg-type]
    except NotFound:
        raise Http404
    return {**_app_out(application), "precheck": application.precheck,
            "events": [{"kind": e.kind, "at": e.created_at, "reason": e.reason} for e in application.events.all()]}


@router.post("/certifications/{pk}/decision", summary="审核认定申请 / Decide on my open task of an application")
def decide(request: HttpRequest, pk: int, payload: DecisionIn) -> dict[str, Any]:
    try:
        application = cert.application_for(user=request.user, pk=pk)  # type: ignore[arg-type]
        application = cert.certification_decide(application=application, actor=request.user,  # type: ignore[arg-type]
                                                action=payload.action, reason=payload.reason, tier=payload.tier)
    except NotFound:
        raise Http404
    return _app_out(application)
