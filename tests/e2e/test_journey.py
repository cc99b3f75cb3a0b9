"""A talent's first visit, in a real browser: register, see the masked ID, log out, log in by phone, switch to
English, log out. Drives Debian's Chromium through Playwright against pytest-django's live server."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from datetime import date

import pytest

from onestop.core.demo import synthetic
from onestop.core.masking import mask_id_number, mask_phone

from .browser import CHROMIUM, CHROMIUM_ARGS, JOURNEY_MARKS, close_loop_connections

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

PASSWORD = "Journey#2024ok"

pytestmark = JOURNEY_MARKS


@pytest.fixture
def page(live_server) -> Iterator[object]:  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="zh-CN")
        context.set_default_timeout(15_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            yield page
        finally:
            context.close()
            browser.close()
            close_loop_connections()
        assert errors == [], f"JavaScript errors: {errors}"


def test_talent_registers_logs_in_switches_language_and_logs_out(page, live_server):  # type: ignore[no-untyped-def]
    rng = random.Random(20240601)
    id_number = synthetic.resident_id(rng, date(1994, 5, 17), male=True)
    phone = synthetic.mobile(rng, 1)

    # Register.
    page.goto(f"{live_server.url}/account/register/")
    page.fill("#id_real_name", "周子涵")
    page.select_option("#id_id_type", "resident_id")
    page.fill("#id_id_number", id_number)
    page.fill("#id_phone", phone)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.check("#id_agree_terms")
    page.click("#register-submit")

    # The personal centre, with the ID and phone masked.
    page.wait_for_url(f"{live_server.url}/me/")
    html = page.content()
    assert page.locator("h1").inner_text() == "个人中心"
    assert page.locator(".pii-value").all_inner_texts() == [mask_id_number(id_number), mask_phone(phone)]
    assert mask_id_number(id_number) in html
    assert mask_phone(phone) in html
    assert id_number not in html
    assert phone not in html
    assert page.locator("#nav-user").inner_text() == "周子涵"

    # Log out.
    page.click("#logout-button")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("#nav-login").is_visible()

    # Log in by mobile number.
    page.click("#nav-login")
    page.fill("#id_username", phone)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{live_server.url}/me/")
    assert page.locator("#nav-user").inner_text() == "周子涵"

    # Switch to English: the select submits itself (static/js/app.js).
    with page.expect_navigation():
        page.select_option("#lang-select", "en")
    page.wait_for_url(f"{live_server.url}/me/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "My account"
    assert page.locator("#logout-button").inner_text() == "Log out"
    assert "个人中心" not in page.content()

    # Log out again; the site stays in English.
    page.click("#logout-button")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("#nav-login").inner_text() == "Log in"
