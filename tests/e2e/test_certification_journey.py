"""Certification in a real browser: a talent registers, completes the profile, sees what they can get and what
they nearly can in the calculator, and applies; the employer confirms employment (its own browser); a talent-office
reviewer passes TOTP and approves with a tier; the platform clock moves past the 5-working-day publicity and the tick
issues the certificate, which the talent then sees (and downloads) on their pages.

The platform's "today" is ``onestop.workflow.calendar.today``: the test pins it (the live server runs in this
process) and advances it, exactly as the certification tests do — nothing sleeps."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from onestop.core.demo import synthetic

from .browser import CHROMIUM, CHROMIUM_ARGS, JOURNEY_MARKS, close_loop_connections

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

PASSWORD = "Journey#2024ok"
START = date(2024, 9, 23)  # a Monday; publicity ends Sunday 29 Sep 2024 (a make-up working day, 调休)

pytestmark = JOURNEY_MARKS


@pytest.fixture
def clock(monkeypatch) -> dict[str, date]:  # type: ignore[no-untyped-def]
    from onestop.workflow import calendar as wd

    day = {"today": START}
    monkeypatch.setattr(wd, "today", lambda: day["today"])
    return day


@pytest.fixture
def zone(live_server, clock) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The departments, the official calendar, the certification workflow, the policy package, an enterprise with
    its HR officer, and a talent-office reviewer with a TOTP device."""
    from onestop.core.tests.factories import (
        DepartmentFactory,
        EmployerUserFactory,
        EnterpriseFactory,
        StaffFactory,
    )
    from onestop.policies.services import policy_load_package
    from onestop.workflow.definitions import read_spec, shipped_spec_files
    from onestop.workflow.services import calendar_year_load_package, definition_publish

    office = DepartmentFactory(code="talent_office", name="人才工作领导小组办公室", name_en="Talent Office")
    for code in ("hrss", "housing", "education", "health"):
        DepartmentFactory(code=code)
    for year in (2024, 2025):
        calendar_year_load_package(year=year)
    (path,) = [p for p in shipped_spec_files() if p.name == "talent_certification.json"]
    definition_publish(spec=read_spec(path))
    policy_load_package()
    rng = random.Random(20240923)
    enterprise = EnterpriseFactory(name="郑州航空港测试电子有限公司")
    hr_phone = synthetic.mobile(rng, 7)
    EmployerUserFactory(enterprise=enterprise, phone=hr_phone, password=PASSWORD)
    reviewer = StaffFactory(department=office, username="reviewer1", password=PASSWORD)
    return {"enterprise": enterprise, "hr_phone": hr_phone, "reviewer": reviewer, "rng": rng}


@pytest.fixture
def browser(live_server) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        errors: list[str] = []
        contexts: list[Any] = []

        def new_page() -> Any:
            context = browser.new_context(locale="zh-CN", accept_downloads=True)
            context.set_default_timeout(15_000)
            contexts.append(context)
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            return page

        try:
            yield new_page
        finally:
            for context in contexts:
                context.close()
            browser.close()
            close_loop_connections()
        assert errors == [], f"JavaScript errors: {errors}"


def _open(page: Any, section: str) -> None:
    details = page.locator(f"#section-{section} details")
    if details.get_attribute("open") is None:
        page.locator(f"#section-{section} summary").first.click()


def _save(page: Any, section: str, url: str) -> None:
    with page.expect_navigation():
        page.click(f"#save-{section}")
    problems = page.locator(f"#section-{section} .invalid-feedback, #section-{section} .alert-danger").all_inner_texts()
    assert problems == [], problems
    assert page.locator(".alert-success").first.is_visible()
    assert page.url.startswith(url)


