"""Pages of events, the 需求榜 and 万人助万企. Thin adapters; out of scope is 404."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import date
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from onestop.core.audit import audit_record
from onestop.core.exceptions import ApplicationError, NotFound
from onestop.core.models import Department, User
from onestop.core.permissions import Capability
from onestop.core.views.pages import capability_required
from onestop.core.views.service_calls import or_404, submit
from onestop.employers.selectors import primary_enterprise

from . import forms, reports, selectors
from .choices import ProblemStatus
from .models import Milestone
from .services import events, needs, visits


def _user(request: HttpRequest) -> User:
    user = request.user
    if not user.is_authenticated:
        raise Http404
    assert isinstance(user, User)
    return user


def _flash(request: HttpRequest, fn: Callable[[], Any], ok: str) -> bool:
    try:
        fn()
    except NotFound:
        raise Http404
    except ApplicationError as exc:
        texts = [m for ms in exc.field_errors.values() for m in ms] or [exc.message]
        for t in texts:
            messages.error(request, t)
        return False
    messages.success(request, ok)
    return True


def _qr(text: str) -> str:
    svg = segno.make(text, error="m").svg_inline(scale=5, dark="#1a1a1a", light="#ffffff")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


# --- events ----------------------------------------------------------------------------------------------------------

@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    page = Paginator(selectors.events_public(kind=kind), 20).get_page(request.GET.get("page"))
    mine = set()
    if request.user.is_authenticated:
        mine = set(selectors.registrations_for(user=_user(request)).values_list("event_id", flat=True))
    return render(request, "engagement/event_list.html", {"page": page, "kind": kind, "mine": mine})


def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = or_404(lambda: selectors.event_public(pk=pk))
    registration = None
    if request.user.is_authenticated:
        registration = selectors.registrations_for(user=_user(request)).filter(event=event).first()
        if request.method == "POST" and registration is None and _flash(
                request, lambda: events.event_register(actor=_user(request), event=event), _("报名成功。")):
            return redirect("engagement:event_detail", event.pk)
    return render(request, "engagement/event_detail.html", {"event": event, "registration": registration})


def registration_qr(request: HttpRequest, pk: int) -> HttpResponse:
    registration = or_404(lambda: selectors.registration_for(user=_user(request), pk=pk))
    url = request.build_absolute_uri(f"/engagement/checkin/{registration.token}/")
    return render(request, "engagement/registration.html", {"registration": registration, "qr": _qr(url)})


@capability_required(Capability.ENGAGEMENT_STAFF)
def event_manage(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = forms.EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        result = submit(form, lambda: events.event_create(actor=user, **d))
        if result:
            messages.success(request, _("活动已创建（筹备中）。"))
            return redirect("engagement:event_manage_detail", result.pk)
    return render(request, "engagement/event_manage.html", {
        "form": form, "events": selectors.events_for_staff(user=user)[:200],
        "counts": selectors.event_counts(year=date.today().year)})


@capability_required(Capability.ENGAGEMENT_STAFF)
def event_manage_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    event = or_404(lambda: selectors.event_for_staff(user=user, pk=pk))
    form = forms.CheckinForm(request.POST if request.POST.get("action") == "checkin" else None)
    if request.method == "POST":
        action = request.POST.get("action")
        fn = {"publish": events.event_publish, "finish": events.event_finish, "cancel": events.event_cancel}.get(
            action or "")
        if fn is not None:
            _flash(request, lambda: fn(actor=user, event=event), _("已更新活动状态。"))
            return redirect("engagement:event_manage_detail", event.pk)
        if form.is_valid():
            token = form.cleaned_data["token"].rstrip("/").split("/")[-1]
            if submit(form, lambda: events.event_checkin(actor=user, token=token)):
                messages.success(request, _("签到成功。"))
                return redirect("engagement:event_manage_detail", event.pk)
    return render(request, "engagement/event_manage_detail.html", {
        "event": event, "form": form, "registrations": event.registrations.select_related("user", "enterprise")})


@capability_required(Capability.ENGAGEMENT_STAFF)
def checkin(request: HttpRequest, token: str) -> HttpResponse:
    """The URL inside the registrant's QR code: staff of the organising department confirm the check-in."""
    if request.method == "POST":
        user = _user(request)
        try:
            registration = events.event_checkin(actor=user, token=token)
            messages.success(request, _("%(n)s 签到成功。") % {"n": registration.user.display_name})
            return redirect("engagement:event_manage_detail", registration.event_id)
        except NotFound:
            raise Http404
        except ApplicationError as exc:
            messages.error(request, exc.message)
    return render(request, "engagement/checkin.html", {"token": token})


# --- 需求榜 ----------------------------------------------------------------------------------------------------------

@require_GET
def need_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.needs_public(field=request.GET.get("field", ""), q=request.GET.get("q", "")[:50]),
                     20).get_page(request.GET.get("page"))
    return render(request, "engagement/need_list.html", {"page": page})


