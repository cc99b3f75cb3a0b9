"""人才一件事 and 免申即享 in the JSON API (session auth, CSRF on writes). Same services and selectors as the pages."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from ninja.security import django_auth

from onestop.core.exceptions import NotFound
from onestop.core.models import User
from onestop.core.permissions import Capability, has_capability

from . import matching, selectors, services

router = Router(tags=["onething"], auth=django_auth)


class MattersIn(Schema):
    matters: list[str]


class ReasonIn(Schema):
    reason: str = ""


def _user(request: HttpRequest, capability: Capability) -> User:
    user = request.user
    assert isinstance(user, User)
    if not has_capability(user, capability):
        raise NotFound("记录不存在，或您无权访问。")
    return user


def _application_out(application: Any) -> dict[str, Any]:
    return {"id": application.pk, "reference": application.reference, "status": application.status,
            "matters": [{"id": am.pk, "code": am.matter.code, "status": am.status}
                        for am in application.matters.select_related("matter")]}


@router.get("/matters", summary="事项目录 / Matter catalogue")
def matter_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [{"code": m.code, "name": m.name, "department": m.department.code, "documents": m.documents,
             "depends_on": m.depends_on.code if m.depends_on else None} for m in selectors.matters_catalogue()]


@router.post("/applications", response={201: dict}, summary="开始（或继续）一件事申请 / Start a draft")
def application_create(request: HttpRequest) -> Status[dict[str, Any]]:
    return Status(201, _application_out(services.application_start(actor=_user(request, Capability.ONETHING_APPLY))))


@router.put("/applications/{pk}/matters", summary="选择事项 / Choose the matters")
def application_matters(request: HttpRequest, pk: int, payload: MattersIn) -> dict[str, Any]:
    user = _user(request, Capability.ONETHING_APPLY)
    application = selectors.application_for(user=user, pk=pk)
    services.application_select_matters(application=application, actor=user, codes=payload.matters)
    return _application_out(application)


@router.post("/applications/{pk}/documents", response={201: dict}, summary="上传共用材料 / Attach a shared document")
def application_document(request: HttpRequest, pk: int, code: Form[str], document_id: Form[int | None] = None,
                         file: UploadedFile | None = File(None)  # type: ignore[type-arg]  # noqa: B008
                         ) -> Status[dict[str, Any]]:
    user = _user(request, Capability.ONETHING_APPLY)
    application = selectors.application_for(user=user, pk=pk)
    slot = services.application_attach_document(application=application, actor=user, code=code, upload=file,
                                                document_id=document_id)
    return Status(201, {"code": slot.code, "document_id": slot.document_id})


@router.get("/applications/{pk}/precheck", summary="预审 / Pre-check every matter")
def application_precheck(request: HttpRequest, pk: int) -> list[dict[str, Any]]:
    user = _user(request, Capability.ONETHING_APPLY)
    application = selectors.application_for(user=user, pk=pk)
    checks = services.application_precheck(application=application)
    return [{"matter": am.matter.code, **checks[am.pk].to_dict()}
            for am in application.matters.select_related("matter")]


@router.post("/applications/{pk}/submit", summary="一次提交 / Submit once")
def application_submit(request: HttpRequest, pk: int) -> dict[str, Any]:
    user = _user(request, Capability.ONETHING_APPLY)
    application = selectors.application_for(user=user, pk=pk)
    services.application_submit(application=application, actor=user)
    return _application_out(application)


@router.get("/applications/{pk}/progress", summary="办理进度 / One progress view")
def application_progress(request: HttpRequest, pk: int) -> dict[str, Any]:
    user = _user(request, Capability.ONETHING_APPLY)
    application = selectors.application_for(user=user, pk=pk)
    progress, history = selectors.application_progress(application=application)
    return {"status": application.status,
            "matters": [{"id": p.id, "code": p.code, "name": p.name, "department": p.department, "status": p.status,
                         "due_date": p.due_date, "overdue": p.overdue, "next_step": p.next_step,
                         "info_requests": p.info_requests, "case_id": p.case_id} for p in progress],
            "history": [{"at": h.at, "matter": h.matter, "text": h.text} for h in history]}


@router.post("/applications/{pk}/withdraw", summary="撤回整个申请 / Withdraw the application")
def application_withdraw(request: HttpRequest, pk: int, payload: ReasonIn) -> dict[str, Any]:
    user = _user(request, Capability.ONETHING_APPLY)
    application = selectors.application_for(user=user, pk=pk)
    services.application_withdraw(application=application, actor=user, reason=payload.reason)
    return _application_out(application)


@router.post("/application-matters/{pk}/withdraw", summary="撤回一个事项 / Withdraw one matter")
def matter_withdraw(request: HttpRequest, pk: int, payload: ReasonIn) -> dict[str, Any]:
    user = _user(request, Capability.ONETHING_APPLY)
    am = selectors.matter_for(user=user, pk=pk)
    services.matter_withdraw(matter=am, actor=user, reason=payload.reason)
    return {"id": am.pk, "status": am.status}


@router.get("/offers", summary="我的免申即享待遇 / My benefits")
def offer_list(request: HttpRequest) -> list[dict[str, Any]]:
    user = _user(request, Capability.TALENT_CENTRE)
    return [{"id": o.pk, "policy": o.policy.code, "title": o.policy.title, "rules": o.rules,
             "amount_fen": o.amount_fen, "status": o.status, "ineligible_since": o.ineligible_since}
            for o in selectors.offers_for(user=user)]


@router.post("/offers/{pk}/accept", summary="一键确认 / Accept an offer")
def offer_accept(request: HttpRequest, pk: int) -> dict[str, Any]:
    offer = services.offer_accept(offer_id=pk, actor=_user(request, Capability.TALENT_CENTRE))
    return {"id": offer.pk, "status": offer.status}


def _run_out(run: Any) -> dict[str, Any]:
    return {"id": run.pk, "status": run.status, "as_of": run.as_of, "started_at": run.started_at,
            "finished_at": run.finished_at, "duration": run.duration, "progress": run.progress,
            "persons": run.persons, "offers": run.offers, "grants": run.grants, "flagged": run.flagged,
            "near_misses": run.near_misses, "errors": run.errors}


@router.post("/runs", response={202: dict}, summary="立即运行免申即享匹配 / Run the matching now")
def run_create(request: HttpRequest) -> Status[dict[str, Any]]:
    run = matching.match_run_now(actor=_user(request, Capability.BENEFITS_MANAGE))
    return Status(202, _run_out(run))


@router.get("/runs/{pk}", summary="匹配批次 / A matching run")
def run_get(request: HttpRequest, pk: int) -> dict[str, Any]:
    try:
        return _run_out(selectors.run_for(user=_user(request, Capability.BENEFITS_VIEW), pk=pk))
    except NotFound as exc:
        raise Http404 from exc
