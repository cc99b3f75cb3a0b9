"""Pages of the registry and certification. Thin adapters: parse → one service or selector → render.
Whatever a user may not see answers 404 (and the selector audits the attempt)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onestop.core.audit import audit_record
from onestop.core.choices import AuditResult
from onestop.core.exceptions import ApplicationError, NotFound
from onestop.core.models import User
from onestop.core.permissions import Capability
from onestop.core.views.pages import capability_required
from onestop.workflow import calendar as wd
from onestop.workflow.selectors import case_timeline

from . import certification as cert
from . import services
from .choices import ImportSource
from .forms import (
    ApplyForm,
    DecisionForm,
    DocumentForm,
    EducationForm,
    EmploymentForm,
    FamilyForm,
    HomeForm,
    HouseholdForm,
    ImportForm,
    MaterialForm,
    ObjectionForm,
    ProfileForm,
    QualificationForm,
    ResolveForm,
    RevokeForm,
)
from .importer import registry_import
from .models import Certificate, Document, ImportRun, TalentProfile
from .permissions import can_download

SECTION_FORMS: dict[str, Any] = {
    "profile": ProfileForm, "education": EducationForm, "qualification": QualificationForm,
    "employment": EmploymentForm, "household": HouseholdForm, "home": HomeForm, "family": FamilyForm,
    "document": DocumentForm,
}


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _profile(request: HttpRequest) -> TalentProfile:
    profile = TalentProfile.objects.select_related("employer", "household").filter(user=_user(request)).first()
    if profile is None:
        raise Http404
    return profile


def _documents(profile: TalentProfile) -> list[tuple[int, str]]:
    return [(d.pk, f"{d.get_kind_display()} · {d.original_name}") for d in profile.documents.all()]


def _save(section: str, user: User, data: dict[str, Any], files: Any) -> None:
    if section == "profile":
        services.profile_update(actor=user, **data)
    elif section == "education":
        services.education_add(actor=user, **data)
    elif section == "qualification":
        services.qualification_add(actor=user, **data)
    elif section == "employment":
        salary = data.pop("monthly_salary_yuan", None)
        services.employment_add(actor=user, monthly_salary_fen=salary * 100 if salary is not None else None, **data)
    elif section == "household":
        services.household_set(actor=user, **data)
    elif section == "home":
        services.home_add(actor=user, **data)
    elif section == "family":
        services.family_add(actor=user, **data)
    elif section == "document":
        services.document_upload(actor=user, kind=data["kind"], upload=files.get("file"))


@capability_required(Capability.TALENT_CENTRE)
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """The registry: one page, one form per section; a section saves on its own."""
    me = _profile(request)
    section = request.POST.get("section", "")
    forms: dict[str, Any] = {}
    status = 200
    for name, form_class in SECTION_FORMS.items():
        if request.method == "POST" and name == section:
            forms[name] = form_class(request.POST, request.FILES, prefix=name)
        elif name == "profile":
            forms[name] = form_class(prefix=name, initial={f: getattr(me, f) for f in form_class.base_fields})
        else:
            forms[name] = form_class(prefix=name)
    if request.method == "POST":
        form = forms.get(section)
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                data = dict(form.cleaned_data)
                upload = data.pop("file", None)
                _save(section, _user(request), data, {"file": upload})
                messages.success(request, _("已保存。"))
                return redirect(reverse("talents:profile") + f"#section-{section}")
            except ApplicationError as exc:
                form.apply_error(exc)
        status = 422
    return render(request, "talents/profile.html", {
        "profile": me, "forms": forms, "open_section": section,
        "education": me.education_records.all(), "qualifications": me.qualifications.all(),
        "employments": me.employments.select_related("enterprise"), "homes": me.homes.all(),
        "family": me.family.all(), "documents": me.documents.all(),
        "insured_months": me.insurance_months.count(),
    }, status=status)


@capability_required(Capability.TALENT_CENTRE)
@require_POST
def record_delete(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    try:
        services.record_delete(actor=_user(request), kind=kind, record_id=pk)
    except NotFound:
        raise Http404
    messages.success(request, _("已删除。"))
    return redirect(reverse("talents:profile"))


@require_GET
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    """Only the owner and authorised reviewers; always as an attachment, never rendered inline."""
    user = request.user
    document = Document.objects.select_related("profile").filter(pk=pk).first()
    if not isinstance(user, User) or document is None or not can_download(user, document):
        audit_record(action="talent.document.download", actor=user if isinstance(user, User) else None,
                     object_type="talents.document", object_id=str(pk), result=AuditResult.DENIED)
        raise Http404
    if document.profile.user_id != user.pk:
        audit_record(action="talent.document.download", actor=user, obj=document)
    response = FileResponse(document.file.open("rb"), as_attachment=True, filename=document.original_name,
                            content_type=document.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- certification: the talent / the employer ------------------------------------------------------------------------

@capability_required(Capability.TALENT_CENTRE)
@require_http_methods(["GET", "POST"])
def certification_apply(request: HttpRequest) -> HttpResponse:
    me = _profile(request)
    form = ApplyForm(request.POST or None, documents=_documents(me))
    precheck = {t: cert.certification_precheck(profile=me, track=t) for t in ("standard", "medical")}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            application = cert.certification_apply(
                actor=_user(request), track=data["track"], claimed_tier=data["claimed_tier"],
                equivalent_claim=data["equivalent_claim"], statement=data["statement"],
                document_ids=[int(i) for i in data["document_ids"]])
            messages.success(request, _("认定申请已提交。"))
            return redirect(reverse("talents:certification_detail", kwargs={"pk": application.pk}))
        except ApplicationError as exc:
            form.apply_error(exc)
    return render(request, "talents/certification_apply.html", {"form": form, "precheck": precheck},
                  status=422 if form.errors else 200)


@capability_required(Capability.TALENT_CENTRE)
@require_GET
def certification_mine(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(request, "talents/certification_list.html", {
        "applications": cert.applications_for_talent(user=user),
        "certificates": Certificate.objects.filter(profile__user=user)})


@capability_required(Capability.EMPLOYER_CENTRE)
@require_GET
def certification_employer(request: HttpRequest) -> HttpResponse:
    return render(request, "talents/certification_list.html", {
        "applications": cert.applications_for_employer(user=_user(request)), "employer_view": True})


@capability_required(Capability.CERT_REVIEW)
@require_GET
def certification_review_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    state = "all" if request.GET.get("state") == "all" else "open"
    return render(request, "talents/certification_list.html", {
        "applications": cert.applications_for_reviewer(user=user, state=state)[:200], "reviewer_view": True,
        "state": state})


@require_http_methods(["GET", "POST"])
def certification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        raise Http404
    user = _user(request)
    try:
        application = cert.application_for(user=user, pk=pk)
    except NotFound:
        raise Http404
    is_talent = application.profile.user_id == user.pk
    actions = cert.can_act(user, application)
    decision = DecisionForm(request.POST if request.POST.get("op") == "decide" else None)
    material = MaterialForm(request.POST if request.POST.get("op") == "material" else None,
                            documents=_documents(application.profile) if is_talent else [])
    status = 200
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "decide" and actions and decision.is_valid():
                d = decision.cleaned_data
                cert.certification_decide(application=application, actor=user, action=d["action"],
                                          reason=d.get("reason", ""), tier=d.get("tier", ""))
                messages.success(request, _("已办理。"))
                return redirect(request.path)
            if op == "material" and is_talent and material.is_valid():
                cert.certification_provide_material(
                    application=application, actor=user, message=material.cleaned_data["message"],
                    document_ids=[int(i) for i in material.cleaned_data["document_ids"]])
                messages.success(request, _("补充材料已提交。"))
                return redirect(request.path)
            if op not in ("decide", "material") or (op == "decide" and not actions) or (op == "material"
                                                                                      and not is_talent):
                raise Http404
        except NotFound:
            raise Http404
        except ApplicationError as exc:
            (decision if op == "decide" else material).apply_error(exc)
        status = 422
    case = cert.case_of(application)
    return render(request, "talents/certification_detail.html", {
        "application": application, "timeline": case_timeline(case=case, viewer=user) if case else None,
        "events": application.events.select_related("actor"), "documents": application.documents.all(),
        "is_talent": is_talent, "actions": actions, "decision_form": decision, "material_form": material,
        "certificate": Certificate.objects.filter(application=application).first(),
        "objections": application.objections.all() if not is_talent else application.objections.none(),
        "resolve_form": ResolveForm(), "revoke_form": RevokeForm(),
        "is_office": cert._is_office_staff(user), "today": wd.today(),
    }, status=status)


# --- publicity (public), objections, revocation --------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
def publicity(request: HttpRequest) -> HttpResponse:
    form = ObjectionForm(request.POST or None)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('core:login')}?next={request.path}")
        target = cert.publicity_list().filter(pk=int(request.POST.get("application") or 0)).first()
        if target is None:
            raise Http404
        if form.is_valid():
            try:
                cert.objection_file(application=target, actor=_user(request), content=form.cleaned_data["content"])
                messages.success(request, _("异议已提交，人才办将核查处理。"))
                return redirect(reverse("talents:publicity"))
            except NotFound:
                raise Http404
            except ApplicationError as exc:
                form.apply_error(exc)
    return render(request, "talents/publicity.html", {"items": cert.publicity_list(), "form": form},
                  status=422 if form.errors else 200)


@capability_required(Capability.CERT_REVIEW)
@require_POST
def objection_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    # Scope first: someone who may not resolve this objection gets 404 whatever the form holds.
    try:
        objection = cert.objection_for_resolver(user=_user(request), pk=pk)
    except NotFound:
        raise Http404
    form = ResolveForm(request.POST)
    try:
        if form.is_valid():
            cert.objection_resolve(objection=objection, actor=_user(request), upheld=form.cleaned_data["upheld"] == "1",
                                   resolution=form.cleaned_data["resolution"])
            messages.success(request, _("异议已处理。"))
        else:
            messages.error(request, _("处理意见：请填写核查结论。"))
    except NotFound:
        raise Http404
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("talents:certification_detail", kwargs={"pk": objection.application_id}))


@capability_required(Capability.CERT_REVIEW)
@require_POST
def certificate_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = Certificate.objects.select_related("application").filter(pk=pk).first()
    if certificate is None:
        raise Http404
    form = RevokeForm(request.POST)
    try:
        cert.certificate_revoke(certificate=certificate, actor=_user(request),
                                reason=form.data.get("reason", ""))
        messages.success(request, _("证书已撤销。"))
    except NotFound:
        raise Http404
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("talents:certification_detail", kwargs={"pk": certificate.application_id}))


@require_GET
def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The certificate as a PDF, for the holder and authorised staff only, always as an attachment."""
    from .render import certificate_pdf as render_pdf

    if not request.user.is_authenticated:
        raise Http404
    try:
        certificate = cert.certificate_for(user=_user(request), pk=pk)
    except NotFound:
        raise Http404
    response = HttpResponse(render_pdf(certificate), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{certificate.number}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- children's data (education and health departments only) ------------------------------------------------------

@capability_required(Capability.STAFF_WORKBENCH)
@require_GET
def children_search(request: HttpRequest) -> HttpResponse:
    """Find a talent by registry number (RC0000012); only the departments serving children get this page."""
    from .selectors import serves_children

    if not serves_children(_user(request)):
        audit_record(action="talent.children.view", actor=_user(request), object_type="talents.talentprofile",
                     result=AuditResult.DENIED)
        raise Http404
    number = (request.GET.get("number") or "").strip()
    if number:
        return redirect(reverse("talents:children", kwargs={"number": number[:20]}))
    return render(request, "talents/children.html", {"profile": None})


@capability_required(Capability.STAFF_WORKBENCH)
@require_http_methods(["GET", "POST"])
def children(request: HttpRequest, number: str) -> HttpResponse:
    """Masked by default; "显示完整信息" (POST) reveals the values once, audited, and is never cached."""
    from .selectors import children_for_department

    reveal = request.method == "POST" and request.POST.get("op") == "reveal"
    try:
        profile, rows = children_for_department(user=_user(request), registry_number=number, reveal=reveal)
    except NotFound:
        raise Http404
    response = render(request, "talents/children.html", {"profile": profile, "children": rows, "revealed": reveal})
    response["Cache-Control"] = "private, no-store"
    return response


# --- imports (staff) -----------------------------------------------------------------------------------------------

@capability_required(Capability.REGISTRY_IMPORT)
@require_http_methods(["GET", "POST"])
def imports(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        fmt = "json" if upload.name.lower().endswith(".json") else "csv"
        try:
            run = registry_import(kind=form.cleaned_data["kind"], content=upload.read(), fmt=fmt,
                                  actor=_user(request), source=ImportSource.WEB, file_name=upload.name)
            messages.success(request, _("导入完成：新增 %(c)d，更新 %(u)d，未变化 %(n)d，失败 %(f)d。") % {
                "c": run.created, "u": run.updated, "n": run.unchanged, "f": run.failed})
            return redirect(reverse("talents:imports") + f"?run={run.pk}")
        except NotFound:
            raise Http404
        except ApplicationError as exc:
            form.apply_error(exc)
    runs = ImportRun.objects.select_related("actor")[:30]
    selected = ImportRun.objects.filter(pk=int(request.GET.get("run") or 0)).first()
    return render(request, "talents/imports.html", {"form": form, "runs": runs, "selected": selected},
                  status=422 if form.errors else 200)

