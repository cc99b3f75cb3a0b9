"""Sign-up, sign-in (mobile number or username), the second factor, sign-out."""

from __future__ import annotations

import base64
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..audit import audit_record
from ..auth import request_user
from ..choices import AuditResult
from ..context import client_ip
from ..exceptions import ApplicationError
from ..forms import EmployerRegisterForm, LoginForm, OTPForm, TalentRegisterForm
from ..middleware import SESSION_AUTH_AT, SESSION_LAST_SEEN
from ..ratelimit import consume


def _safe_next(request: HttpRequest, default: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return nxt
    return default


def _start_session(request: HttpRequest, user: Any) -> None:
    import time

    login(request, user, backend="onestop.core.auth.PhoneOrUsernameBackend")
    request.session[SESSION_AUTH_AT] = time.time()
    request.session[SESSION_LAST_SEEN] = time.time()


def home_for(user: Any) -> str:
    from ..permissions import Capability, has_capability

    if has_capability(user, Capability.STAFF_WORKBENCH):
        return reverse("core:staff_home")
    if has_capability(user, Capability.AUDIT_READ):
        return reverse("core:audit_list")
    if has_capability(user, Capability.EMPLOYER_CENTRE):
        return reverse("core:employer_home")
    if has_capability(user, Capability.USERS_MANAGE) or has_capability(user, Capability.ROLES_MANAGE):
        return reverse("admin:index")
    if has_capability(user, Capability.PARTNER_DESK):
        return reverse("core:partner_home")
    if has_capability(user, Capability.TARGETS_VIEW):  # the leadership (领导): the dashboard is their workplace
        return reverse("targets:dashboard")
    return reverse("core:me")


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(request, username=form.cleaned_data["username"], password=form.cleaned_data["password"])
        if getattr(request, "axes_locked_out", False):
            return lockout_response(request, None)
        if user is None:
            form.add_error(None, _("手机号/用户名或密码错误。连续失败 5 次将锁定 30 分钟。"))
        else:
            _start_session(request, user)
            if user.needs_second_factor:
                # A fresh session is never OTP-verified: the second factor comes next.
                return redirect(reverse("core:otp_verify") + "?" + urlencode({"next": _safe_next(request, home_for(user))}))
            return redirect(_safe_next(request, home_for(user)))
    return render(request, "core/login.html", {"form": form, "next": _safe_next(request, "")})


def lockout_response(request: HttpRequest, credentials: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    form = LoginForm(request.POST or None)
    form.errors.clear()
    return render(request, "core/login.html", {
        "form": form,
        "locked_out": True,
        "next": _safe_next(request, ""),
    }, status=429)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, _("您已安全退出。"))
    return redirect("core:home")


@sensitive_post_parameters("password", "password2", "id_number")
@require_http_methods(["GET", "POST"])
def _within_limit(request: HttpRequest, form: Any) -> bool:
    """Every registration attempt counts against the client's limit, valid or not (docs/security.md)."""
    if consume("register", client_ip(request) or ""):
        return True
    form.add_error(None, _("操作过于频繁，请稍后再试。"))
    return False


def register_talent(request: HttpRequest) -> HttpResponse:
    from onestop.talents.services import talent_register

    form = TalentRegisterForm(request.POST or None)
    if request.method == "POST" and _within_limit(request, form) and form.is_valid():
        data = form.cleaned_data
        try:
            user = talent_register(phone=data["phone"], password=data["password"], real_name=data["real_name"],
                                   id_type=data["id_type"], id_number=data["id_number"],
                                   agree_terms=data["agree_terms"])
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            _start_session(request, user)
            messages.success(request, _("注册成功，欢迎来到人才一站式服务平台。"))
            return redirect("core:me")
    return render(request, "core/register_talent.html", {"form": form})


@sensitive_post_parameters("password", "password2")
@require_http_methods(["GET", "POST"])
def register_employer(request: HttpRequest) -> HttpResponse:
    from onestop.employers.services import enterprise_register

    form = EmployerRegisterForm(request.POST or None)
    if request.method == "POST" and _within_limit(request, form) and form.is_valid():
        data = form.cleaned_data
        try:
            _enterprise, user = enterprise_register(uscc=data["uscc"], name=data["name"], industry=data["industry"],
                                                    contact_name=data["contact_name"], phone=data["phone"],
                                                    password=data["password"])
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            _start_session(request, user)
            messages.success(request, _("单位注册成功，待人才办核验后可使用全部功能。"))
            return redirect("core:employer_home")
    return render(request, "core/register_employer.html", {"form": form})


def _qr_data_uri(text: str) -> str:
    svg = segno.make(text, error="m").svg_inline(scale=4, dark="#1a1a1a", light="#ffffff")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


@login_required
@require_http_methods(["GET", "POST"])
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in of a staff account: scan the QR code with an authenticator app, confirm with one code."""
    user = request_user(request)
    if any(True for _d in devices_for_user(user, confirmed=True)):
        return redirect("core:otp_verify")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    form = OTPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            audit_record(action="auth.otp_enrolled", actor=user, obj=user)
            return redirect(_safe_next(request, home_for(user)))
        audit_record(action="auth.otp_failed", actor=user, obj=user, result=AuditResult.FAILURE,
                     detail={"stage": "enrol"})
        form.add_error("token", _("动态验证码：验证码不正确或已过期，请重试。"))
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return render(request, "core/otp_enrol.html", {
        "form": form, "qr": _qr_data_uri(device.config_url), "secret": secret, "next": _safe_next(request, ""),
    })


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    devices = list(devices_for_user(user, confirmed=True))
    if not devices:
        return redirect("core:otp_enrol")
    form = OTPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        for device in devices:
            allowed, _info = device.verify_is_allowed()
            if allowed and device.verify_token(token):
                otp_login(request, device)
                audit_record(action="auth.otp_verified", actor=user, obj=user)
                return HttpResponseRedirect(_safe_next(request, home_for(user)))
        audit_record(action="auth.otp_failed", actor=user, obj=user, result=AuditResult.FAILURE)
        form.add_error("token", _("动态验证码：验证码不正确或已过期；多次错误将暂时禁止验证。"))
    return render(request, "core/otp_verify.html", {"form": form, "next": _safe_next(request, "")})
