"""Pages of 人才一件事 and 免申即享. Thin adapters: parse → one service or selector → render. Business errors are
shown next to what caused them; what a user may not see answers 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onestop.core.exceptions import ApplicationError, NotFound
from onestop.core.models import User
from onestop.core.permissions import Capability, has_capability
from onestop.core.views.pages import capability_required

from . import matching, selectors, services
from .catalogue import document_types
from .choices import ApplicationStatus, BenefitMode, RunStatus


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _error(request: HttpRequest, exc: ApplicationError) -> None:
    messages.error(request, exc.message)
    for errors in exc.field_errors.values():
        for text in errors:
            messages.error(request, text)


def _found(fn: Any, **kwargs: Any) -> Any:
    try:
        return fn(**kwargs)
    except NotFound as exc:
        raise Http404 from exc


# --- the talent ------------------------------------------------------------------------------------------------------

@capability_required(Capability.ONETHING_APPLY)
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if request.method == "POST":
        try:
            draft = services.application_start(actor=user)
        except ApplicationError as exc:
            _error(request, exc)
            return redirect("onething:index")
        return redirect("onething:detail", pk=draft.pk)
    return render(request, "onething/index.html", {
        "applications": selectors.applications_for(user=user), "catalogue": selectors.matters_catalogue()})


def _detail_context(request: HttpRequest, application: Any) -> dict[str, Any]:
    ctx: dict[str, Any] = {"application": application}
    if application.status == ApplicationStatus.DRAFT:
        checks = services.application_precheck(application=application)
        selected = list(application.matters.select_related("matter", "matter__department"))
        chosen = {am.matter.code for am in selected}
        types = document_types()
        needed: dict[str, dict[str, Any]] = {}
        for am in selected:
            for code in am.matter.documents:
                needed.setdefault(code, {"code": code, "name": types[code]["name"], "matters": [],
                                         "document": None})["matters"].append(am.matter.name)
        for slot in application.documents.select_related("document"):
            if slot.code in needed:
                needed[slot.code]["document"] = slot.document
        ctx.update({"catalogue": selectors.matters_catalogue(), "chosen": chosen,
                    "rows": [(am, checks[am.pk]) for am in selected], "documents": list(needed.values()),
                    "all_likely": bool(selected) and all(c.verdict == "likely" for c in checks.values())})
    else:
        progress, history = selectors.application_progress(application=application)
        ctx.update({"progress": progress, "history": history})
    return ctx


@capability_required(Capability.ONETHING_APPLY)
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = _found(selectors.application_for, user=_user(request), pk=pk)
    return render(request, "onething/detail.html", _detail_context(request, application))


@capability_required(Capability.ONETHING_APPLY)
@require_GET
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The htmx-polled progress partial of a submitted application."""
    application = _found(selectors.application_for, user=_user(request), pk=pk)
    if application.status == ApplicationStatus.DRAFT:
        raise Http404
    return render(request, "onething/partials/progress.html", _detail_context(request, application))


