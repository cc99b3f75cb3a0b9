"""Pages of the policy catalogue: the public library and detail, the calculator, and the staff editor with the
sandbox. Thin adapters: parse → one service or selector → render."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onestop.core.exceptions import ApplicationError, NotFound
from onestop.core.models import User
from onestop.core.permissions import Capability
from onestop.core.views.pages import capability_required
from onestop.workflow import calendar as wd

from . import rules, sandbox, selectors, services
from .calculator import calculate
from .choices import Audience, Category
from .forms import CalculatorForm, LibraryFilterForm, PolicyMetaForm, ReasonForm, TryOnForm, VersionForm
from .permissions import can_publish


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@require_GET
def library(request: HttpRequest) -> HttpResponse:
    form = LibraryFilterForm(request.GET or None)
    params = form.cleaned_data if form.is_valid() else {}
    qs = selectors.policies_public(category=params.get("category") or "", audience=params.get("audience") or "",
                                   industry=params.get("industry") or "", q=params.get("q") or "")
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "policies/partials/library_results.html" if getattr(request, "htmx", False) else "policies/library.html"
    return render(request, template, {"form": form, "page": page, "query": query.urlencode(),
                                      "audiences": dict(Audience.choices)})


@require_GET
def detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        policy, current, history = selectors.policy_public_detail(code=code)
    except NotFound:
        raise Http404
    return render(request, "policies/detail.html", {
        "policy": policy, "version": current, "history": history, "rules": rules.rule_views(current.document),
        "parameters": rules.parameter_rows(current.document, as_of=wd.today()),
        "audiences": [Audience(a).label for a in policy.audiences if a in Audience.values],
        "category": Category(policy.category).label,
    })


@require_http_methods(["GET", "POST"])
def calculator(request: HttpRequest) -> HttpResponse:
    """Anonymous: the short form. A signed-in talent: pre-filled from the registry (the answers may be adjusted)."""
    from onestop.talents.facts import facts_for_user

    today = wd.today()
    base = None
    if request.user.is_authenticated:
        base = facts_for_user(request.user, as_of=today)
    form = CalculatorForm(request.POST or None, initial=CalculatorForm.initial_from(base) if base else None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = calculate(facts=form.facts(base), as_of=today)
    elif request.method == "GET" and base is not None:
        result = calculate(facts=base, as_of=today)
    return render(request, "policies/calculator.html", {"form": form, "result": result, "prefilled": base is not None},
                  status=422 if form.errors else 200)


@capability_required(Capability.EMPLOYER_CENTRE)
@require_GET
def employer_calculator_index(request: HttpRequest) -> HttpResponse:
    enterprises = list(selectors.enterprises_for_employer(user=_user(request)))
    if len(enterprises) == 1:
        return redirect(reverse("policies:employer_calculator", kwargs={"enterprise_id": enterprises[0].pk}))
    return render(request, "policies/employer_calculator.html", {"enterprises": enterprises, "enterprise": None})


@capability_required(Capability.EMPLOYER_CENTRE)
@require_GET
def employer_calculator(request: HttpRequest, enterprise_id: int) -> HttpResponse:
    """The employer's own enterprise only: its facts from the registry, the employer-subject policies in force."""
    from .calculator import calculate_for_enterprise

    user = _user(request)
    try:
        enterprise = selectors.enterprise_for_employer(user=user, enterprise_id=enterprise_id)
    except NotFound:
        raise Http404
    from onestop.talents.facts import enterprise_facts_for

    today = wd.today()
    return render(request, "policies/employer_calculator.html", {
        "enterprise": enterprise, "enterprises": selectors.enterprises_for_employer(user=user),
        "facts": enterprise_facts_for(enterprise, as_of=today),
        "result": calculate_for_enterprise(enterprise=enterprise, as_of=today)})


# --- staff: editor ------------------------------------------------------------------------------------------------

@capability_required(Capability.POLICY_EDIT)
@require_GET
def manage_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(request, "policies/manage_list.html", {
        "policies": selectors.policies_for_editor(user=user),
        "awaiting": selectors.versions_awaiting_review(user=user)})


@capability_required(Capability.POLICY_EDIT)
@require_POST
def version_start(request: HttpRequest, code: str) -> HttpResponse:
    user = _user(request)
    try:
        policy = selectors.policy_for_editor(user=user, code=code)
        version = services.policy_version_start(policy=policy, actor=user)
    except NotFound:
        raise Http404
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("policies:manage_list"))
    messages.success(request, _("已从当前版本起草第 %(n)d 版。") % {"n": version.number})
    return redirect(reverse("policies:version_edit", kwargs={"pk": version.pk}))


@capability_required(Capability.POLICY_EDIT)
@require_http_methods(["GET", "POST"])
def policy_meta_edit(request: HttpRequest, code: str) -> HttpResponse:
    """Titles, summaries (zh/en), category and audiences — what the library shows; audited."""
    user = _user(request)
    try:
        policy = selectors.policy_for_editor(user=user, code=code)
    except NotFound:
        raise Http404
    initial = {f: getattr(policy, f) for f in services.META_FIELDS}
    form = PolicyMetaForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.policy_metadata_update(policy=policy, actor=user, **form.cleaned_data)
            messages.success(request, _("政策信息已保存。"))
            return redirect(reverse("policies:manage_list"))
        except NotFound:
            raise Http404
        except ApplicationError as exc:
            form.apply_error(exc)
    return render(request, "policies/policy_meta.html", {"policy": policy, "form": form},
                  status=422 if form.errors else 200)


