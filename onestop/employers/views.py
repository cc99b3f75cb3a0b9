"""Pages of the enterprise portal and of the talent office's employer desk. Thin adapters: parse → one service or
selector → render. Whatever the user may not see answers 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from onestop.core.audit import audit_record
from onestop.core.exceptions import ApplicationError, NotFound
from onestop.core.models import User
from onestop.core.permissions import Capability
from onestop.core.views.pages import capability_required
from onestop.core.views.service_calls import or_404, submit

from . import forms, selectors, services
from .models import FundingApplication, HrInvitation


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _enterprise(request: HttpRequest) -> Any:
    return or_404(lambda: selectors.primary_enterprise(user=_user(request)))


# --- the portal ------------------------------------------------------------------------------------------------------

@capability_required(Capability.EMPLOYER_CENTRE)
@require_POST
def licence_upload(request: HttpRequest) -> HttpResponse:
    enterprise = _enterprise(request)
    form = forms.LicenceForm(request.POST, request.FILES)
    if form.is_valid() and submit(form, lambda: services.licence_upload(
            actor=_user(request), enterprise=enterprise, upload=form.cleaned_data["licence"])):
        messages.success(request, _("营业执照已上传，等待人才办核验。"))
    else:
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, str(e))
    return redirect("core:employer_home")


@capability_required(Capability.EMPLOYER_MANAGE)
def hr_list(request: HttpRequest) -> HttpResponse:
    enterprise = _enterprise(request)
    form = forms.InviteForm(request.POST or None)
    link = ""
    if request.method == "POST" and form.is_valid():
        result = submit(form, lambda: services.hr_invite(actor=_user(request), enterprise=enterprise,
                                                          real_name=form.cleaned_data["real_name"],
                                                          phone=form.cleaned_data["phone"]))
        if result:
            link = request.build_absolute_uri(f"/employer/invitations/{result[1]}/")
            form = forms.InviteForm()
    return render(request, "employers/hr.html", {
        "enterprise": enterprise, "form": form, "link": link,
        "invitations": selectors.invitations_for(user=_user(request), enterprise=enterprise)})


@capability_required(Capability.EMPLOYER_MANAGE)
@require_POST
def hr_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = HrInvitation.objects.filter(pk=pk).first()
    if invitation is None:
        raise Http404
    try:
        services.hr_invitation_revoke(actor=_user(request), invitation=invitation)
    except NotFound:
        raise Http404
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("employers:hr")


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = or_404(lambda: services.invitation_by_token(token))
    form = forms.AcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and submit(
            form, lambda: services.hr_invitation_accept(token=token, password=form.cleaned_data["password"])):
        messages.success(request, _("账号已开通，请用手机号登录。"))
        return redirect("core:login")
    return render(request, "employers/invitation_accept.html", {"invitation": invitation, "form": form})


@capability_required(Capability.EMPLOYER_CENTRE)
def employments(request: HttpRequest) -> HttpResponse:
    enterprise = _enterprise(request)
    return render(request, "employers/employments.html", {
        "enterprise": enterprise, "form": forms.DecideForm(),
        "employments": selectors.employments_for_employer(user=_user(request), enterprise=enterprise)})


@capability_required(Capability.EMPLOYER_CENTRE)
@require_POST
def employment_decide(request: HttpRequest, pk: int) -> HttpResponse:
    form = forms.DecideForm(request.POST)
    if form.is_valid():
        try:
            services.employment_decide(actor=_user(request), employment_id=pk,
                                       confirm=form.cleaned_data["decision"] == "confirm",
                                       reason=form.cleaned_data["reason"])
            messages.success(request, _("已处理。"))
        except NotFound:
            raise Http404
        except ApplicationError as exc:
            for errors in exc.field_errors.values():
                for e in errors:
                    messages.error(request, e)
            if not exc.field_errors:
                messages.error(request, exc.message)
    return redirect("employers:employments")


@capability_required(Capability.EMPLOYER_CENTRE)
def talents(request: HttpRequest) -> HttpResponse:
    enterprise = _enterprise(request)
    return render(request, "employers/talents.html", {
        "enterprise": enterprise, "rows": selectors.talents_for_employer(user=_user(request), enterprise=enterprise)})


@capability_required(Capability.EMPLOYER_CENTRE)
@require_http_methods(["GET", "POST"])
def nominate(request: HttpRequest, profile_id: int) -> HttpResponse:
    from onestop.talents import certification as cert
    from onestop.talents.models import TalentProfile

    enterprise = _enterprise(request)
    profile = TalentProfile.objects.select_related("user").filter(pk=profile_id, employer=enterprise).first()
    if profile is None:
        raise Http404
    form = forms.NominateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        documents = list(profile.documents.values_list("pk", flat=True))
        if submit(form, lambda: cert.certification_apply(
                actor=_user(request), profile=profile, track=data["track"], claimed_tier=data["claimed_tier"],
                equivalent_claim=data["equivalent_claim"], statement=data["statement"], document_ids=documents)):
            messages.success(request, _("已推荐 %(n)s 申请人才认定。") % {"n": profile.user.display_name})
            return redirect("employers:talents")
    return render(request, "employers/nominate.html", {"profile": profile, "form": form})


# --- jobs ------------------------------------------------------------------------------------------------------------

@capability_required(Capability.EMPLOYER_CENTRE)
def jobs(request: HttpRequest) -> HttpResponse:
    enterprise = _enterprise(request)
    form = forms.JobForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if submit(form, lambda: services.job_create(
                actor=_user(request), enterprise=enterprise, title=d["title"], industry=d["industry"],
                education_min=d["education_min"], description=d["description"],
                salary_min_fen=forms.fen(d["salary_min"]), salary_max_fen=forms.fen(d["salary_max"]),
                headcount=d["headcount"], location=d["location"], publish=d["publish"])):
            messages.success(request, _("岗位已保存。"))
            return redirect("employers:jobs")
    return render(request, "employers/jobs.html", {
        "enterprise": enterprise, "form": form, "jobs": selectors.jobs_for_employer(user=_user(request),
                                                                                    enterprise=enterprise)})


@capability_required(Capability.EMPLOYER_CENTRE)
@require_POST
def job_status(request: HttpRequest, pk: int) -> HttpResponse:
    job = or_404(lambda: selectors.job_for_employer(user=_user(request), pk=pk))
    try:
        services.job_set_status(actor=_user(request), job=job, status=request.POST.get("status", ""))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("employers:jobs")


def job_search(request: HttpRequest) -> HttpResponse:
    form = forms.JobSearchForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    from django.core.paginator import Paginator

    qs = selectors.jobs_search(industry=data.get("industry", ""), education=data.get("education", ""),
                               q=data.get("q", ""))
    return render(request, "employers/job_search.html", {"form": form,
                                                         "page": Paginator(qs, 20).get_page(request.GET.get("page"))})


def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "employers/job_detail.html", {"job": or_404(lambda: selectors.job_public(pk=pk))})


# --- funding ---------------------------------------------------------------------------------------------------------

@capability_required(Capability.EMPLOYER_CENTRE)
def funding(request: HttpRequest) -> HttpResponse:
    enterprise = _enterprise(request)
    today = timezone.localdate()
    certificates = list(services.funding_eligible_certificates(enterprise=enterprise, as_of=today))
    form = forms.FundingForm(request.POST or None, certificates=certificates)
    quote = None
    try:
        quote = services.funding_quote(enterprise=enterprise, as_of=today)
    except ApplicationError as exc:
        messages.warning(request, exc.message)
    if request.method == "POST" and form.is_valid():
        result = submit(form, lambda: services.funding_apply(
            actor=_user(request), enterprise=enterprise, certificate_id=form.cleaned_data["certificate"],
            statement=form.cleaned_data["statement"]))
        if result:
            messages.success(request, _("经费申请已提交，等待人才办审核。"))
            return redirect("employers:funding_detail", result.pk)
    from .models import FundingLedger

    ledger = FundingLedger.objects.filter(enterprise=enterprise, year=today.year).first()
    return render(request, "employers/funding.html", {
        "enterprise": enterprise, "form": form, "quote": quote, "ledger": ledger, "has_certificates": bool(certificates),
        "applications": selectors.funding_for_employer(user=_user(request), enterprise=enterprise)})


@capability_required(Capability.STAFF_WORKBENCH)
def funding_office(request: HttpRequest) -> HttpResponse:
    return render(request, "employers/funding_office.html", {
        "applications": selectors.funding_for_office(user=_user(request))[:200]})


def funding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        raise Http404
    user = _user(request)
    application: FundingApplication = or_404(lambda: selectors.funding_application_for(user=user, pk=pk))
    from django.contrib.contenttypes.models import ContentType

    from onestop.workflow.models import Case
    from onestop.workflow.selectors import case_timeline

    case = (Case.objects.filter(subject_type=ContentType.objects.get_for_model(FundingApplication),
                                subject_id=application.pk).order_by("-created_at").first())
    office = services.in_department(user, services.REVIEW_DEPARTMENT)
    form = forms.PaymentForm(request.POST or None) if office else None
    if request.method == "POST" and form is not None and form.is_valid():
        d = form.cleaned_data
        if submit(form, lambda: services.funding_payment_record(
                actor=user, application=application, amount_fen=forms.fen(d["amount"]), paid_on=d["paid_on"],
                voucher_no=d["voucher_no"])):
            messages.success(request, _("拨付记录已登记。"))
            return redirect("employers:funding_detail", application.pk)
    return render(request, "employers/funding_detail.html", {
        "application": application, "payments": application.payments.all(), "form": form,
        "timeline": case_timeline(case=case, viewer=user) if case else None})


# --- 区聘企用 ---------------------------------------------------------------------------------------------------------

@login_required
def placements(request: HttpRequest) -> HttpResponse:
    """Scoped per user (placement staff, the host enterprise, the talent); anonymous visitors sign in first, anyone
    whose role has no placements gets 404."""
    user = _user(request)
    if not selectors.can_open_placements(user=user):
        raise Http404
    staff = services.in_department(user, *services.PLACEMENT_DEPARTMENTS)
    form = forms.PlacementForm(request.POST or None) if staff else None
    if request.method == "POST" and form is not None and form.is_valid():
        d = form.cleaned_data
        if submit(form, lambda: services.placement_create(
                actor=user, talent_id=d["talent"], uscc=d["uscc"], contract_no=d["contract_no"],
                position=d["position"], start_date=d["start_date"], end_date=d["end_date"],
                monthly_cost_fen=forms.fen(d["monthly_cost"]), zone_share_pct=d["zone_share_pct"])):
            messages.success(request, _("区聘企用合同已登记。"))
            return redirect("employers:placements")
    return render(request, "employers/placements.html", {"form": form,
                                                         "placements": selectors.placements_for(user=user)})


def placement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        raise Http404
    user = _user(request)
    placement = or_404(lambda: selectors.placement_for(user=user, pk=pk))
    staff = services.in_department(user, *services.PLACEMENT_DEPARTMENTS)
    host = placement.enterprise_id in user.enterprise_ids()
    evaluate = forms.EvaluationForm(request.POST if request.POST.get("action") == "evaluate" else None) if host else None
    renew = forms.RenewForm(request.POST if request.POST.get("action") == "renew" else None) if staff else None
    end = forms.EndForm(request.POST if request.POST.get("action") == "end" else None) if staff else None
    if request.method == "POST":
        done = None
        if evaluate is not None and evaluate.is_bound and evaluate.is_valid():
            d = evaluate.cleaned_data
            done = submit(evaluate, lambda: services.placement_evaluate(
                actor=user, placement=placement, period=d["period"], grade=d["grade"], comment=d["comment"]))
        elif renew is not None and renew.is_bound and renew.is_valid():
            done = submit(renew, lambda: services.placement_renew(actor=user, placement=placement,
                                                                   new_end_date=renew.cleaned_data["end_date"]))
        elif end is not None and end.is_bound and end.is_valid():
            done = submit(end, lambda: services.placement_end(actor=user, placement=placement,
                                                               ended_on=end.cleaned_data["ended_on"],
                                                               reason=end.cleaned_data["reason"]))
        if done:
            messages.success(request, _("已保存。"))
            return redirect("employers:placement_detail", placement.pk)
    return render(request, "employers/placement_detail.html", {
        "placement": placement, "evaluations": placement.evaluations.all(), "evaluate": evaluate, "renew": renew,
        "end": end})


# --- the talent office's registration review ---------------------------------------------------------------------------

@capability_required(Capability.EMPLOYER_REVIEW)
def review_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "pending")
    return render(request, "employers/review_list.html", {
        "status": status, "enterprises": selectors.registrations_for_review(user=_user(request),
                                                                            status=status if status != "all" else "")})


@capability_required(Capability.EMPLOYER_REVIEW)
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    enterprise = or_404(lambda: selectors.registration_for_review(user=user, pk=pk))
    form = forms.ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and submit(form, lambda: services.enterprise_review(
            actor=user, enterprise=enterprise, approve=form.cleaned_data["decision"] == "approve",
            reason=form.cleaned_data["reason"])):
        messages.success(request, _("核验结果已保存。"))
        return redirect("employers:review_list")
    return render(request, "employers/review_detail.html", {
        "enterprise": enterprise, "licences": enterprise.licences.all(), "form": form})


def licence_download(request: HttpRequest, pk: int) -> FileResponse:
    if not request.user.is_authenticated:
        raise Http404
    licence = or_404(lambda: selectors.licence_for(user=_user(request), pk=pk))
    audit_record(action="enterprise.licence.download", actor=_user(request), obj=licence.enterprise)
    response = FileResponse(licence.file.open("rb"), as_attachment=True, filename=licence.original_name,
                            content_type=licence.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