def need_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    need = or_404(lambda: selectors.need_for(user=user, pk=pk))  # type: ignore[arg-type]
    ctx: dict[str, Any] = {"need": need}
    if user.is_authenticated:
        me = _user(request)
        owner = need.enterprise_id in me.enterprise_ids()
        reviewer = need.status == "pending" and selectors.needs_for_review(user=me).filter(pk=need.pk).exists()
        researcher = selectors.researcher_of(user=me)
        apply = forms.ApplyForm(request.POST if request.POST.get("action") == "apply" else None)
        review = forms.ReviewForm(request.POST if request.POST.get("action") == "review" else None)
        if request.method == "POST":
            action = request.POST.get("action")
            if action == "apply" and researcher and apply.is_valid():
                if submit(apply, lambda: needs.need_apply(actor=me, need=need, proposal=apply.cleaned_data["proposal"],
                                                           quote_fen=forms.fen(apply.cleaned_data["quote"]))):
                    messages.success(request, _("揭榜申请已提交。"))
                    return redirect("engagement:need_detail", need.pk)
            elif action == "review" and reviewer and review.is_valid():
                if submit(review, lambda: needs.need_review(actor=me, need=need,
                                                             approve=review.cleaned_data["decision"] == "approve",
                                                             reason=review.cleaned_data["reason"])):
                    messages.success(request, _("审核结果已保存。"))
                    return redirect("engagement:need_review")
            elif action == "select":
                if not owner:
                    raise Http404
                application = or_404(lambda: selectors.application_for_enterprise(
                    user=me, pk=int(request.POST.get("application", "0") or 0)))
                try:
                    contract = needs.need_select(actor=me, application=application)
                    return redirect("engagement:contract_detail", contract.pk)
                except ApplicationError as exc:
                    messages.error(request, exc.message)
        ctx.update({
            "owner": owner, "reviewer": reviewer, "researcher": researcher, "apply": apply, "review": review,
            "applications": selectors.applications_for_need(user=me, need=need),
            "suggestions": selectors.suggest_researchers(user=me, need=need),
            "contract": getattr(need, "contract", None) if owner else None,
        })
    return render(request, "engagement/need_detail.html", ctx)