@capability_required(Capability.ONETHING_APPLY)
@require_POST
def select_matters(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    application = _found(selectors.application_for, user=user, pk=pk)
    try:
        services.application_select_matters(application=application, actor=user, codes=request.POST.getlist("matters"))
    except ApplicationError as exc:
        _error(request, exc)
    return redirect("onething:detail", pk=pk)


@capability_required(Capability.ONETHING_APPLY)
@require_POST
def attach_document(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    application = _found(selectors.application_for, user=user, pk=pk)
    try:
        services.application_attach_document(application=application, actor=user, code=request.POST.get("code", ""),
                                             upload=request.FILES.get("file"))
        messages.success(request, _("材料已上传，所有需要它的事项共用这一份。"))
    except ApplicationError as exc:
        _error(request, exc)
    return redirect("onething:detail", pk=pk)


@capability_required(Capability.ONETHING_APPLY)
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    application = _found(selectors.application_for, user=user, pk=pk)
    try:
        services.application_submit(application=application, actor=user)
        messages.success(request, _("申请已提交，各事项已同时转交责任部门。"))
    except ApplicationError as exc:
        _error(request, exc)
    return redirect("onething:detail", pk=pk)


@capability_required(Capability.ONETHING_APPLY)
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    application = _found(selectors.application_for, user=user, pk=pk)
    try:
        services.application_withdraw(application=application, actor=user, reason=request.POST.get("reason", ""))
        messages.success(request, _("申请已撤回。"))
    except ApplicationError as exc:
        _error(request, exc)
    return redirect("onething:detail", pk=pk)


@capability_required(Capability.ONETHING_APPLY)
@require_POST
def matter_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    am = _found(selectors.matter_for, user=user, pk=pk)
    try:
        services.matter_withdraw(matter=am, actor=user, reason=request.POST.get("reason", ""))
        messages.success(request, _("事项已撤回。"))
    except ApplicationError as exc:
        _error(request, exc)
    return redirect("onething:detail", pk=am.application_id)


@capability_required(Capability.ONETHING_APPLY)
@require_POST
def matter_info(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer a department's request for more material, from the progress view."""
    from onestop.workflow.services import case_provide_info

    user = _user(request)
    am = _found(selectors.matter_for, user=user, pk=pk)
    if am.case is None:
        raise Http404
    try:
        case_provide_info(case=am.case, actor=user, message=request.POST.get("message", ""))
        messages.success(request, _("补充材料已提交，办理期限恢复计时。"))
    except ApplicationError as exc:
        _error(request, exc)
    return redirect("onething:detail", pk=am.application_id)


@capability_required(Capability.TALENT_CENTRE)
@require_GET
def benefits(request: HttpRequest) -> HttpResponse:
    return render(request, "onething/benefits.html", {"offers": selectors.offers_for(user=_user(request))})


@capability_required(Capability.TALENT_CENTRE)
@require_POST
def offer_decide(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = _user(request)
    try:
        if action == "accept":
            services.offer_accept(offer_id=pk, actor=user)
            messages.success(request, _("已确认，主管部门将按政策兑现。"))
        elif action == "decline":
            services.offer_decline(offer_id=pk, actor=user)
            messages.success(request, _("已放弃该待遇。"))
        else:
            raise Http404
    except NotFound as exc:
        raise Http404 from exc
    except ApplicationError as exc:
        _error(request, exc)
    return redirect("onething:benefits")


# --- staff -----------------------------------------------------------------------------------------------------------

@capability_required(Capability.BENEFITS_VIEW)
@require_http_methods(["GET", "POST"])
def runs(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if request.method == "POST":
        if not has_capability(user, Capability.BENEFITS_MANAGE):
            raise Http404
        try:
            run = matching.match_run_now(actor=user)
            messages.success(request, _("匹配已开始。"))
            return redirect("onething:run", pk=run.pk)
        except ApplicationError as exc:
            _error(request, exc)
        return redirect("onething:runs")
    return render(request, "onething/runs.html", {
        "runs": selectors.runs_for(user=user)[:50], "policies": selectors.benefit_policies_for(user=user),
        "modes": BenefitMode.choices,
        "flagged": selectors.flagged_offers_for(user=user)[:200]})


@capability_required(Capability.BENEFITS_VIEW)
@require_GET
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    run = _found(selectors.run_for, user=user, pk=pk)
    policy = request.GET.get("policy", "")
    return render(request, "onething/run_detail.html", {
        "run": run, "near": selectors.near_misses_for(user=user, run=run, policy_code=policy)[:500],
        "policy": policy})


@capability_required(Capability.BENEFITS_VIEW)
@require_GET
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    run = _found(selectors.run_for, user=_user(request), pk=pk)
    return render(request, "onething/partials/run_progress.html", {
        "run": run, "polling": run.status in (RunStatus.QUEUED, RunStatus.RUNNING)})


@capability_required(Capability.BENEFITS_MANAGE)
@require_POST
def policy_mode(request: HttpRequest, code: str) -> HttpResponse:
    from onestop.policies.models import Policy

    user = _user(request)
    policy = Policy.objects.filter(code=code).first()
    if policy is None:
        raise Http404
    try:
        services.benefit_setting_set(policy=policy, actor=user, mode=request.POST.get("mode", ""))
        messages.success(request, _("已保存免申即享设置。"))
    except NotFound as exc:
        raise Http404 from exc
    except ApplicationError as exc:
        _error(request, exc)
    return redirect("onething:runs")
