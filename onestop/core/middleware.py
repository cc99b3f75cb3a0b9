"""Session lifetime, the second factor for staff, and the request context for audit entries."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _

from .context import current_request

SESSION_AUTH_AT = "onestop_auth_at"
SESSION_LAST_SEEN = "onestop_last_seen"

# Paths a signed-in staff member may reach before passing the second factor.
OTP_EXEMPT_PREFIXES = ("/account/otp/", "/account/logout/", "/i18n/", "/static/", "/healthz", "/favicon")


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "unauthenticated", "message": _("请重新登录。")}, status=401)
    # Read the header itself: django-htmx's middleware sits after this one, so ``request.htmx`` is not set yet.
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


class SessionLifetimeMiddleware:
    """Idle timeout (staff 15 min, others 30 min) and an absolute lifetime, whatever the cookie says."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            session = request.session
            auth_at = session.get(SESSION_AUTH_AT)
            last_seen = session.get(SESSION_LAST_SEEN)
            if auth_at is None:
                session[SESSION_AUTH_AT] = auth_at = now
            idle_limit = (settings.SESSION_IDLE_TIMEOUT_STAFF if user.needs_second_factor
                          else settings.SESSION_IDLE_TIMEOUT_PUBLIC)
            expired = (last_seen is not None and now - last_seen > idle_limit) or (
                now - auth_at > settings.SESSION_ABSOLUTE_LIFETIME)
            if expired:
                from .audit import audit_record

                audit_record(action="auth.session_expired", actor=user, obj=user)
                logout(request)
                messages.info(request, _("您已长时间未操作，为保护账号安全已自动退出，请重新登录。"))
                return _redirect(request, reverse("core:login") + "?" + urlencode({"next": request.get_full_path()}))
            # Write at most every 30 s so a page with many htmx calls does not rewrite the session row each time.
            if last_seen is None or now - last_seen > 30:
                session[SESSION_LAST_SEEN] = now
        return self.get_response(request)


class StaffSecondFactorMiddleware:
    """Staff, partner and admin accounts reach nothing but the OTP pages until they pass their second factor."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.needs_second_factor
            and not user.is_verified()
            and not request.path.startswith(OTP_EXEMPT_PREFIXES)
        ):
            from django_otp import devices_for_user

            has_device = any(True for _d in devices_for_user(user, confirmed=True))
            target = reverse("core:otp_verify" if has_device else "core:otp_enrol")
            nxt = request.get_full_path()
            if url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
                target += "?" + urlencode({"next": nxt})
            return _redirect(request, target)
        return self.get_response(request)


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_request.set(request)
        try:
            response = self.get_response(request)
        finally:
            current_request.reset(token)
        response.headers.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
        return response


class ChineseFirstLocaleMiddleware:
    """Chinese unless the visitor chose English: the language cookie (set by the switcher) decides, else zh-hans.

    Django's LocaleMiddleware would follow the browser's Accept-Language; a zone government platform is
    Chinese-first, so the browser's preference is deliberately ignored.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        codes = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in codes else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


class NoStoreForSignedInMiddleware:
    """Pages with personal data must not stay in a browser or proxy cache (PIPL, MLPS residual information). The
    simple safe rule: every response to a signed-in user is ``Cache-Control: private, no-store`` unless the view set
    its own no-store already; static files and anonymous public pages stay cacheable."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "private, no-store"
        return response


class RejectNulCharactersMiddleware:
    """Refuse any request carrying a NUL character in its query string, form fields or JSON body (400).

    No legitimate input contains one; PostgreSQL text columns cannot store it (a filter on it would be a 500), and
    stripping it silently would change what the person sent.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    @staticmethod
    def _has_nul(request: HttpRequest) -> bool:
        if "\x00" in request.META.get("QUERY_STRING", "") or "%00" in request.META.get("QUERY_STRING", ""):
            return True
        if any("\x00" in v for values in request.GET.lists() for v in values[1]):
            return True
        content_type = request.META.get("CONTENT_TYPE", "")
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            if content_type.startswith("application/json"):
                body = request.body
                return b"\x00" in body or b"\\u0000" in body.lower()
            if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
                return any("\x00" in v for values in request.POST.lists() for v in values[1])
        return False

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._has_nul(request):
            message = _("请求中含有不允许的空字符（NUL），请删除后重试。")
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "invalid", "message": message, "errors": {}}, status=400)
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
