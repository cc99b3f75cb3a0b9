"""The JSON API at /api/v1 (django-ninja). Errors are problem objects with Chinese messages naming the field."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from ninja import NinjaAPI, Router, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from ninja.responses import Status
from ninja.types import DictStrAny

from onestop.core.api import router as core_router
from onestop.core.exceptions import ApplicationError, ValidationFailed
from onestop.employers.api import router as employers_router
from onestop.engagement.api import router as engagement_router
from onestop.greencards.api import router as greencards_router
from onestop.housing.api import router as housing_router
from onestop.onething.api import router as onething_router
from onestop.policies.api import router as policies_router
from onestop.talents.api import router as talents_router
from onestop.targets.api import router as targets_router
from onestop.workflow.api import router as workflow_router


class ReadableJSONRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


class ObjectBodyParser(Parser):
    """A JSON request body must be an object. django-ninja reads ``[null]`` or ``1`` as "no fields" and fills the
    defaults, so a malformed request to an all-optional schema would be answered as a valid one (found by the
    fuzzing harness, tests/security/test_fuzz_api.py)."""

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise HttpError(400, "the JSON body must be an object")
        return data


api = NinjaAPI(
    renderer=ReadableJSONRenderer(),
    parser=ObjectBodyParser(),
    title="OneStop API",
    version="1",
    description="人才一站式服务平台 JSON API · OneStop talent platform API. Session authentication with CSRF.",
    urls_namespace="api-v1",
)

FIELD_LABELS: dict[str, Any] = {
    "phone": _lazy("手机号"), "password": _lazy("密码"), "real_name": _lazy("姓名"), "id_type": _lazy("证件类型"), "id_number": _lazy("证件号码"),
    "uscc": _lazy("统一社会信用代码"), "name": _lazy("单位名称"), "industry": _lazy("所属产业"), "contact_name": _lazy("联系人姓名"),
    "agree_terms": _lazy("用户协议"), "limit": _lazy("limit"), "offset": _lazy("offset"),
    "action": _lazy("操作"), "reason": _lazy("理由"), "assignee_id": _lazy("转办对象"), "message": _lazy("补充说明"),
    "kind": _lazy("服务事项"), "title": _lazy("标题"), "detail": _lazy("申请说明"),
    "token": _lazy("绿卡凭证"), "entitlement": _lazy("服务权益"), "rating": _lazy("满意度"), "comment": _lazy("评价"),
}

PYDANTIC_MESSAGES: dict[str, Any] = {
    "missing": _lazy("请填写此项。"),
    "string_type": _lazy("应为文本。"),
    "int_parsing": _lazy("应为整数。"),
    "int_type": _lazy("应为整数。"),
    "bool_parsing": _lazy("应为 true 或 false。"),
    "bool_type": _lazy("应为 true 或 false。"),
    "date_from_datetime_parsing": _lazy("日期格式应为 YYYY-MM-DD。"),
    "date_parsing": _lazy("日期格式应为 YYYY-MM-DD。"),
    "string_too_long": _lazy("内容过长。"),
    "string_too_short": _lazy("内容过短。"),
    "json_invalid": _lazy("请求体不是有效的 JSON。"),
    "enum": _lazy("不是允许的取值。"),
    "literal_error": _lazy("不是允许的取值。"),
    "greater_than_equal": _lazy("数值过小。"),
    "less_than_equal": _lazy("数值过大。"),
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
        label = str(FIELD_LABELS.get(field.split(".")[-1], field))
        text = str(PYDANTIC_MESSAGES.get(str(err.get("type")), _lazy("取值无效。")))
        errors.setdefault(field, []).append(_("%(label)s：%(text)s") % {"label": label, "text": text})
    return problem(request, 422, "invalid", _("提交的信息有误，请按提示修改。"), errors)


@api.exception_handler(ApplicationError)
def on_application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return api.create_response(request, exc.as_problem(), status=exc.status)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem(request, 401, "unauthenticated", _("请先登录。"))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """django-ninja's own errors (an unparsable body, throttling) as problem objects too, never its English detail."""
    if exc.status_code == 400:
        return problem(request, 400, "invalid", _("请求体不是有效的 JSON。"), {"body": [_("请求体不是有效的 JSON。")]})
    return problem(request, exc.status_code, "error", _("请求无法处理，请稍后再试。"))


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


@accounts.post("/register/talent", response={201: RegisteredOut, 422: Problem, 429: Problem}, auth=None,
               summary="人才注册 / Register as a talent")
def register_talent(request: HttpRequest, payload: TalentRegisterIn) -> Status[RegisteredOut]:
    from onestop.core.context import client_ip
    from onestop.core.ratelimit import enforce
    from onestop.talents.services import talent_register

    enforce("register", client_ip(request) or "")
    user = talent_register(**payload.dict())
    return Status(201, RegisteredOut(id=int(user.pk or 0), account_type=user.account_type, phone_masked=user.masked_phone))


api.add_router("/", core_router)
api.add_router("/accounts", accounts)
api.add_router("/workflow", workflow_router)
api.add_router("/policies", policies_router)
api.add_router("/talents", talents_router)
api.add_router("/greencards", greencards_router)
api.add_router("/employers", employers_router)
api.add_router("/engagement", engagement_router)
FIELD_LABELS.update({
    "confirm": _lazy("结论"), "certificate_id": _lazy("人才认定证书"), "statement": _lazy("情况说明"),
    "amount_fen": _lazy("金额（分）"), "paid_on": _lazy("拨付日期"), "voucher_no": _lazy("凭证号"),
    "budget_fen": _lazy("预算（分）"), "deadline": _lazy("截止日期"), "quote_fen": _lazy("报价（分）"),
    "proposal": _lazy("揭榜方案"), "visited_on": _lazy("走访日期"), "enterprise_id": _lazy("企业"),
    "satisfied": _lazy("是否已解决"), "satisfaction": _lazy("满意度"), "text": _lazy("内容"),
})
api.add_router("/housing", housing_router)
api.add_router("/onething", onething_router)
api.add_router("/targets", targets_router)
FIELD_LABELS.update({"month": _lazy("月份"), "value": _lazy("当月数值"), "source": _lazy("数据来源"),
                     "evidence": _lazy("佐证材料"), "note": _lazy("说明"), "year": _lazy("年度")})
__all__ = ["ValidationFailed", "api"]
