"""Signing in: by mobile number or username, lockout after 5 failures per username + IP, the second factor for staff
and admins, idle timeout and absolute lifetime, disabled accounts."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from onestop.core.choices import AuditResult, Role
from onestop.core.middleware import SESSION_AUTH_AT, SESSION_LAST_SEEN
from onestop.core.models import AuditEvent
from onestop.core.services import user_set_active
from onestop.core.tests.factories import PASSWORD, AdminFactory, StaffFactory, totp_token

pytestmark = pytest.mark.django_db

LOGIN = "/account/login/"


def post_login(client: Client, username: str, password: str, **extra):  # type: ignore[no-untyped-def]
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- login -----------------------------------------------------------------------------------------------------------

def test_talent_logs_in_with_mobile_number_and_lands_on_personal_centre(talent):
    client = Client()

    response = post_login(client, talent.phone, PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/me/"
    assert client.session["_auth_user_id"] == str(talent.pk)
    assert AuditEvent.objects.filter(action="auth.login", actor=talent, result=AuditResult.SUCCESS).count() == 1


def test_mobile_number_may_be_typed_with_spaces_and_country_code(talent):
    client = Client()
    spaced = f"+86 {talent.phone[:3]} {talent.phone[3:7]} {talent.phone[7:]}"

    response = post_login(client, spaced, PASSWORD)

    assert response.status_code == 302
    assert is_signed_in(client)


def test_wrong_password_is_refused_with_a_chinese_message_and_audited(talent):
    client = Client()

    response = post_login(client, talent.phone, "Wrong#Password1")

    assert response.status_code == 200
    assert "手机号/用户名或密码错误" in response.content.decode()
    assert not is_signed_in(client)
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.result == AuditResult.FAILURE
    assert event.object_id == str(talent.pk)
    assert talent.phone not in event.actor_label


def test_empty_login_form_names_each_field():
    response = Client().post(LOGIN, {"username": "", "password": ""})

    html = response.content.decode()
    assert "手机号或用户名：请填写此项。" in html
    assert "密码：请填写此项。" in html


# --- lockout (django-axes) -------------------------------------------------------------------------------------------

def test_sixth_attempt_is_refused_even_with_the_right_password_after_five_failures(talent):
    client = Client()
    for _ in range(5):
        post_login(client, talent.phone, "Wrong#Password1")

    response = post_login(client, talent.phone, PASSWORD)

    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert not is_signed_in(client)
    assert AuditEvent.objects.filter(action="auth.login_failed", result=AuditResult.FAILURE).count() >= 5
    assert AuditEvent.objects.filter(action="auth.locked_out", result=AuditResult.DENIED).exists()


def test_four_failures_do_not_lock_the_account(talent):
    client = Client()
    for _ in range(4):
        post_login(client, talent.phone, "Wrong#Password1")

    response = post_login(client, talent.phone, PASSWORD)

    assert response.status_code == 302
    assert is_signed_in(client)


def test_lockout_is_per_username_and_ip(talent):
    for _ in range(5):
        post_login(Client(), talent.phone, "Wrong#Password1", REMOTE_ADDR="10.0.0.1")
    locked = post_login(Client(), talent.phone, PASSWORD, REMOTE_ADDR="10.0.0.1")

    elsewhere = Client()
    other_ip = post_login(elsewhere, talent.phone, PASSWORD, REMOTE_ADDR="10.0.0.2")

    assert locked.status_code == 429
    assert other_ip.status_code == 302
    assert is_signed_in(elsewhere)


def test_axes_tables_never_hold_the_phone_number_in_plain_text(talent):
    client = Client()
    for _ in range(5):
        post_login(client, talent.phone, "Wrong#Password1")
    post_login(Client(), talent.phone, PASSWORD, REMOTE_ADDR="10.0.0.9")  # a success elsewhere: AccessLog row

    rows = [
        *AccessAttempt.objects.values(),
        *AccessFailureLog.objects.values(),
        *AccessLog.objects.values(),
    ]
    assert AccessAttempt.objects.count() >= 1
    assert AccessFailureLog.objects.count() >= 5
    dump = repr(rows)
    assert talent.phone not in dump
    assert talent.phone[-8:] not in dump
    assert AccessAttempt.objects.get().username.startswith("phone:")


def test_lockout_audit_never_holds_the_phone_number(talent):
    for _ in range(5):
        post_login(Client(), talent.phone, "Wrong#Password1")

    dump = repr(list(AuditEvent.objects.values()))

    assert talent.phone not in dump


# --- second factor ---------------------------------------------------------------------------------------------------

def test_staff_login_goes_to_the_one_time_code_page(staff):
    client = Client()

    response = post_login(client, staff.username, PASSWORD)

    assert response.status_code == 302
    parts = urlsplit(response["Location"])
    assert parts.path == "/account/otp/verify/"
    assert parse_qs(parts.query)["next"] == ["/staff/"]


@pytest.mark.parametrize("path", ["/staff/", "/inbox/", "/me/", "/api/v1/me"])
def test_staff_pages_are_refused_without_the_second_factor(staff, login, path):
    client = login(staff, otp=False)

    response = client.get(path)

    if path.startswith("/api/"):
        assert response.status_code == 401
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/account/otp/verify/")


def test_staff_without_a_device_is_sent_to_enrolment(department, login):
    newcomer = StaffFactory(department=department, totp=False)
    client = login(newcomer)

    response = client.get("/staff/")

    assert response.status_code == 302
    assert response["Location"].startswith("/account/otp/enrol/")


def test_htmx_request_without_second_factor_gets_hx_redirect(staff, login):
    client = login(staff)

    response = client.get("/staff/", HTTP_HX_REQUEST="true")

    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/account/otp/verify/")


def test_staff_page_is_reachable_after_a_correct_code(staff, login):
    client = login(staff)
    device = TOTPDevice.objects.get(user=staff)

    response = client.post("/account/otp/verify/?next=/staff/", {"token": totp_token(device), "next": "/staff/"})

    assert response.status_code == 302
    assert response["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.otp_verified", actor=staff).count() == 1


def test_wrong_code_is_refused_and_audited(staff, login):
    client = login(staff)
    device = TOTPDevice.objects.get(user=staff)
    wrong = f"{(int(totp_token(device)) + 1) % 1_000_000:06d}"

    response = client.post("/account/otp/verify/", {"token": wrong})

    assert response.status_code == 200
    assert "动态验证码：验证码不正确或已过期" in response.content.decode()
    assert client.get("/staff/").status_code == 302
    assert AuditEvent.objects.filter(action="auth.otp_failed", actor=staff, result=AuditResult.FAILURE).exists()


def test_enrolment_shows_a_qr_code_and_a_real_totp_code_confirms_the_device(department, login):
    newcomer = StaffFactory(department=department, totp=False)
    client = login(newcomer)

    page = client.get("/account/otp/enrol/?next=/staff/")
    device = TOTPDevice.objects.get(user=newcomer, confirmed=False)
    confirm = client.post("/account/otp/enrol/", {"token": totp_token(device), "next": "/staff/"})

    html = page.content.decode()
    assert page.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in html
    assert 'id="otp-secret"' in html
    assert confirm.status_code == 302
    assert confirm["Location"] == "/staff/"
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.get("/staff/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.otp_enrolled", actor=newcomer).count() == 1


def test_enrolment_with_a_wrong_code_leaves_the_device_unconfirmed(department, login):
    newcomer = StaffFactory(department=department, totp=False)
    client = login(newcomer)
    client.get("/account/otp/enrol/")
    device = TOTPDevice.objects.get(user=newcomer)

    response = client.post("/account/otp/enrol/", {"token": "000000" if totp_token(device) != "000000" else "111111"})

    device.refresh_from_db()
    assert response.status_code == 200
    assert device.confirmed is False
    assert client.get("/staff/").status_code == 302


def test_admin_site_is_refused_without_second_factor_and_allowed_after(sys_admin, login):
    without = login(sys_admin, otp=False)
    with_otp = login(sys_admin, otp=True)

    refused = without.get("/admin/")
    allowed = with_otp.get("/admin/")

    assert refused.status_code == 302
    assert refused["Location"].startswith("/account/otp/verify/")
    assert allowed.status_code == 200
    assert "OneStop 管理后台" in allowed.content.decode()


def test_talents_need_no_second_factor(talent, login):
    assert login(talent).get("/me/").status_code == 200


# --- session lifetime ------------------------------------------------------------------------------------------------

def age_session(client: Client, *, idle: float = 0, since_login: float | None = None) -> None:
    session = client.session
    now = time.time()
    session[SESSION_LAST_SEEN] = now - idle
    session[SESSION_AUTH_AT] = now - (since_login if since_login is not None else idle)
    session.save()


def test_talent_session_survives_twenty_idle_minutes(talent, login):
    client = login(talent)
    age_session(client, idle=20 * 60)

    assert client.get("/me/").status_code == 200


def test_talent_session_ends_after_thirty_idle_minutes(talent, login):
    client = login(talent)
    age_session(client, idle=31 * 60)

    response = client.get("/me/")

    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")
    assert not is_signed_in(client)
    event = AuditEvent.objects.get(action="auth.session_expired", actor=talent)
    assert event.source_ip == "127.0.0.1"
    follow = client.get(response["Location"])
    assert "您已长时间未操作" in follow.content.decode()


def test_staff_session_ends_after_fifteen_idle_minutes(staff, login):
    fresh = login(staff, otp=True)
    idle = login(staff, otp=True)
    age_session(fresh, idle=14 * 60)
    age_session(idle, idle=16 * 60)

    assert fresh.get("/staff/").status_code == 200
    response = idle.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


def test_absolute_lifetime_ends_an_active_session(talent, login):
    client = login(talent)
    age_session(client, idle=10, since_login=12 * 3600 + 60)

    response = client.get("/me/")

    assert response.status_code == 302
    assert not is_signed_in(client)


def test_disabled_account_session_stops_working(talent, sys_admin, login):
    client = login(talent)
    assert client.get("/me/").status_code == 200

    user_set_active(user=talent, active=False, actor=sys_admin)
    response = client.get("/me/")

    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")
    assert AuditEvent.objects.filter(action="user.disable", actor=sys_admin, object_id=str(talent.pk)).count() == 1


def test_disabled_account_cannot_log_in(talent, sys_admin):
    user_set_active(user=talent, active=False, actor=sys_admin)
    client = Client()

    response = post_login(client, talent.phone, PASSWORD)

    assert response.status_code == 200
    assert not is_signed_in(client)


def test_only_the_system_admin_may_disable_accounts(talent, sec_admin):
    from onestop.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        user_set_active(user=talent, active=False, actor=sec_admin)
    talent.refresh_from_db()
    assert talent.is_active is True


def test_logout_ends_the_session_and_is_audited(talent, login):
    client = login(talent)

    response = client.post("/account/logout/")

    assert response.status_code == 302
    assert not is_signed_in(client)
    assert AuditEvent.objects.filter(action="auth.logout", actor=talent).count() == 1


def test_admin_login_redirects_to_admin_index_after_otp(sys_admin):
    client = Client()
    response = post_login(client, sys_admin.username, PASSWORD)

    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query)["next"] == [reverse("admin:index")]


def test_auditor_home_is_the_audit_list(auditor):
    response = post_login(Client(), auditor.username, PASSWORD)

    assert parse_qs(urlsplit(response["Location"]).query)["next"] == ["/audit/"]


def test_admin_factory_roles_are_exclusive(db):
    admin = AdminFactory(role=Role.SEC_ADMIN)

    assert admin.role_set() == {Role.SEC_ADMIN}


@pytest.mark.parametrize("evil", ["https://evil.example/", "//evil.example/me/", "http:///evil.example"])
def test_login_never_redirects_to_another_host(talent, evil):
    response = Client().post(LOGIN, {"username": talent.phone, "password": PASSWORD, "next": evil})

    assert response.status_code == 302
    assert response["Location"] == "/me/"


def test_login_follows_a_local_next(talent):
    response = Client().post(LOGIN, {"username": talent.phone, "password": PASSWORD, "next": "/inbox/"})

    assert response["Location"] == "/inbox/"


def test_otp_verify_never_redirects_to_another_host(staff, login):
    client = login(staff)
    device = TOTPDevice.objects.get(user=staff)

    response = client.post("/account/otp/verify/", {"token": totp_token(device), "next": "https://evil.example/"})

    assert response.status_code == 302
    assert response["Location"] == "/staff/"


def test_expired_session_on_the_api_is_a_401_problem(talent, login):
    client = login(talent)
    age_session(client, idle=31 * 60)

    response = client.get("/api/v1/me")

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_api_writes_with_a_session_need_the_csrf_token(talent, login):
    from onestop.core.tests.factories import NotificationFactory

    note = NotificationFactory(recipient=talent)
    client = login(talent, client=Client(enforce_csrf_checks=True))

    response = client.post(f"/api/v1/notifications/{note.pk}/read")

    note.refresh_from_db()
    assert response.status_code == 403
    assert note.read_at is None