def _version(request: HttpRequest, pk: int) -> Any:
    try:
        return selectors.version_for_editor(user=_user(request), version_id=pk)
    except NotFound:
        raise Http404


def _editor_context(request: HttpRequest, version: Any, form: VersionForm, issues: list[dict[str, str]],
                    **extra: Any) -> dict[str, Any]:
    user = _user(request)
    return {"version": version, "policy": version.policy, "form": form, "issues": issues,
            "reason_form": ReasonForm(), "try_form": TryOnForm(),
            "can_publish": can_publish(user, version.policy) and user.pk not in (version.created_by_id,
                                                                                 version.submitted_by_id),
            **extra}


@capability_required(Capability.POLICY_EDIT)
@require_http_methods(["GET", "POST"])
def version_edit(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(request, pk)
    initial = {"effective_from": version.effective_from, "effective_to": version.effective_to,
               "change_note": version.change_note,
               "document": json.dumps(version.document, ensure_ascii=False, indent=2),
               "benefits": json.dumps(version.benefits, ensure_ascii=False, indent=2)}
    form = VersionForm(request.POST or None, initial=initial)
    issues = services.version_issues(document=version.document, effective_from=version.effective_from)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                issues = services.policy_version_update(
                    version=version, actor=_user(request), document_text=form.cleaned_data["document"],
                    effective_from=form.cleaned_data["effective_from"],
                    effective_to=form.cleaned_data.get("effective_to"),
                    change_note=form.cleaned_data.get("change_note", ""),
                    benefits_text=form.cleaned_data.get("benefits") or "{}")
                messages.success(request, _("草稿已保存。") if not issues else _("草稿已保存，但规则集仍有问题，见下方提示。"))
                return redirect(reverse("policies:version_edit", kwargs={"pk": version.pk}))
            except NotFound:
                raise Http404
            except ApplicationError as exc:
                form.apply_error(exc)
        status = 422
    return render(request, "policies/version_edit.html", _editor_context(request, version, form, issues),
                  status=status)


@capability_required(Capability.POLICY_EDIT)
@require_POST
def version_validate(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: rulebook's validation of the text in the editor, without saving."""
    version = _version(request, pk)
    document, problems = services.parse_document(request.POST.get("document", ""))
    issues = [{"path": "$", "zh": p, "code": "invalid_json", "en": ""} for p in problems]
    if document is not None:
        issues = services.version_issues(document=document, effective_from=version.effective_from)
    return render(request, "policies/partials/issues.html", {"issues": issues, "checked": True})


@capability_required(Capability.POLICY_EDIT)
@require_POST
def version_sandbox(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(request, pk)
    try:
        data = sandbox.sandbox_simulate(version=version, actor=_user(request))
    except Exception as exc:  # a draft that rulebook cannot compile: show why, in place
        return render(request, "policies/partials/sandbox.html", {"error": str(exc)}, status=422)
    return render(request, "policies/partials/sandbox.html", {"data": data, "version": version})


@capability_required(Capability.POLICY_EDIT)
@require_POST
def version_try_on(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(request, pk)
    form = TryOnForm(request.POST)
    rows: list[dict[str, Any]] = []
    if form.is_valid():
        try:
            rows = sandbox.sandbox_try_on(version=version, actor=_user(request), profile_ids=form.profile_ids())
        except Exception as exc:
            return render(request, "policies/partials/try_on.html", {"error": str(exc)}, status=422)
    return render(request, "policies/partials/try_on.html", {"rows": rows, "form": form})


def _transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    version = _version(request, pk)
    user = _user(request)
    try:
        if action == "submit":
            services.policy_version_submit(version=version, actor=user)
            messages.success(request, _("已提交审核，需由本部门另一位负责人审核发布。"))
        elif action == "publish":
            services.policy_version_publish(version=version, actor=user)
            messages.success(request, _("第 %(n)d 版已发布。") % {"n": version.number})
        else:
            form = ReasonForm(request.POST)
            reason = form.data.get("reason", "")
            services.policy_version_return(version=version, actor=user, reason=reason)
            messages.success(request, _("已退回起草人修改。"))
    except NotFound:
        raise Http404
    except ApplicationError as exc:
        messages.error(request, exc.message)
        for field_messages in exc.field_errors.values():
            for text in field_messages:
                messages.error(request, text)
    return redirect(reverse("policies:version_edit", kwargs={"pk": pk}))


@capability_required(Capability.POLICY_EDIT)
@require_POST
def version_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, "submit")


@capability_required(Capability.POLICY_EDIT)
@require_POST
def version_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, "publish")


@capability_required(Capability.POLICY_EDIT)
@require_POST
def version_return(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, "return")
