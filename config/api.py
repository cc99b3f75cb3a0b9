"""The JSON API at /api/v1 (django-ninja). Errors are problem objects with Chinese messages naming the field."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router, Schema
from ninja.errors import AuthenticationError, ValidationError

from onestop.core.api import router as core_router
from onestop.core.exceptions import ApplicationError, ValidationFailed

api = NinjaAPI(
    title="OneStop API",
    version="1",
    description="人才一站式服务平台 JSON API · OneStop talent platform API. Session authentication with CSRF.",
    urls_namespace="api-v1",
)

FIELD_LABELS: dict[str, str] = {
    "phone": "手机号", "password": "密码", "real_name": "姓名", "id_type": "证件类型", "id_number": "证件号码",
    "uscc": "统一社会信用代码", "name": "单位名称", "industry": "所属产业", "contact_name": "联系人姓名",
    "agree_terms": "用户协议", "limit": "limit", "offset": "offset",
}

PYDANTIC_MESSAGES: dict[str, str] = {
    "missing": "请填写此项。",
    "string_type": "应为文本。",
    "int_parsing": "应为整数。",
    "int_type": "应为整数。",
    "bool_parsing": "应为 true 或 false。",
    "bool_type": "应为 true 或 false。",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD。",
    "date_parsing": "日期格式应为 YYYY-MM-DD。",
    "string_too_long": "内容过长。",
    "string_too_short": "内容过短。",
    "json_invalid": "请求体不是有效的 JSON。",
    "enum": "不是允许的取值。",
    "literal_error": "不是允许的取值。",
    "greater_than_equal": "数值过小。",
    "less_than_equal": "数值过大。",
}


def _field_of(loc: list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "form", "header", "cookie")]
    return ".".join(parts) or "body"


def problem(request: HttpRequest, status: int, code: str, message: str,
            errors: dict[str, list[str]] | None = None) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, "errors": errors or {}}, status=status)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for err in exc.errors:
        field = _field_of(list(err.get("loc", [])))
        label = _(FIELD_LABELS.get(field.split(".")[-1], field))
        text = _(PYDANTIC_MESSAGES.get(str(err.get("type")), "取值无效。"))
        errors.setdefault(field, []).append(f"{label}：{text}")
    return problem(request, 422, "invalid", _("提交的信息有误，请按提示修改。"), errors)


@api.exception_handler(ApplicationError)
def on_application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return api.create_response(request, exc.as_problem(), status=exc.status)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem(request, 401, "unauthenticated", _("请先登录。"))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(request, 404, "not_found", _("记录不存在，或您无权访问。"))


class Problem(Schema):
    code: str
    message: str
    errors: dict[str, list[str]]


class TalentRegisterIn(Schema):
    real_name: str
    id_type: str = "resident_id"
    id_number: str
    phone: str
    password: str
    agree_terms: bool


class RegisteredOut(Schema):
    id: int
    account_type: str
    phone_masked: str


accounts = Router(tags=["accounts"])


@accounts.post("/register/talent", response={201: RegisteredOut, 422: Problem}, auth=None,
               summary="人才注册 / Register as a talent")
def register_talent(request: HttpRequest, payload: TalentRegisterIn) -> tuple[int, RegisteredOut]:
    from onestop.talents.services import talent_register

    user = talent_register(**payload.dict())
    return 201, RegisteredOut(id=user.pk, account_type=user.account_type, phone_masked=user.masked_phone)


api.add_router("/", core_router)
api.add_router("/accounts", accounts)
__all__ = ["ValidationFailed", "api"]