def _totp(user: Any) -> str:
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def test_talent_is_certified_in_the_browser(browser, live_server, zone, clock):  # type: ignore[no-untyped-def]
    from onestop.talents import certification as cert

    url = live_server.url
    rng = zone["rng"]
    id_number = synthetic.resident_id(rng, date(1995, 3, 8), male=False)
    phone = synthetic.mobile(rng, 1)

    # 1. The talent registers.
    talent = browser()
    talent.goto(f"{url}/account/register/")
    talent.fill("#id_real_name", "林书瑶")
    talent.select_option("#id_id_type", "resident_id")
    talent.fill("#id_id_number", id_number)
    talent.fill("#id_phone", phone)
    talent.fill("#id_password", PASSWORD)
    talent.fill("#id_password2", PASSWORD)
    talent.check("#id_agree_terms")
    talent.click("#register-submit")
    talent.wait_for_url(f"{url}/me/")

    # 2. … completes the profile: education, the degree, the job, a diploma.
    profile_url = f"{url}/talent/profile/"
    talent.goto(profile_url)
    _open(talent, "profile")
    talent.select_option("#id_profile-education", "master")
    talent.fill("#id_profile-school", "郑州大学")
    talent.fill("#id_profile-major", "电子信息")
    talent.fill("#id_profile-graduation_date", "2021-06-30")
    talent.select_option("#id_profile-industry", "electronic_info")
    talent.check("#id_profile-homes_declared")
    _save(talent, "profile", profile_url)
    _open(talent, "education")
    talent.select_option("#id_education-level", "master")
    talent.fill("#id_education-school", "郑州大学")
    talent.fill("#id_education-field", "电子信息")
    talent.fill("#id_education-graduation_date", "2021-06-30")
    _save(talent, "education", profile_url)
    _open(talent, "employment")
    talent.fill("#id_employment-uscc", zone["enterprise"].uscc)
    talent.fill("#id_employment-start_date", "2023-07-01")
    talent.select_option("#id_employment-contract_type", index=0)
    talent.fill("#id_employment-job_title", "硬件工程师")
    talent.fill("#id_employment-monthly_salary_yuan", "12000")
    _save(talent, "employment", profile_url)
    _open(talent, "document")
    talent.select_option("#id_document-kind", "diploma")
    talent.set_input_files("#id_document-file", files=[{"name": "学位证书.pdf", "mimeType": "application/pdf",
                                                          "buffer": b"%PDF-1.4\n% diploma\n"}])
    _save(talent, "document", profile_url)
    assert "学位证书.pdf" in talent.content()

    # 3. The calculator, pre-filled from the profile: what she can get now, and what she nearly can.
    talent.goto(f"{url}/policies/calculator/")
    eligible = talent.locator("#eligible .eligible-item")
    near = talent.locator("#near-misses .near-miss-item")
    assert eligible.count() >= 1 and near.count() >= 1
    assert "人才层次认定" in talent.locator("#eligible").inner_text()
    assert "要求" in talent.locator("#near-misses").inner_text() or "请补充" in talent.locator("#near-misses").inner_text()

    # 4. She applies for certification at the tier the pre-check proposes.
    talent.goto(f"{url}/talent/certification/apply/")
    proposed = talent.locator("#proposed-standard").inner_text().strip()
    assert proposed == "E"
    talent.select_option("#id_track", "standard")
    talent.select_option("#id_claimed_tier", proposed)
    talent.check("#id_document_ids_0")
    with talent.expect_navigation():
        talent.click("#apply-submit")
    assert "/talent/certification/" in talent.url
    application_url = talent.url
    assert talent.locator("#application-status").inner_text().strip() == "审核中"
    pk = int(application_url.rstrip("/").rsplit("/", 1)[1])

    # 5. The employer confirms the employment, in its own browser.
    employer = browser()
    employer.goto(f"{url}/account/login/")
    employer.fill("#id_username", zone["hr_phone"])
    employer.fill("#id_password", PASSWORD)
    employer.click("#login-submit")
    employer.wait_for_load_state()
    employer.goto(f"{url}/talent/certification/employer/")
    assert "林书瑶" in employer.content()
    employer.goto(application_url)
    employer.select_option("#id_action", "approve")
    employer.fill("#id_reason", "确认在职")
    with employer.expect_navigation():
        employer.click("#submit-decision")
    assert "确认" in employer.content()

    # 6. A talent-office reviewer signs in with TOTP and approves with the tier.
    reviewer = browser()
    reviewer.goto(f"{url}/account/login/")
    reviewer.fill("#id_username", "reviewer1")
    reviewer.fill("#id_password", PASSWORD)
    reviewer.click("#login-submit")
    reviewer.wait_for_url("**/account/otp/verify/**")
    reviewer.fill("#id_token", _totp(zone["reviewer"]))
    with reviewer.expect_navigation():
        reviewer.locator("form button[type=submit]").last.click()
    reviewer.goto(f"{url}/talent/certification/review/")
    reviewer.click(f"a.open-application[href='/talent/certification/{pk}/']")
    reviewer.wait_for_url(application_url)
    reviewer.select_option("#id_action", "approve")
    reviewer.select_option("#id_tier", "E")
    reviewer.fill("#id_reason", "材料齐全，符合青年及基础人才条件")
    with reviewer.expect_navigation():
        reviewer.click("#submit-decision")
    assert reviewer.locator("#application-status").inner_text().strip() == "公示中"

    # 7. Publicity: 5 working days on the official calendar. The tick on the last day issues nothing; the day after,
    #    the certificate.
    talent.reload()
    assert talent.locator("#application-status").inner_text().strip() == "公示中"
    clock["today"] = date(2024, 9, 29)
    assert cert.certification_tick()["issued"] == 0
    clock["today"] = date(2024, 9, 30)
    assert cert.certification_tick()["issued"] == 1

    # 8. The certificate on the talent's pages, and its PDF.
    talent.goto(f"{url}/talent/certification/")
    number = talent.locator("#my-certificates .certificate-number").inner_text().strip()
    assert number.startswith("ZZGK-2024-E-")
    talent.goto(f"{url}/me/")
    assert talent.locator("#me-certificate .certificate-number").inner_text().strip() == number
    talent.goto(application_url)
    assert talent.locator("#application-status").inner_text().strip() == "已认定"
    assert talent.locator("#certificate-tier").inner_text().strip() != ""
    with talent.expect_download() as download:
        talent.click("#certificate-pdf")
    assert download.value.suggested_filename == f"certificate-{number}.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")
