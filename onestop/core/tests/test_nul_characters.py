"""A NUL character anywhere in the input is refused with 400 before any view (PostgreSQL cannot store it)."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db


def test_nul_in_a_query_string_is_refused_on_the_api(client):
    response = client.get("/api/v1/departments", {"q": "a\x00b"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_nul_in_a_page_query_string_is_refused(client):
    assert client.get("/", {"q": "\x00"}).status_code == 400


def test_nul_in_a_json_body_is_refused(client):
    body = json.dumps({"real_name": "张\u0000三", "phone": "13800000000"})

    response = client.post("/api/v1/accounts/register/talent", body, content_type="application/json")

    assert response.status_code == 400


def test_nul_in_a_form_field_is_refused(client):
    response = client.post("/account/login/", {"username": "a\x00", "password": "x"})

    assert response.status_code == 400


def test_ordinary_input_still_passes(client):
    assert client.get("/api/v1/departments", {"q": "人才"}).status_code == 200
