"""Thin adapters: the holder's card pages, the partner scan page, the published key set and revocation list."""

from __future__ import annotations

import json
import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onestop.core.context import client_ip
from onestop.core.exceptions import ApplicationError, NotFound, ValidationFailed
from onestop.core.models import User
from onestop.core.permissions import Capability, has_capability
from onestop.core.views.pages import capability_required

from . import render as card_render
from . import selectors, services
from .choices import RequestStatus
from .forms import (
    ApiKeyCreateForm,
    ApiKeyRevokeForm,
    CardSearchForm,
    CardStatusForm,
    MaterialForm,
    PhotoForm,
    RatingForm,
    ReissueForm,
    RequestForm,
    VerifyForm,
)


def _errors(form: object) -> str:
    return "；".join(str(m) for ms in form.errors.values() for m in ms)  # type: ignore[attr-defined]


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# --- the holder ------------------------------------------------------------------------------------------------------

@capability_required(Capability.TALENT_CENTRE)
@require_GET
@never_cache
def card(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    current = selectors.current_card_for(user=user)
    entitlements = selectors.entitlements_for_card(card=current)
    open_requests = {r.entitlement_id: r for r in selectors.requests_for(user=user).filter(status=RequestStatus.OPEN)}
    return render(request, "greencards/card.html", {
        "card": current,
        "qr_svg": card_render.qr_svg(current.token) if current is not None else "",
        "entitlements": [(e, open_requests.get(e.pk)) for e in entitlements],
        "scans": selectors.verifications_for_holder(user=user),
        "history": [c for c in selectors.cards_for(user=user)[:11] if current is None or c.pk != current.pk][:10],
        "requests": selectors.requests_for(user=user)[:20],
        "reissue_form": ReissueForm(), "photo_form": PhotoForm(),
    })


@capability_required(Capability.TALENT_CENTRE)
@require_GET
@never_cache
def card_pdf(request: HttpRequest) -> HttpResponse:
    current = selectors.current_card_for(user=_user(request))
    if current is None:
        raise Http404
    response = HttpResponse(card_render.card_pdf(current), content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="greencard.pdf"'
    return response


def _photo_response(name: str) -> HttpResponse:
    with default_storage.open(name, "rb") as fh:
        data = fh.read()
    response = HttpResponse(data, content_type=mimetypes.guess_type(name)[0] or "application/octet-stream")
    response["Cache-Control"] = "private, no-store"
    return response


@capability_required(Capability.TALENT_CENTRE)
@require_GET
def card_photo(request: HttpRequest) -> HttpResponse:
    current = selectors.current_card_for(user=_user(request))
    if current is None or not current.photo:
        raise Http404
    return _photo_response(current.photo)


@capability_required(Capability.TALENT_CENTRE)
@require_POST
def card_photo_upload(request: HttpRequest) -> HttpResponse:
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["photo"]
        try:
            services.card_photo_set(holder=_user(request), content=upload.read(), content_type=upload.content_type)
            messages.success(request, _("照片已更新。"))
        except ApplicationError as exc:
            messages.error(request, "；".join(m for ms in exc.field_errors.values() for m in ms) or exc.message)
    else:
        messages.error(request, _errors(form))
    return HttpResponseRedirect(reverse("greencards:card"))


@capability_required(Capability.TALENT_CENTRE)
@require_POST
def card_reissue(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    current = selectors.current_card_for(user=user)
    if current is None:
        raise Http404
    form = ReissueForm(request.POST)
    if form.is_valid():
        try:
            services.card_reissue(card=current, reason=form.cleaned_data["reason"], actor=user)
            messages.success(request, _("已挂失补办：旧卡立即作废，新卡已生效。"))
        except ApplicationError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _errors(form))
    return HttpResponseRedirect(reverse("greencards:card"))


@capability_required(Capability.TALENT_CENTRE)
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    current = selectors.current_card_for(user=user)
    choices = [(e.code, e.name) for e in selectors.entitlements_for_card(card=current)]
    form = RequestForm(request.POST or None, entitlements=choices,
                       initial={"entitlement": request.GET.get("entitlement", "")})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created = services.entitlement_request_submit(holder=user,
                                                              entitlement_code=form.cleaned_data["entitlement"],
                                                              detail=form.cleaned_data["detail"])
                messages.success(request, _("申请已提交，请留意办理进度。"))
                return HttpResponseRedirect(reverse("greencards:request_detail", kwargs={"pk": created.pk}))
            except NotFound:
                raise Http404
            except ApplicationError as exc:
                form.apply_error(exc)
        status = 422
    return render(request, "greencards/request_form.html", {"form": form, "card": current}, status=status)


@capability_required(Capability.TALENT_CENTRE)
@require_http_methods(["GET", "POST"])
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from onestop.workflow.selectors import case_timeline

    user = _user(request)
    try:
        item = selectors.request_for(user=user, request_id=pk)
    except NotFound:
        raise Http404
    material_form, rating_form = MaterialForm(), RatingForm()
    status = 200
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "rate":
                rating_form = RatingForm(request.POST)
                if rating_form.is_valid():
                    services.entitlement_request_rate(request=item, holder=user,
                                                      rating=rating_form.cleaned_data["rating"],
                                                      comment=rating_form.cleaned_data["comment"])
                    messages.success(request, _("感谢您的评价。"))
                    return HttpResponseRedirect(reverse("greencards:request_detail", kwargs={"pk": pk}))
            else:
                material_form = MaterialForm(request.POST)
                if material_form.is_valid():
                    services.entitlement_request_add_material(request=item, holder=user,
                                                              message=material_form.cleaned_data["message"])
                    messages.success(request, _("补充材料已提交，办理期限恢复计时。"))
                    return HttpResponseRedirect(reverse("greencards:request_detail", kwargs={"pk": pk}))
        except ApplicationError as exc:
            (rating_form if op == "rate" else material_form).apply_error(exc)
        status = 422
    case = services.request_case(item)
    timeline = case_timeline(case=case, viewer=user) if case is not None else None
    return render(request, "greencards/request_detail.html", {
        "item": item, "case": case, "timeline": timeline, "material_form": material_form,
        "rating_form": rating_form,
    }, status=status)


# --- the partner checker ---------------------------------------------------------------------------------------------

@capability_required(Capability.GREENCARD_VERIFY)
@require_http_methods(["GET", "POST"])
@never_cache
def verify(request: HttpRequest) -> HttpResponse:
    """The scan page: the camera (static/js/greencard_scan.js, BarcodeDetector) or a pasted token; the result is an
    htmx partial showing only the partner's fields."""
    user = _user(request)
    try:
        partner = services.checker_partner(user)
    except NotFound:
        raise Http404
    form = VerifyForm(request.POST or None)
    outcome, error, status = None, "", 200
    if request.method == "POST":
        if form.is_valid():
            try:
                outcome = services.card_verify(token=form.cleaned_data["token"], checker=user,
                                               channel=form.cleaned_data["channel"], source_ip=client_ip(request))
            except ApplicationError as exc:
                error, status = exc.message, exc.status
        else:
            error, status = _errors(form), 422
        if request.headers.get("HX-Request"):
            return render(request, "greencards/partials/verify_result.html",
                          {"outcome": outcome, "error": error}, status=200 if status < 500 else status)
    return render(request, "greencards/verify.html", {
        "form": VerifyForm(), "partner": partner, "outcome": outcome, "error": error,
        "recent": selectors.recent_verifications_by_checker(user=user),
    }, status=status)


@capability_required(Capability.GREENCARD_VERIFY)
@require_GET
def verification_photo(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        found = selectors.verification_for_checker(user=_user(request), verification_id=pk)
    except NotFound:
        raise Http404
    assert found.card is not None
    return _photo_response(found.card.photo)


# --- the talent office: suspend and reinstate ------------------------------------------------------------------------

@capability_required(Capability.GREENCARD_MANAGE)
@require_GET
@never_cache
def manage(request: HttpRequest) -> HttpResponse:
    """The talent office's card list (other departments see an empty list): search by card id or full name."""
    from django.core.paginator import Paginator
    from django.utils.http import urlencode

    form = CardSearchForm(request.GET or None)
    query = status = ""
    if form.is_valid():
        query, status = form.cleaned_data["q"], form.cleaned_data["status"]
    cards = selectors.cards_for_manager(user=_user(request), query=query, status=status)
    page = Paginator(cards, 25).get_page(request.GET.get("page"))
    return render(request, "greencards/manage.html", {
        "form": form, "page": page, "is_manager": selectors.is_card_manager(_user(request)),
        "query": urlencode({k: v for k, v in (("q", query), ("status", status)) if v}),
    })


def _manage_context(request: HttpRequest, card: object, **forms: object) -> dict[str, object]:
    return {"card": card, "suspend_form": forms.get("suspend_form") or CardStatusForm(prefix="suspend"),
            "reinstate_form": forms.get("reinstate_form") or CardStatusForm(prefix="reinstate"),
            "history": selectors.card_status_history(card=card)}  # type: ignore[arg-type]


@capability_required(Capability.GREENCARD_MANAGE)
@require_GET
@never_cache
def manage_card(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        card = selectors.card_for_manager(user=_user(request), pk=pk)
    except NotFound:
        raise Http404
    return render(request, "greencards/manage_card.html", _manage_context(request, card))


def _status_change(request: HttpRequest, pk: int, *, action: str) -> HttpResponse:
    """POST of the suspend / reinstate form. htmx: the status panel is re-rendered in place, with the error next to
    the field or above the panel; without htmx: back to the card page with a message, or the page again with the
    error (422, 409)."""
    user = _user(request)
    try:
        card = selectors.card_for_manager(user=user, pk=pk)
    except NotFound:
        raise Http404
    form = CardStatusForm(request.POST, prefix=action)
    htmx = bool(request.headers.get("HX-Request"))
    status, done, error = 200, "", ""
    if form.is_valid():
        service = services.card_suspend if action == "suspend" else services.card_reinstate
        try:
            card = service(card=card, reason=form.cleaned_data["reason"], actor=user)
            done = (_("绿卡已暂停使用，核验将被拒绝；持卡人已收到通知。") if action == "suspend"
                    else _("绿卡已恢复使用；持卡人已收到通知。"))
            if not htmx:
                messages.success(request, done)
                return HttpResponseRedirect(reverse("greencards:manage_card", kwargs={"pk": card.pk}))
            form = CardStatusForm(prefix=action)
            card = selectors.card_for_manager(user=user, pk=pk)
        except NotFound:
            raise Http404
        except ApplicationError as exc:
            form.apply_error(exc)
            status, error = (exc.status if exc.status != 404 else 422), exc.message
            card = selectors.card_for_manager(user=user, pk=pk)  # show the state that refused the change
    else:
        status = 422
    context = {**_manage_context(request, card, **{f"{action}_form": form}), "done": done, "error": error}
    if htmx:
        # htmx 2 swaps only 2xx answers: the refusal is shown in place (as the scan page does), the status stays
        # for everyone else (a plain form POST, a script).
        return render(request, "greencards/partials/manage_status.html", context, status=200)
    return render(request, "greencards/manage_card.html", context, status=status)


@capability_required(Capability.GREENCARD_MANAGE)
@require_POST
def manage_suspend(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_change(request, pk, action="suspend")


@capability_required(Capability.GREENCARD_MANAGE)
@require_POST
def manage_reinstate(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_change(request, pk, action="reinstate")


# --- dashboard figure ------------------------------------------------------------------------------------------------

@capability_required(Capability.DASHBOARD)
@require_GET
def satisfaction(request: HttpRequest) -> HttpResponse:
    rows = selectors.satisfaction_by_entitlement()
    option = {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 16, "right": 16, "top": 24, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value", "min": 0, "max": 5},
        "yAxis": {"type": "category", "data": [r["name"] for r in rows]},
        "series": [{"name": _("平均满意度"), "type": "bar", "data": [r["average"] or 0 for r in rows]}],
    }
    return render(request, "greencards/satisfaction.html", {"rows": rows, "chart_option": option})


# --- public, well-known documents ------------------------------------------------------------------------------------

def _public_json(data: object) -> HttpResponse:
    response = HttpResponse(json.dumps(data, ensure_ascii=False, separators=(",", ":")),
                            content_type="application/json")
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
@cache_control(public=True, max_age=300)
def jwks(request: HttpRequest) -> HttpResponse:
    return _public_json(selectors.jwks())


@require_GET
@cache_control(public=True, max_age=60)
def revocations(request: HttpRequest) -> HttpResponse:
    return _public_json(selectors.revocation_list())


@require_GET
@cache_control(public=True, max_age=60)
def revocations_signed(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(selectors.revocation_list_signed(), content_type="application/jwt")
    response["Access-Control-Allow-Origin"] = "*"
    return response



# --- machine-to-machine API keys (the checker's own, or the security admin's view of all) ----------------------------

@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def api_keys(request: HttpRequest) -> HttpResponse:
    """Create (the secret is shown on this one response only) and revoke API keys for /api/m2m/greencards/verify."""
    user = _user(request)
    is_security = has_capability(user, Capability.SECURITY_MANAGE)
    if not (is_security or has_capability(user, Capability.GREENCARD_VERIFY)):
        raise Http404
    create_form, revoke_form = ApiKeyCreateForm(), ApiKeyRevokeForm()
    issued, error, status = None, "", 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "revoke":
                revoke_form = ApiKeyRevokeForm(request.POST)
                if not revoke_form.is_valid():
                    raise ValidationFailed(_errors(revoke_form))
                key = selectors.api_key_for(user=user, key_id=revoke_form.cleaned_data["key_id"])
                services.api_key_revoke(key=key, actor=user)
                messages.success(request, _("密钥 %(key)s 已吊销，立即失效。") % {"key": key.key_id})
                return HttpResponseRedirect(reverse("greencards:api_keys"))
            create_form = ApiKeyCreateForm(request.POST)
            if not create_form.is_valid():
                raise ValidationFailed(_errors(create_form))
            username = create_form.cleaned_data["checker"].strip()
            checker = selectors.checker_by_username(user=user, username=username) if is_security and username \
                else user
            issued = services.api_key_create(checker=checker, name=create_form.cleaned_data["name"], actor=user)
            create_form = ApiKeyCreateForm()
        except NotFound:
            raise Http404
        except ApplicationError as exc:
            error, status = exc.message or "；".join(m for ms in exc.field_errors.values() for m in ms), exc.status
    response = render(request, "greencards/api_keys.html", {
        "keys": selectors.api_keys_for(user=user)[:200], "issued": issued, "error": error,
        "create_form": create_form, "is_security": is_security,
    }, status=status)
    response["Cache-Control"] = "no-store, private"
    return response