@capability_required(Capability.EMPLOYER_CENTRE)
def needs_mine(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    enterprise = or_404(lambda: primary_enterprise(user=user))
    form = forms.NeedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if submit(form, lambda: needs.need_submit(actor=user, enterprise=enterprise, title=d["title"],
                                                   field=d["field"], description=d["description"],
                                                   budget_fen=forms.fen(d["budget"]), deadline=d["deadline"])):
            messages.success(request, _("技术需求已提交，审核通过后发布。"))
            return redirect("engagement:needs_mine")
    return render(request, "engagement/needs_mine.html", {
        "form": form, "enterprise": enterprise, "needs": selectors.needs_for_enterprise(user=user)})


@capability_required(Capability.ENGAGEMENT_STAFF)
def need_review(request: HttpRequest) -> HttpResponse:
    return render(request, "engagement/need_review.html", {"needs": selectors.needs_for_review(user=_user(request))})


@capability_required(Capability.TALENT_CENTRE)
def researcher(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    profile = selectors.researcher_of(user=user)
    initial = {"institution": profile.institution, "title": profile.title, "expertise": profile.expertise,
               "is_external": profile.is_external} if profile else None
    form = forms.ResearcherForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid() and submit(
            form, lambda: needs.researcher_profile_save(actor=user, **form.cleaned_data)):
        messages.success(request, _("科研人员信息已保存。"))
        return redirect("engagement:researcher")
    return render(request, "engagement/researcher.html", {
        "form": form, "profile": profile,
        "suggestions": selectors.suggest_needs(researcher=profile) if profile else [],
        "contracts": selectors.contracts_for(user=user)})


def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    contract = or_404(lambda: selectors.contract_for(user=user, pk=pk))
    owner = contract.need.enterprise_id in user.enterprise_ids()
    researcher = contract.application.researcher.user_id == user.pk
    action = request.POST.get("action", "")
    ms_form = forms.MilestonesForm(request.POST if action == "milestones" else None) if owner else None
    declare = forms.DeclareForm(request.POST if action == "declare" else None) if researcher else None
    submission = forms.SubmissionForm(request.POST if action == "submit" else None) if researcher else None
    if request.method == "POST":
        done: Any = None
        if action == "milestones" and ms_form is not None and ms_form.is_valid():
            rows = ms_form.parsed()
            if not ms_form.errors:
                done = submit(ms_form, lambda: needs.contract_set_milestones(actor=user, contract=contract,
                                                                              milestones=rows))
        elif action == "declare" and declare is not None and declare.is_valid():
            done = submit(declare, lambda: needs.contract_declare(actor=user, contract=contract,
                                                                   **declare.cleaned_data))
        elif action == "sign" and owner:
            done = _flash(request, lambda: needs.contract_sign(actor=user, contract=contract), _("合同已签约。"))
        elif action in ("submit", "accept"):
            milestone = Milestone.objects.filter(contract=contract, pk=int(request.POST.get("milestone", 0) or 0)).first()
            if milestone is None:
                raise Http404
            if action == "submit" and submission is not None and submission.is_valid():
                done = submit(submission, lambda: needs.milestone_submit(
                    actor=user, milestone=milestone, submission=submission.cleaned_data["submission"]))
            elif action == "accept" and owner:
                done = _flash(request, lambda: needs.milestone_accept(actor=user, milestone=milestone),
                              _("已验收，付款记录已生成。"))
        if done:
            return redirect("engagement:contract_detail", contract.pk)
    return render(request, "engagement/contract_detail.html", {
        "contract": contract, "owner": owner, "researcher": researcher, "ms_form": ms_form, "declare": declare,
        "submission": submission, "milestones": contract.milestones.select_related("payment")})


# --- 万人助万企 ---------------------------------------------------------------------------------------------------------

@capability_required(Capability.ENGAGEMENT_STAFF)
def visit_home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    enterprises = list(selectors.enterprises_for_official(user=user))
    departments = Department.objects.all()
    action = request.POST.get("action", "")
    plan_form = forms.PlanForm(request.POST if action == "plan" else None, enterprises=enterprises)
    visit_form = forms.VisitForm(request.POST if action == "visit" else None, enterprises=enterprises,
                                 departments=departments)
    if request.method == "POST":
        done = None
        if action == "plan" and plan_form.is_valid():
            d = plan_form.cleaned_data
            enterprise = or_404(lambda: selectors.enterprise_for_official(user=user, pk=d["enterprise"]))
            done = submit(plan_form, lambda: visits.visit_plan_create(
                actor=user, enterprise=enterprise, planned_date=d["planned_date"], topic=d["topic"]))
        elif action == "visit" and visit_form.is_valid():
            d = visit_form.cleaned_data
            enterprise = or_404(lambda: selectors.enterprise_for_official(user=user, pk=d["enterprise"]))
            done = submit(visit_form, lambda: visits.visit_log(
                actor=user, enterprise=enterprise, visited_on=d["visited_on"], participants=d["participants"],
                explained=d["explained"], needs_heard=d["needs_heard"], problems=visit_form.problems()))
        if done:
            messages.success(request, _("已保存。"))
            return redirect("engagement:visit_home")
    return render(request, "engagement/visit_home.html", {
        "enterprises": enterprises, "plan_form": plan_form, "visit_form": visit_form,
        "plans": selectors.visit_plans_for(user=user)[:50], "visits": selectors.visits_for(user=user)[:50]})


@login_required
def problem_list(request: HttpRequest) -> HttpResponse:
    """Scoped per user (owner department, the enterprise, the assigned official); anonymous visitors sign in first,
    anyone without a ledger gets 404."""
    user = _user(request)
    if not selectors.can_open_problem_ledger(user=user):
        raise Http404
    status = request.GET.get("status", "")
    page = Paginator(selectors.problems_for(user=user, status=status), 30).get_page(request.GET.get("page"))
    return render(request, "engagement/problem_list.html", {"page": page, "status": status,
                                                             "statuses": ProblemStatus.choices})


def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    problem = or_404(lambda: selectors.problem_for(user=user, pk=pk))
    owner = problem.owner_department_id in user.department_ids()
    enterprise = problem.enterprise_id in user.enterprise_ids()
    action = request.POST.get("action", "")
    act = forms.ProblemActionForm(request.POST if action in ("reply", "resolve") else None) if owner else None
    confirm = forms.ConfirmForm(request.POST if action == "confirm" else None) if enterprise else None
    if request.method == "POST":
        done = None
        if act is not None and act.is_bound and act.is_valid():
            fn = visits.problem_reply if action == "reply" else visits.problem_resolve
            done = submit(act, lambda: fn(actor=user, problem=problem, text=act.cleaned_data["text"]))
        elif confirm is not None and confirm.is_bound and confirm.is_valid():
            d = confirm.cleaned_data
            done = submit(confirm, lambda: visits.problem_confirm(
                actor=user, problem=problem, satisfied=d["satisfied"] == "yes", satisfaction=d["satisfaction"],
                comment=d["comment"]))
        if done:
            messages.success(request, _("已保存。"))
            return redirect("engagement:problem_detail", problem.pk)
    return render(request, "engagement/problem_detail.html", {
        "problem": problem, "updates": problem.updates.select_related("actor"), "act": act, "confirm": confirm,
        "owner": owner, "enterprise": enterprise})


@capability_required(Capability.ENGAGEMENT_STAFF)
def visit_report(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    try:
        month = date.fromisoformat((request.GET.get("month") or f"{date.today():%Y-%m}") + "-01")
    except ValueError:
        month = date.today().replace(day=1)
    report = selectors.monthly_report(user=user, month=month)
    if request.GET.get("format") == "xlsx":
        audit_record(action="visit.report.export", actor=user, detail={"month": f"{month:%Y-%m}"})
        response = HttpResponse(reports.monthly_workbook(report), content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
        response["Content-Disposition"] = f'attachment; filename="visits-{month:%Y-%m}.xlsx"'
        return response
    return render(request, "engagement/visit_report.html", {"report": report, "month": month})


