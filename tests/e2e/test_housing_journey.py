"""Housing in a real browser: a graduate books a warm-station stay and sees the confirmation with the address and the
QR code; a certified C-tier talent applies in an apartment round, the round is ranked and drawn, the talent accepts
the offer and sees the lease. Launch settings as test_journey.py; the platform's clock is fixed on a Monday."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from .browser import CHROMIUM, CHROMIUM_ARGS, JOURNEY_MARKS, close_loop_connections

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

TODAY = date(2026, 3, 2)

pytestmark = JOURNEY_MARKS


@pytest.fixture
def browser(live_server) -> Iterator[object]:  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        errors: list[str] = []
        try:
            yield instance, errors
        finally:
            instance.close()
            close_loop_connections()
        assert errors == [], f"JavaScript errors: {errors}"


def _signed_in(browser, live_server, user):  # type: ignore[no-untyped-def]
    from onestop.core.tests.factories import PASSWORD

    instance, errors = browser
    context = instance.new_context(locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/account/login/")
    page.fill("#id_username", user.phone)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{live_server.url}/me/")
    return page


def test_graduate_books_a_stay_and_certified_talent_gets_an_apartment(browser, live_server, transactional_db,
                                                                       monkeypatch):  # type: ignore[no-untyped-def]
    from onestop.core.tests.factories import DepartmentFactory, StaffFactory
    from onestop.housing import services
    from onestop.housing.tests.conftest import certify, employed, graduate, make_station, make_units

    clock = {"today": TODAY}
    monkeypatch.setattr("onestop.workflow.calendar.today", lambda: clock["today"])
    station = make_station(beds=2, code="ws-e2e")
    desk = StaffFactory(department=DepartmentFactory(code="housing", name="住建局", name_en="Housing"))

    # A graduate books two free nights.
    grad = graduate(real_name="林晓")
    page = _signed_in(browser, live_server, grad)
    page.click("#me-housing")
    page.wait_for_url(f"{live_server.url}/housing/")
    page.click("#stay-new")
    page.select_option("#id_station", str(station.pk))
    assert page.input_value("#id_check_in") == "2026-03-05"  # three working days ahead, prefilled
    page.fill("#id_nights", "2")
    page.click("#stay-submit")
    page.wait_for_selector("#stay-qr svg")
    assert page.locator("#stay-status").inner_text() == "已确认"
    assert "迎宾大道 8 号" in page.locator("#stay-address").inner_text()
    assert "2026-03-05 — 2026-03-07" in page.locator("#stay-dates").inner_text()

    # A certified C-tier talent applies in the round.
    rnd = services.round_create(actor=desk, code="2026-e2e", title="2026 年第一批人才公寓", opens_on=TODAY,
                                closes_on=TODAY + timedelta(days=7), unit_ids=[u.pk for u in make_units(2)])
    talent = employed(insured_months=12)
    talent.real_name = "周明远"
    talent.save(update_fields=["real_name"])
    certify(talent, tier="C")
    competitor = employed()
    services.application_submit(rnd=rnd, applicant=competitor, preferences=["one_bed"])
    page = _signed_in(browser, live_server, talent)
    page.goto(f"{live_server.url}/housing/")
    page.click(".round-link")
    page.wait_for_selector("#apply-form")
    page.select_option("#id_first", "one_bed")
    page.click("#apply-submit")
    page.wait_for_selector("#my-code")
    code = page.locator("#my-code").inner_text()

    # The window closes; the desk ranks, publishes and draws.
    clock["today"] = TODAY + timedelta(days=8)
    services.round_publish(rnd=rnd, actor=desk)
    services.round_draw(rnd=rnd, actor=desk)

    # The talent sees the result (masked names), accepts the offer and sees the lease.
    page.goto(f"{live_server.url}/housing/rounds/{rnd.code}/")
    assert page.locator("#my-position").inner_text() == "1"  # C/D before young talents
    results = page.locator("#round-results").inner_text()
    assert code in results and "周明远" not in results and "周*" in results
    page.goto(f"{live_server.url}/housing/")
    page.click(".offer-alert a")
    page.click("#offer-accept")
    page.wait_for_selector("#lease-reference")
    assert page.locator("#lease-status").inner_text() == "租赁中"
    assert "apt1-1号楼-0001" in page.locator("#lease-unit").inner_text()
    assert "实付 900.00 元" in page.locator("#lease-rent").inner_text()
    assert "2026-03-11 — 2027-03-11" in page.locator("#lease-term").inner_text()
