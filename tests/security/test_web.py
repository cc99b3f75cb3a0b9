"""Web protections (issue 11 §4): security headers and no-store on every page, CSRF on every state-changing form and
session API call, mass assignment ignored, rate limits on registration, SMS, login and card verification."""

from __future__ import annotations

import importlib
import json

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from . import policy
from .matrix import api_operations, fill, site_routes
from .test_access_matrix import API_PARAM, op_body, send
from .world import MISSING_PK, PRINCIPALS, World, sign_in

pytestmark = pytest.mark.django_db


def pages(world: World) -> list[tuple[str, str]]:
    """(principal, path) for every GET page some principal may open, each as its first allowed principal."""
    out = []
    for r in site_routes():
        rule = policy.URLS.get(r.name)
        if rule is None or rule.obj is not None:
            continue
        who = next((p for p in PRINCIPALS if rule.expect(p, None, cross=False) == "ok"), None)
        if who is not None:
            out.append((who, fill(r.route, {k: rule.kw.get(k, MISSING_PK) for k in r.kwargs})))
    objects = [("workflow:case_detail", "talent_a", "case"), ("workflow:task_detail", "staff_1", "task")]
    for name, who, kind in objects:
        route = next(r for r in site_routes() if r.name == name)
        key = next(o.key for o in world.of(kind) if who in o.owners)
        out.append((who, fill(route.route, dict.fromkeys(route.kwargs, key))))
    return out


def test_security_headers_and_no_store_on_every_page(world: World) -> None:
    checked = 0
    problems = []
    for who, path in pages(world):
        response = world.client(who).get(path)
        if response.status_code != 200:
            problems.append(f"{path} as {who}: {response.status_code}")
            continue
        checked += 1
        csp = response.get("Content-Security-Policy", "")
        script_src = next((d for d in csp.split(";") if d.strip().startswith("script-src")), "")
        missing = [h for h, ok in (
            ("CSP", bool(csp) and "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
             and "frame-ancestors 'none'" in csp),
            ("X-Frame-Options", response.get("X-Frame-Options") == "DENY"),
            ("nosniff", response.get("X-Content-Type-Options") == "nosniff"),
            ("Referrer-Policy", response.get("Referrer-Policy") in {"same-origin", "no-referrer", "strict-origin"}),
        ) if not ok]
        if who != "anon" and "no-store" not in response.get("Cache-Control", ""):
            missing.append("Cache-Control: no-store")
        if missing and not path.startswith("/.well-known/"):
            problems.append(f"{path} as {who}: missing {missing}")
    print(f"\nheaders: {checked} pages checked")
    assert checked > 50
    assert not problems, "\n".join(problems)


def test_public_pages_stay_cacheable_for_anonymous_visitors(world: World) -> None:
    response = world.client("anon").get("/")
    assert "no-store" not in response.get("Cache-Control", "")


