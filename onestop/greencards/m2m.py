"""Machine-to-machine verification: ``POST /api/m2m/greencards/verify`` for partner desks' scanners and systems.

Authenticated by a per-checker API key (``Authorization: Bearer gck_…``, see ``services.api_key_create``), never by a
session: the view reads no cookie, sets none and is exempt from CSRF (a browser cannot attach the header to a
cross-site request without a CORS preflight, which this site never grants). It is a plain Django view, not a ninja
operation: the path is hot (docs/performance.md) and its shape is small and fixed (docs/greencard.md).
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from onestop.core.context import client_ip

from . import services

TOKEN_MAX = 600


def _json(status: int, payload: dict[str, Any]) -> HttpResponse:
    response = HttpResponse(json.dumps(payload, ensure_ascii=False), status=status,
                            content_type="application/json")
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
    scheme, _sep, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        return _unauthenticated("请在 Authorization 头中提供接口密钥（Bearer）。")
    try:
        body = json.loads(request.body or b"{}")
        token = body.get("token") if isinstance(body, dict) else None
    except ValueError:
        token = None
    if not isinstance(token, str) or not token.strip() or len(token) > TOKEN_MAX:
        return _problem(422, "invalid", "请求无效。", errors={"token": ["绿卡凭证：请提供扫码所得的凭证（不超过 600 个字符）。"]})
    try:
        outcome = services.card_verify_m2m(presented_key=presented.strip(), token=token,
                                           source_ip=client_ip(request))
    except services.Unauthenticated as exc:
        return _unauthenticated(exc.message)
    except services.RateLimited as exc:
        response = _json(429, exc.as_problem())
        response["Retry-After"] = "60"
        return response
    v, partner = outcome.verification, outcome.partner
    return _json(200, {
        "result": v.result, "reason": v.reason, "message": outcome.message, "verification_id": v.pk,
        "checked_at": v.checked_at.isoformat(),
        "partner": {"code": partner.code, "name": partner.name, "kind": partner.kind},
        "card": outcome.fields if outcome.valid else None,
    })


# Mounted under /api/m2m/greencards/ (config/urls.py).
urlpatterns = [
    path("verify", verify, name="verify"),
]
