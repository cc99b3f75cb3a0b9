"""The shell: public home, health check, the API schema, language switch, error pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from onestop.core.models import Announcement, WorkerHeartbeat

pytestmark = pytest.mark.django_db


def test_home_shows_published_announcements_only(client):
    Announcement.objects.create(title="人才绿卡服务全面上线", summary="持卡人才可享受配偶安置。")
    Announcement.objects.create(title="未发布的公告", is_published=False)

    html = client.get("/").content.decode()

    assert "人才绿卡服务全面上线" in html
    assert "未发布的公告" not in html
    assert '<html lang="zh-CN">' in html


def test_pages_load_nothing_from_another_host(client):
    html = client.get("/").content.decode() + client.get("/account/login/").content.decode()

    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_security_headers_are_sent(client):
    response = client.get("/")

    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


# --- health check ----------------------------------------------------------------------------------------------------

def test_healthz_is_503_without_a_worker_heartbeat(client):
    response = client.get("/healthz")

    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "degraded"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["worker"]["ok"] is False


def test_healthz_is_200_with_a_fresh_heartbeat(client):
    WorkerHeartbeat.objects.create(worker_id="w1", last_seen=timezone.now() - timedelta(seconds=5))

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["checks"]["worker"]["ok"] is True


def test_healthz_is_503_with_a_stale_heartbeat(client):
    WorkerHeartbeat.objects.create(worker_id="w1", last_seen=timezone.now() - timedelta(minutes=5))

    assert client.get("/healthz").status_code == 503


def test_healthz_needs_no_second_factor(staff, login):
    WorkerHeartbeat.objects.create(worker_id="w1")

    assert login(staff).get("/healthz").status_code == 200


# --- API -------------------------------------------------------------------------------------------------------------

def test_openapi_schema_is_served(client):
    response = client.get("/api/v1/openapi.json")

    schema = response.json()
    assert response.status_code == 200
    assert schema["info"]["title"] == "OneStop API"
    assert "/api/v1/accounts/register/talent" in schema["paths"]
    assert "/api/v1/me" in schema["paths"]


def test_interactive_api_docs_load_no_outside_assets(client):
    response = client.get("/api/v1/docs")

    html = response.content.decode()
    assert response.status_code == 200
    assert "swagger" in html.lower()
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_api_me_needs_a_session(client):
    response = client.get("/api/v1/me")

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_departments_are_public_data(client, department):
    assert client.get("/api/v1/departments").json() == [
        {"code": "talent_office", "name": "人才工作领导小组办公室", "name_en": "Talent Office"}]


# --- language --------------------------------------------------------------------------------------------------------

def test_switching_to_english_changes_the_page_text(client):
    chinese = client.get("/account/login/").content.decode()

    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/account/login/"})
    english = client.get("/account/login/").content.decode()

    assert "手机号或用户名" in chinese
    assert switched.status_code == 302
    assert switched["Location"] == "/account/login/"
    assert '<html lang="en">' in english
    assert "Log in" in english
    assert "手机号或用户名" not in english


def test_english_personal_centre(talent, login):
    client = login(talent)
    client.post("/i18n/setlang/", {"language": "en", "next": "/me/"})

    html = client.get("/me/").content.decode()

    assert "My account" in html
    assert "个人中心" not in html


def test_browser_language_alone_does_not_switch_to_english(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()

    assert '<html lang="zh-CN">' in html


# --- error pages -----------------------------------------------------------------------------------------------------

def test_404_page_is_friendly_and_chinese(client):
    response = client.get("/no-such-page/")

    html = response.content.decode()
    assert response.status_code == 404
    assert "页面不存在，或您无权访问。" in html
    assert "Traceback" not in html


@pytest.mark.urls("onestop.core.tests.urls_boom")
def test_server_error_page_shows_no_traceback_or_internal_detail(db):
    client = Client(raise_request_exception=False)

    response = client.get("/boom/")

    html = response.content.decode()
    assert response.status_code == 500
    assert "系统繁忙" in html
    assert "Traceback" not in html
    assert "RuntimeError" not in html
    assert "SELECT secret" not in html


def test_csrf_failure_shows_no_internal_detail(db):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/account/login/", {"username": "x", "password": "y"})

    html = response.content.decode()
    assert response.status_code == 403
    assert "Traceback" not in html
    assert "settings.py" not in html


def test_htmx_swaps_form_errors_answered_422(client):
    """htmx 2 does not swap 4xx answers by default, so a partial answered 422 (a form or draft error shown in place)
    would vanish: the site-wide config swaps 422 and still treats the other 4xx/5xx as errors."""
    import json
    from html import unescape

    html = client.get("/").content.decode()
    config = json.loads(unescape(re.search(r'name="htmx-config" content=\'([^\']*)\'', html).group(1)))
    rules = [(r["code"], r["swap"]) for r in config["responseHandling"]]
    assert rules.index(("422", True)) < rules.index(("[45]..", False))
    assert config["allowEval"] is False
