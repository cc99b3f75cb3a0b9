"""The green card in a real browser: a certified talent opens the card (QR code), a hospital checker signs in with the
second factor and verifies the token on the scan page (pasted: headless Chromium has no camera), sees only the
hospital's fields, and the talent then sees the scan in "who checked my card". Launch settings as test_journey.py."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from .browser import CHROMIUM, CHROMIUM_ARGS, JOURNEY_MARKS, close_loop_connections

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop


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


def _page(browser):  # type: ignore[no-untyped-def]
    instance, errors = browser
    context = instance.new_context(locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page


def _certify(holder):  # type: ignore[no-untyped-def]
    """Certification through the certification module's own service; the green card follows its domain event."""
    from onestop.talents.certification import certification_publicity_close
    from onestop.talents.models import CertificationApplication

    today = timezone.localdate()
    application = CertificationApplication.objects.create(
        profile=holder.talent_profile, applied_by=holder, track="standard", claimed_tier="B", decided_tier="B",
        status="publicity", publicity_start=today - timedelta(days=10), publicity_end=today - timedelta(days=3))
    assert certification_publicity_close(application=application, today=today) is not None


def test_talent_shows_card_hospital_verifies_talent_sees_the_scan(browser, live_server, transactional_db):  # type: ignore[no-untyped-def]
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from onestop.core.tests.factories import (
        PASSWORD,
        PartnerFactory,
        PartnerUserFactory,
        TalentFactory,
        totp_token,
    )
    from onestop.greencards.models import GreenCard

    holder = TalentFactory(real_name="欧阳明远")
    _certify(holder)
    card = GreenCard.objects.get(holder=holder, status="active")
    hospital = PartnerFactory(code="hospital_e2e", name="航空港区中心医院", kind="hospital")
    checker = PartnerUserFactory(partner=hospital, username="hospital_e2e_checker", password=PASSWORD)

    # The talent opens the card.
    talent = _page(browser)
    talent.goto(f"{live_server.url}/account/login/")
    talent.fill("#id_username", holder.phone)
    talent.fill("#id_password", PASSWORD)
    talent.click("#login-submit")
    talent.wait_for_url(f"{live_server.url}/me/")
    talent.click("#me-greencard")
    talent.wait_for_url(f"{live_server.url}/greencards/")
    assert talent.locator("#card-holder").inner_text() == "欧阳明远"
    assert "B 卡" in talent.locator("#card-class").inner_text()
    assert talent.locator("#card-qr svg").count() == 1
    assert "暂无核验记录" in talent.locator("#scan-log").inner_text()

    # The hospital checker signs in with the second factor and verifies the pasted token.
    desk = _page(browser)
    desk.goto(f"{live_server.url}/account/login/")
    desk.fill("#id_username", "hospital_e2e_checker")
    desk.fill("#id_password", PASSWORD)
    desk.click("#login-submit")
    desk.wait_for_url("**/account/otp/verify/**")
    desk.fill("#id_token", totp_token(TOTPDevice.objects.get(user=checker)))
    desk.click("#otp-submit")
    desk.wait_for_url(lambda url: "/otp/" not in url)
    desk.goto(f"{live_server.url}/partner/")
    desk.click("#open-scan")
    desk.wait_for_url(f"{live_server.url}/greencards/verify/")
    assert desk.locator("#verify-partner").inner_text() == "航空港区中心医院"
    desk.fill("#id_token", card.token)
    desk.click("#verify-submit")
    desk.wait_for_selector("#verify-valid")
    assert desk.locator("#verify-name").inner_text() == "欧阳明远"
    assert "适用" in desk.locator(".entitlement-medical_green_channel").inner_text()
    html = desk.content()
    assert holder.id_number not in html and holder.phone not in html and card.card_id not in html

    # A tampered token is refused with a clear reason.
    desk.fill("#id_token", card.token[:-2] + ("AA" if not card.token.endswith("AA") else "BB"))
    desk.click("#verify-submit")
    desk.wait_for_selector("#verify-invalid")
    assert desk.locator("#verify-reason").inner_text() in {"签名校验失败，凭证被篡改或伪造", "二维码内容不是有效的人才绿卡凭证"}

    # The talent sees who checked the card.
    talent.reload()
    assert talent.locator("#scan-log .scan-partner").all_inner_texts() == ["航空港区中心医院"]


def _sign_in_with_otp(page, live_server, username: str, user) -> None:  # type: ignore[no-untyped-def]
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from onestop.core.tests.factories import PASSWORD, totp_token

    page.goto(f"{live_server.url}/account/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/account/otp/verify/**")
    page.fill("#id_token", totp_token(TOTPDevice.objects.get(user=user)))
    page.click("#otp-submit")
    page.wait_for_url(lambda url: "/otp/" not in url)


def test_the_talent_office_suspends_a_card_and_the_hospital_is_refused(browser, live_server, transactional_db):  # type: ignore[no-untyped-def]
    from onestop.core.tests.factories import (
        PASSWORD,
        DepartmentFactory,
        PartnerFactory,
        PartnerUserFactory,
        StaffFactory,
        TalentFactory,
    )
    from onestop.greencards.models import GreenCard

    holder = TalentFactory(real_name="司马清和")
    _certify(holder)
    card = GreenCard.objects.get(holder=holder, status="active")
    office = StaffFactory(department=DepartmentFactory(code="talent_office", name="人才办"),
                          username="office_e2e", password=PASSWORD)
    hospital = PartnerFactory(code="hospital_e2e2", name="航空港区第二医院", kind="hospital")
    checker = PartnerUserFactory(partner=hospital, username="hospital_e2e2_checker", password=PASSWORD)

    # The talent office finds the card and suspends it; the form answers in place (htmx), the reason is required.
    staff = _page(browser)
    _sign_in_with_otp(staff, live_server, "office_e2e", office)
    staff.goto(f"{live_server.url}/greencards/manage/")
    staff.fill("#id_q", card.card_id)
    staff.click("#manage-search button[type=submit]")
    staff.click("#manage-cards a")
    staff.wait_for_selector("#suspend-form")
    staff.click("#suspend-submit")
    staff.wait_for_selector("#id_suspend-reason_errors")
    assert "理由" in staff.locator("#id_suspend-reason_errors").inner_text()
    staff.fill("#id_suspend-reason", "认定复核中")
    staff.click("#suspend-submit")
    staff.wait_for_selector("#manage-done")
    assert staff.locator("#card-status-badge").inner_text() == "已暂停"
    assert staff.locator("#reinstate-form").count() == 1

    # The hospital's scan is refused with the reason.
    desk = _page(browser)
    _sign_in_with_otp(desk, live_server, "hospital_e2e2_checker", checker)
    desk.goto(f"{live_server.url}/greencards/verify/")
    desk.fill("#id_token", card.token)
    desk.click("#verify-submit")
    desk.wait_for_selector("#verify-invalid")
    assert desk.locator("#verify-reason").inner_text() == "绿卡已暂停使用"

    # Reinstated, it verifies again.
    staff.fill("#id_reinstate-reason", "复核通过")
    staff.click("#reinstate-submit")
    staff.wait_for_selector("#suspend-form")
    desk.fill("#id_token", card.token)
    desk.click("#verify-submit")
    desk.wait_for_selector("#verify-valid")
    assert desk.locator("#verify-name").inner_text() == "司马清和"
