"""Pages of the workflow engine: the department queue, task detail, the applicant's cases and timeline, the head's
load chart, the holiday calendar for the system admin. Thin adapters: parse → one service or selector → render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onestop.core.exceptions import ApplicationError, NotFound
from onestop.core.models import User
from onestop.core.permissions import Capability
from onestop.core.views import pages

from . import calendar as wd
from . import selectors, services
from .choices import OPEN_TASK_STATES, DayType, TaskAction
from .forms import (
    BulkDecisionForm,
    CalendarYearForm,
    ProvideInfoForm,
    QueueFilterForm,
    ServiceRequestForm,
    TaskActionForm,
    WithdrawForm,
)
from .models import CalendarYear

PAGE_SIZE = 25
View = Callable[..., HttpResponse]


def capability_required(capability: Capability) -> Callable[[View], View]:
    """Signed in and holding the capability, else 404 (core's decorator, typed)."""
    decorator: Callable[[View], View] = pages.capability_required(capability)
    return decorator


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# --- department queue ------------------------------------------------------------------------------------------------

def _queue_context(request: HttpRequest, data: Any) -> dict[str, Any]:
    user = _user(request)
    form = QueueFilterForm(data, definitions=selectors.queue_definitions())
    params = form.cleaned_data if form.is_valid() else {}
    qs = selectors.queue_for(user=user, definition=params.get("definition") or "", state=params.get("state") or "",
                             overdue=bool(params.get("overdue")), mine=bool(params.get("mine")),
                             sort=params.get("sort") or "due")
    page = Paginator(qs, PAGE_SIZE).get_page(data.get("page"))
    query = data.copy()
    query.pop("page", None)
    for key in ("csrfmiddlewaretoken", "task_ids", "action", "reason"):
        query.pop(key, None)
    return {
        "form": form, "page": page, "counts": selectors.queue_counts(user=user), "query": query.urlencode(),
        "states": [(s.value, s.label) for s in OPEN_TASK_STATES], "bulk_form": BulkDecisionForm(),
        "today": wd.today(), "uncovered": wd.uncovered_years_ahead(),
    }


def _render_queue(request: HttpRequest, data: Any, status: int = 200) -> HttpResponse:
    context = _queue_context(request, data)
    template = "workflow/partials/queue_results.html" if getattr(request, "htmx", False) else "workflow/queue.html"
    return render(request, template, context, status=status)


@capability_required(Capability.WORKFLOW_QUEUE)
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    return _render_queue(request, request.GET)


@capability_required(Capability.WORKFLOW_QUEUE)
@require_POST
def task_claim(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx from the queue: claim, then re-render the queue with the same filters."""
    user = _user(request)
    try:
        task = selectors.task_for(user=user, task_id=pk)
        services.task_claim(task=task, actor=user)
        messages.success(request, _("已认领：%(t)s") % {"t": task.case.title})
    except NotFound:
        raise Http404
    except ApplicationError as exc:
        messages.error(request, exc.message)
    if not getattr(request, "htmx", False):
        return redirect(reverse("workflow:task_detail", kwargs={"pk": pk}))
    return _render_queue(request, request.POST)


@capability_required(Capability.WORKFLOW_QUEUE)
@require_POST
def queue_bulk(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = BulkDecisionForm(request.POST)
    ids = [int(v) for v in request.POST.getlist("task_ids") if v.isdigit()]
    if form.is_valid():
        try:
            result = services.tasks_bulk_decide(task_ids=ids, actor=user, action=form.cleaned_data["action"],
                                                reason=form.cleaned_data.get("reason", ""))
            if result.done:
                messages.success(request, _("已办理 %(n)d 件。") % {"n": len(result.done)})
            for task_id, failure in result.failed.items():
                messages.error(request, _("任务 #%(id)d：%(m)s") % {"id": task_id, "m": failure})
        except ApplicationError as exc:
            for field_messages in exc.field_errors.values():
                for text in field_messages:
                    messages.error(request, text)
            if not exc.field_errors:
                messages.error(request, exc.message)
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    if not getattr(request, "htmx", False):
        return redirect(reverse("workflow:queue"))
    return _render_queue(request, request.POST)


# --- task detail -----------------------------------------------------------------------------------------------------

@capability_required(Capability.WORKFLOW_QUEUE)
@require_http_methods(["GET", "POST"])
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    try:
        task = selectors.task_for(user=user, task_id=pk)
    except NotFound:
        raise Http404
    allowed = selectors.actions_for(user=user, task=task)
    people = selectors.assignable_people(task=task) if TaskAction.REASSIGN in allowed else []
    bound: TaskActionForm | None = None
    if request.method == "POST":
        bound = TaskActionForm(request.POST, people=people)
        if bound.is_valid():
            action = bound.cleaned_data["action"]
            try:
                services.task_act(task=task, actor=user, action=action, reason=bound.cleaned_data.get("reason", ""),
                                  assignee_id=bound.cleaned_data.get("assignee"))
                messages.success(request, _("已%(a)s。") % {"a": TaskAction(action).label})
                return HttpResponseRedirect(reverse("workflow:task_detail", kwargs={"pk": pk}))
            except NotFound:
                raise Http404
            except ApplicationError as exc:
                bound.apply_error(exc)
    forms = []
    for action in allowed:
        if bound is not None and bound.data.get("action") == action:
            form = bound
        else:
            form = TaskActionForm(initial={"action": action}, people=people, auto_id=f"id_{action}_%s")
        forms.append({"action": action, "label": TaskAction(action).label, "form": form,
                      "needs_reason": action in services.REASON_REQUIRED,
                      "danger": action in (TaskAction.REJECT,)})
    timeline = selectors.case_timeline(case=task.case, viewer=user)
    return render(request, "workflow/task_detail.html", {
        "task": task, "forms": forms, "timeline": timeline, "today": wd.today(),
        "open_form": bound.data.get("action") if bound is not None else "",
    }, status=422 if bound is not None and bound.errors else 200)


# --- applicant: cases and timeline -----------------------------------------------------------------------------------

@login_required
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    """The applicant's own cases; a role that never applies (leader, auditor, partner, administrators) gets 404."""
    user = _user(request)
    if not selectors.can_open_case_list(user=user):
        raise Http404
    page = Paginator(selectors.cases_for_applicant(user=user), 20).get_page(request.GET.get("page"))
    return render(request, "workflow/case_list.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    try:
        case = selectors.case_for(user=user, case_id=pk)
    except NotFound:
        raise Http404
    info_form = ProvideInfoForm()
    withdraw_form = WithdrawForm()
    status = 200
    if request.method == "POST" and case.applicant_id == user.pk:
        try:
            if request.POST.get("op") == "withdraw":
                withdraw_form = WithdrawForm(request.POST)
                if withdraw_form.is_valid():
                    services.case_withdraw(case=case, actor=user, reason=withdraw_form.cleaned_data["reason"])
                    messages.success(request, _("申请已撤回。"))
                    return HttpResponseRedirect(reverse("workflow:case_detail", kwargs={"pk": pk}))
            else:
                info_form = ProvideInfoForm(request.POST)
                if info_form.is_valid():
                    services.case_provide_info(case=case, actor=user, message=info_form.cleaned_data["message"])
                    messages.success(request, _("补充材料已提交，办理期限恢复计时。"))
                    return HttpResponseRedirect(reverse("workflow:case_detail", kwargs={"pk": pk}))
        except ApplicationError as exc:
            (withdraw_form if request.POST.get("op") == "withdraw" else info_form).apply_error(exc)
        status = 422
    elif request.method == "POST":
        raise Http404
    timeline = selectors.case_timeline(case=case, viewer=user)
    return render(request, "workflow/case_detail.html", {
        "case": case, "timeline": timeline, "info_form": info_form, "withdraw_form": withdraw_form,
        "is_applicant": case.applicant_id == user.pk,
    }, status=status)


@capability_required(Capability.TALENT_CENTRE)
@require_http_methods(["GET", "POST"])
def service_request_new(request: HttpRequest) -> HttpResponse:
    form = ServiceRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sr = services.service_request_submit(applicant=_user(request), **form.cleaned_data)
            case = selectors.cases_for_applicant(user=_user(request)).filter(subject_id=sr.pk).first()
            messages.success(request, _("申请已提交，请留意办理进度。"))
            if case is not None:
                return HttpResponseRedirect(reverse("workflow:case_detail", kwargs={"pk": case.pk}))
            return redirect(reverse("workflow:case_list"))
        except ApplicationError as exc:
            form.apply_error(exc)
    return render(request, "workflow/service_request_form.html", {"form": form},
                  status=422 if form.errors else 200)


# --- department head: load chart -----------------------------------------------------------------------------------

@capability_required(Capability.WORKFLOW_LOAD)
@require_GET
def load(request: HttpRequest) -> HttpResponse:
    data = selectors.department_load(user=_user(request))
    return render(request, "workflow/load.html", {"data": data})


# --- system admin: holiday calendar ----------------------------------------------------------------------------------

@capability_required(Capability.CALENDAR_MANAGE)
@require_GET
def calendar_list(request: HttpRequest) -> HttpResponse:
    years = list(CalendarYear.objects.select_related("updated_by").order_by("-year"))
    this_year = wd.today().year
    return render(request, "workflow/calendar_list.html", {
        "years": years, "uncovered": wd.uncovered_years_ahead(years=2), "next_year": this_year + 1})


def _day_lines(calendar_year: CalendarYear, day_type: str) -> str:
    """Consecutive days with one name become one range line."""
    lines: list[str] = []
    run: list[Any] = []
    for day in calendar_year.days.filter(day_type=day_type).order_by("date"):
        if run and (day.date - run[-1].date).days == 1 and day.name == run[0].name:
            run.append(day)
            continue
        if run:
            lines.append(_range_line(run))
        run = [day]
    if run:
        lines.append(_range_line(run))
    return "\n".join(lines)


def _range_line(run: list[Any]) -> str:
    head = run[0].date.isoformat() if len(run) == 1 else f"{run[0].date.isoformat()}~{run[-1].date.isoformat()}"
    return f"{head} {run[0].name}".strip()


@capability_required(Capability.CALENDAR_MANAGE)
@require_http_methods(["GET", "POST"])
def calendar_edit(request: HttpRequest, year: int) -> HttpResponse:
    existing = CalendarYear.objects.filter(year=year).first()
    initial: dict[str, Any] = {"year": year}
    if existing is not None:
        initial.update(announcement=existing.announcement, holidays=_day_lines(existing, DayType.HOLIDAY),
                       workdays=_day_lines(existing, DayType.WORKDAY))
    form = CalendarYearForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.calendar_year_enter(year=data["year"], holidays=data["holiday_days"],
                                         workdays=data["workday_days"], announcement=data["announcement"],
                                         actor=_user(request))
            messages.success(request, _("%(y)d 年节假日安排已保存。") % {"y": data["year"]})
            return redirect(reverse("workflow:calendar_list"))
        except NotFound:
            raise Http404
        except ApplicationError as exc:
            form.apply_error(exc)
    return render(request, "workflow/calendar_form.html", {"form": form, "year": year, "existing": existing},
                  status=422 if form.errors else 200)

