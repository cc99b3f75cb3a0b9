"""Machine-to-machine verification: ``POST /api/m2m/greencards/verify`` for partner desks' scanners and systems.

Authenticated by a per-checker API key (``Authorization: Bearer gck_…``, see ``services.api_key_create``), never by a
session: the view reads no cookie, sets none and is exempt from CSRF (a browser cannot attach the header to a
cross-site request without a CORS preflight, which this site never grants). It is a plain Django view, not a ninja
operation: the path is hot (docs/performance.md) and its shape is small and fixed (docs/greencard.md).

The same view answers on two pipelines (ADR 0007):

* Django's: ``config/urls.py`` routes the path through the whole middleware stack (the test client, ``runserver``,
  any server that mounts Django's own WSGI handler);
* the lean one: ``config/wsgi.py`` wraps the WSGI application in :class:`LeanDispatch`, which sends exactly this path
  (``POST`` or not) to :func:`lean_application` — Django's request and response objects and Django's own security
  middlewares (``LEAN_MIDDLEWARE``), but none of the session, authentication, messages, htmx or login-throttling
  layers that a keyed request without cookies never uses, and no URL resolution. Every other path goes to Django.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.core import signals
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIRequest, get_script_name
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import path, set_script_prefix, set_urlconf
from django.utils import translation
from django.utils.log import log_response
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt

from onestop.core.context import client_ip

from . import services

TOKEN_MAX = 600
VERIFY_PATH = "/api/m2m/greencards/verify"

# The middlewares of settings.MIDDLEWARE that the lean pipeline runs, in the same relative order. Everything else in
# settings.MIDDLEWARE must be listed in LEAN_SKIPPED with the reason it does nothing for this path; a test fails when
# a middleware is added to the settings and to neither list.
LEAN_MIDDLEWARE: tuple[str, ...] = (
    "django.middleware.security.SecurityMiddleware",  # HTTPS redirect, HSTS, nosniff, referrer and opener policy
    "onestop.core.middleware.RejectNulCharactersMiddleware",  # NUL in the body → 400 before anything reads it
    "django.middleware.common.CommonMiddleware",  # Host header against ALLOWED_HOSTS, disallowed user agents
    "onestop.core.middleware.RequestContextMiddleware",  # the request for audit context, Permissions-Policy
    "django.middleware.clickjacking.XFrameOptionsMiddleware",  # X-Frame-Options: DENY
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy (built once: _OnceBuiltCSPMiddleware)
)
LEAN_SKIPPED: dict[str, str] = {
    "whitenoise.middleware.WhiteNoiseMiddleware": "serves /static/ only",
    "django.contrib.sessions.middleware.SessionMiddleware": "the key is the credential; no session cookie is read",
    "onestop.core.middleware.ChineseFirstLocaleMiddleware": "replaced: the lean path always answers in LANGUAGE_CODE "
    "and reads no language cookie",
    "django.middleware.csrf.CsrfViewMiddleware": "the view is csrf_exempt (a header key, not a cookie)",
    "django.contrib.auth.middleware.AuthenticationMiddleware": "no session user; the key is checked in the service",
    "django_otp.middleware.OTPMiddleware": "no session user",
    "django.contrib.messages.middleware.MessageMiddleware": "no pages",
    "onestop.core.middleware.SessionLifetimeMiddleware": "no session",
    "onestop.core.middleware.StaffSecondFactorMiddleware": "no session user (the key's checker passed it to make it)",
    "django_htmx.middleware.HtmxMiddleware": "no htmx",
    "onestop.core.middleware.NoStoreForSignedInMiddleware": "no session user; the view sets no-store itself",
    "axes.middleware.AxesMiddleware": "password login throttling; keys carry 256 random bits",
}


def _json(status: int, payload: dict[str, Any]) -> HttpResponse:
    response = HttpResponse(
        json.dumps(payload, ensure_ascii=False), status=status, content_type="application/json"
    )
    response["Cache-Control"] = "no-store"
    return response


def _problem(status: int, code: str, message: str, **extra: Any) -> HttpResponse:
    return _json(status, {"code": code, "message": message, "errors": {}, **extra})


def _unauthenticated(message: str) -> HttpResponse:
    response = _problem(401, "unauthenticated", message)
    response["WWW-Authenticate"] = 'Bearer realm="greencard-m2m"'
    return response


@csrf_exempt
def verify(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        response = _problem(405, "method_not_allowed", "请使用 POST。")
        response["Allow"] = "POST"
        return response
    scheme, _sep, presented = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        return _unauthenticated("请在 Authorization 头中提供接口密钥（Bearer）。")
    try:
        body = json.loads(request.body or b"{}")
        token = body.get("token") if isinstance(body, dict) else None
    except ValueError:
        token = None
    if not isinstance(token, str) or not token.strip() or len(token) > TOKEN_MAX:
        return _problem(
            422,
            "invalid",
            "请求无效。",
            errors={"token": ["绿卡凭证：请提供扫码所得的凭证（不超过 600 个字符）。"]},
        )
    try:
        outcome = services.card_verify_m2m(
            presented_key=presented.strip(), token=token, source_ip=client_ip(request)
        )
    except services.Unauthenticated as exc:
        return _unauthenticated(exc.message)
    except services.RateLimited as exc:
        response = _json(429, exc.as_problem())
        response["Retry-After"] = "60"
        return response
    v, partner = outcome.verification, outcome.partner
    return _json(
        200,
        {
            "result": v.result,
            "reason": v.reason,
            "message": outcome.message,
            "verification_id": v.pk,
            "checked_at": v.checked_at.isoformat(),
            "partner": {"code": partner.code, "name": partner.name, "kind": partner.kind},
            "card": outcome.fields if outcome.valid else None,
        },
    )


# Mounted under /api/m2m/greencards/ (config/urls.py).
urlpatterns = [
    path("verify", verify, name="verify"),
]


# --- the lean pipeline ----------------------------------------------------------------------------------------------


def _language(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """What ChineseFirstLocaleMiddleware does for a request without a language cookie."""

    def middleware(request: HttpRequest) -> HttpResponse:
        translation.activate(settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = settings.LANGUAGE_CODE
        try:
            response = get_response(request)
        finally:
            translation.deactivate()
        response.headers.setdefault("Content-Language", settings.LANGUAGE_CODE)
        return response

    return middleware


class _OnceBuiltCSPMiddleware(CSPMiddleware):
    """django-csp's middleware with its header built once instead of per answer (building it was a seventh of the
    path's CPU). Sound here because this view renders no HTML — no nonce is ever asked for — and sets no per-view
    policy, so every answer gets the same header; it is rebuilt when a setting changes (tests)."""

    _headers: ClassVar[tuple[tuple[str, str], ...] | None] = None

    def process_request(self, request: HttpRequest) -> None:
        return None  # no nonce: nothing on this path renders a template

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        headers = _OnceBuiltCSPMiddleware._headers
        if headers is None:
            probe = HttpResponse()
            super().process_response(request, probe)
            headers = tuple((name, probe[name]) for name in (HEADER, HEADER_REPORT_ONLY) if name in probe)
            _OnceBuiltCSPMiddleware._headers = headers
        for name, value in headers:
            if name not in response:
                response[name] = value
        return response


@receiver(setting_changed)
def _forget_csp(**_kwargs: Any) -> None:
    _OnceBuiltCSPMiddleware._headers = None


_SUBSTITUTES: dict[str, Callable[..., Any]] = {"csp.middleware.CSPMiddleware": _OnceBuiltCSPMiddleware}


def _build_chain() -> Callable[[HttpRequest], Any]:
    """The view wrapped in ``LEAN_MIDDLEWARE`` the way Django's BaseHandler wraps it in settings.MIDDLEWARE: every
    layer behind ``convert_exception_to_response`` (an exception becomes Django's 400/403/404/500 answer, logged)."""
    handler: Callable[[HttpRequest], Any] = convert_exception_to_response(verify)
    handler = convert_exception_to_response(_language(handler))
    for dotted in reversed(LEAN_MIDDLEWARE):
        factory = _SUBSTITUTES.get(dotted) or import_string(dotted)
        handler = convert_exception_to_response(factory(handler))
    return handler


class LeanHandler:
    """A WSGI application for ``VERIFY_PATH`` only: Django's ``WSGIHandler.__call__`` with ``LEAN_MIDDLEWARE`` in place
    of settings.MIDDLEWARE and the view in place of URL resolution. The request_started/request_finished signals
    still fire, so database connections are checked, recycled and closed exactly as on Django's pipeline."""

    def __init__(self) -> None:
        self._chain = _build_chain()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        set_script_prefix(get_script_name(environ))
        signals.request_started.send(sender=self.__class__, environ=environ)
        request = WSGIRequest(environ)
        set_urlconf(settings.ROOT_URLCONF)
        response: HttpResponse = self._chain(request)  # every layer of the chain is synchronous
        response._resource_closers.append(request.close)  # type: ignore[attr-defined]
        if response.status_code >= 400:
            log_response("%s: %s", response.reason_phrase, request.path, response=response, request=request)
        start_response(
            f"{response.status_code} {response.reason_phrase}",
            [*response.items(), *(("Set-Cookie", c.output(header="")) for c in response.cookies.values())],
        )
        return response


class LeanDispatch:
    """WSGI middleware (config/wsgi.py): ``VERIFY_PATH`` to :class:`LeanHandler`, everything else to ``django_app``."""

    def __init__(self, django_app: Callable[..., Iterable[bytes]]) -> None:
        self.django_app = django_app
        self.lean = LeanHandler()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == VERIFY_PATH:
            return self.lean(environ, start_response)
        return self.django_app(environ, start_response)