def test_hsts_and_secure_cookies_under_production_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"SECRET_KEY": "x" * 64, "ALLOWED_HOSTS": "onestop.example.org", "DATABASE_URL": "sqlite:///x",
                        "ONESTOP_FIELD_KEYS": "k:" + "A" * 44, "ONESTOP_BLIND_INDEX_KEY": "A" * 44,
                        "ONESTOP_GREENCARD_KEYS": "g:" + "A" * 44, "CACHE_URL": "redis://127.0.0.1:6379/0"}.items():
        monkeypatch.setenv(name, value)
    production = importlib.import_module("config.settings.production")
    production = importlib.reload(production)
    assert production.SECURE_HSTS_SECONDS >= 31_536_000
    assert production.SESSION_COOKIE_SECURE and production.CSRF_COOKIE_SECURE
    with override_settings(SECURE_HSTS_SECONDS=production.SECURE_HSTS_SECONDS, SECURE_HSTS_INCLUDE_SUBDOMAINS=True):
        response = Client().get("/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


# --- CSRF -----------------------------------------------------------------------------------------------------------

# POST operations that change nothing and take no session (the anonymous calculator): no CSRF token needed.
STATELESS = {"POST /api/v1/policies/calculate"}


def test_csrf_is_enforced_on_every_state_changing_form_and_session_api_call(world: World) -> None:
    """Every POST a principal is allowed to make, sent without the CSRF token, is refused with 403 and changes
    nothing; the API's session authentication checks the token too."""
    from onestop.core.models import AuditEvent

    audit_before = AuditEvent.objects.count()
    refused, problems = 0, []
    for r in site_routes():
        rule = policy.URLS.get(r.name)
        if rule is None or rule.post is None:
            continue
        objs = world.of(rule.post.obj) if rule.post.obj else [None]
        for obj in objs:
            owners = obj.owners if obj else None
            who = next((p for p in PRINCIPALS if rule.post.expect(p, owners, cross=False) == "ok"), None)
            if who is None or (r.name in {"core:login", "set_language"}):
                continue
            values = {k: rule.post.kw.get(k, obj.key if obj else MISSING_PK) for k in r.kwargs}
            path = fill(r.route, values)
            response = world.client(who, csrf=True).post(path, {"x": "1"})
            refused += response.status_code == 403
            if response.status_code != 403:
                problems.append(f"POST {path} as {who} without CSRF token: {response.status_code}")
    for method, path in api_operations():
        if method == "GET" or f"{method} {path}" in STATELESS:
            continue
        rule = policy.API[f"{method} {path}"]
        obj = (world.of(rule.obj) if rule.obj else [None])[0]
        owners = obj.owners if obj else None
        who = next((p for p in PRINCIPALS if p != "anon" and rule.expect(p, owners, cross=False) == "ok"), None)
        if who is None:
            continue
        values = {k: rule.kw.get(k, obj.key if obj else MISSING_PK) for k in API_PARAM.findall(path)}
        url = API_PARAM.sub(lambda m, v=values: str(v[m[1]]), path)
        response = send(world.client(who, csrf=True), method, url, op_body(method, path))
        refused += response.status_code == 403
        if response.status_code != 403:
            problems.append(f"{method} {url} as {who} without CSRF token: {response.status_code}")
    print(f"\ncsrf: {refused} state-changing requests without a token refused")
    assert refused > 20
    assert not problems, "\n".join(problems)
    written = list(AuditEvent.objects.order_by("pk")[audit_before:].values_list("action", "result"))
    assert not [w for w in written if w[1] != "denied" and w[0] != "auth.login"], written  # sign-ins of the clients


# --- Mass assignment ------------------------------------------------------------------------------------------------

def test_mass_assignment_on_registration_is_ignored() -> None:
    from onestop.core.models import User
    from onestop.core.tests.factories import synthetic_phone, synthetic_resident_id

    body = {"real_name": "张三", "id_type": "resident_id", "id_number": synthetic_resident_id(4242),
            "phone": synthetic_phone(4242), "password": "Zz#2024security", "agree_terms": True,
            "is_staff": True, "is_superuser": True, "account_type": "admin", "status": "active", "department": 1,
            "owner": 1, "role": "sys_admin"}
    response = Client().post("/api/v1/accounts/register/talent", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    user = User.objects.get(pk=response.json()["id"])
    assert not user.is_staff and not user.is_superuser
    assert user.account_type == "talent"
    assert user.role_set() == {"talent"}


def test_mass_assignment_on_a_service_request_is_ignored(world: World) -> None:
    from onestop.workflow.models import Case

    talent = world.users["talent_a"]
    body = {"kind": "housing", "title": "申请人才公寓", "detail": "", "status": "approved", "applicant": 1,
            "applicant_id": world.users["talent_b"].pk, "owner": world.users["talent_b"].pk, "department": 2,
            "amount": 999999, "amount_fen": 999999}
    client = sign_in(Client(), talent, otp=False)
    response = client.post("/api/v1/workflow/service-requests", json.dumps(body), content_type="application/json")
    assert response.status_code in (200, 201), response.content
    case = Case.objects.filter(applicant=talent).order_by("-pk").first()
    assert case is not None and case.status != "approved"
    assert not Case.objects.filter(applicant=world.users["talent_b"], title=body["title"]).count() > 1


# --- Rate limits ----------------------------------------------------------------------------------------------------

@override_settings(ONESTOP_RATE_LIMITS={"register": (3, 3600), "sms": (2, 600)})
def test_registration_is_rate_limited_per_client_ip() -> None:
    cache.clear()
    client = Client(REMOTE_ADDR="203.0.113.9")
    attempt = json.dumps({"real_name": "李四", "id_number": "x", "phone": "x", "password": "x", "agree_terms": True})
    answers = [client.post("/api/v1/accounts/register/talent", attempt, content_type="application/json").status_code
               for _ in range(3)]
    assert answers == [422, 422, 422]  # refused registrations count too
    response = client.post("/api/v1/accounts/register/talent", attempt, content_type="application/json")
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    page = client.post("/account/register/", {"real_name": "李四", "id_type": "resident_id",
                                                "id_number": "410122198501010011", "phone": "13903710001",
                                                "password": "Zz#2024security", "password2": "Zz#2024security",
                                                "agree_terms": "on"})
    assert page.status_code == 200 and "操作过于频繁" in page.content.decode()
    assert Client(REMOTE_ADDR="203.0.113.10").post(
        "/api/v1/accounts/register/talent", attempt, content_type="application/json").status_code == 422
    cache.clear()


@override_settings(ONESTOP_RATE_LIMITS={"register": (3, 3600), "sms": (2, 600)})
def test_sms_sending_is_rate_limited_per_number() -> None:
    from onestop.core.sms import MemorySmsBackend, get_sms_backend

    cache.clear()
    for _ in range(5):
        get_sms_backend().send(phone="13903719999", text="验证码 123456")
    get_sms_backend().send(phone="13903718888", text="验证码 654321")
    assert [m["phone"] for m in MemorySmsBackend.outbox] == ["13903719999", "13903719999", "13903718888"]
    cache.clear()


def test_login_locks_after_five_failures(world: World) -> None:
    client = Client(REMOTE_ADDR="198.51.100.7")
    phone = world.users["talent_b"].phone
    codes = [client.post("/account/login/", {"username": phone, "password": "wrong-Password1"}).status_code
             for _ in range(6)]
    response = client.post("/account/login/", {"username": phone, "password": "Talent#2024ok"})
    assert codes[-1] in (403, 429) or response.status_code in (403, 429), codes
    assert "_auth_user_id" not in client.session


def test_card_verification_is_rate_limited() -> None:
    """Green cards keep their own per-checker limit (GREENCARD_VERIFY_RATE_PER_MINUTE), proven in
    onestop/greencards/tests/test_verify.py::test_verification_is_rate_limited_per_checker; here: it is on."""
    from django.conf import settings

    assert 0 < settings.GREENCARD_VERIFY_RATE_PER_MINUTE <= 120


