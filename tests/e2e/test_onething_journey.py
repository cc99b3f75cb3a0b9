"""人才一件事 in a real browser: a certified talent submits one application with four matters at four departments;
the human-resources bureau approves, the education bureau refuses; the talent sees both outcomes in one progress
view. Chromium settings as in test_journey.py; staff sessions carry the second factor (``conftest.sign_in``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date

import pytest
from django.test import Client

from conftest import sign_in
from onestop.onething.tests.conftest import clock, make_talent, zone  # noqa: F401  (fixtures)
from onestop.talents.models import Certificate, CertificationApplication, FamilyMember
from onestop.workflow.choices import TaskState
from onestop.workflow.models import Task

from .browser import CHROMIUM, CHROMIUM_ARGS, JOURNEY_MARKS, close_loop_connections

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

MATTERS = ["living_allowance", "hukou", "medical", "school"]

pytestmark = JOURNEY_MARKS


@pytest.fixture
def browser(live_server) -> Iterator[object]:  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        errors: list[str] = []
        try:
            yield chromium, errors
        finally:
            chromium.close()
            close_loop_connections()
        assert errors == [], f"JavaScript errors: {errors}"


def _page_as(browser, live_server, user, *, otp: bool = False):  # type: ignore[no-untyped-def]
    chromium, errors = browser
    client = sign_in(Client(), user, otp=otp)
    context = chromium.new_context(locale="zh-CN")
    context.set_default_timeout(15_000)
    host = live_server.url.split("//")[1].split(":")[0]
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "domain": host,
                          "path": "/"}])
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page


def _certified_parent(zone):  # type: ignore[no-untyped-def]  # noqa: F811
    user, profile = make_talent()
    app = CertificationApplication.objects.create(profile=profile, applied_by=user, claimed_tier="C",
                                                  status="certified")
    Certificate.objects.create(application=app, profile=profile, number="RD-E2E-1", track="standard", tier="C",
                               valid_from=date(2024, 1, 1), valid_until=date(2028, 12, 31))
    FamilyMember.objects.create(profile=profile, relation="child", name="孩子")
    return user


def _decide(page, live_server, task: Task, action: str, reason: str = "") -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/workflow/tasks/{task.pk}/")
    page.click(f"#action-{action} summary")
    if reason:
        page.fill(f"#action-{action} textarea[name=reason]", reason)
    page.click(f"#submit-{action}")
    page.wait_for_selector("#task-state")


def test_one_application_four_matters_two_departments_decide(browser, live_server, zone, tmp_path):  # noqa: F811
    talent = _certified_parent(zone)
    pdf = tmp_path / "material.pdf"
    pdf.write_bytes(b"%PDF-1.4 e2e material")
    page = _page_as(browser, live_server, talent)

    # The talent starts one application and picks four matters.
    page.goto(f"{live_server.url}/onething/")
    page.click("#onething-start")
    for code in MATTERS:
        page.check(f"#matter-{code}")
    page.click("#matters-save")
    page.wait_for_selector("#precheck-table")
    assert page.locator("#onething-submit").is_disabled()

    # Each document once, whoever needs it; every matter is then pre-checked "likely".
    codes = page.locator("#documents li").evaluate_all("els => els.map(e => e.dataset.document)")
    assert sorted(codes) == ["birth", "contract", "diploma", "id"]
    for code in codes:
        page.set_input_files(f"#file-{code}", str(pdf))
        page.click(f"#upload-{code}")
        page.wait_for_selector(f"li[data-document='{code}'] .badge.text-bg-success")
    verdicts = page.locator("#precheck-table .verdict").all_inner_texts()
    assert verdicts == ["预计可以通过"] * 4
    page.click("#onething-submit")
    page.wait_for_selector("#progress-table")
    statuses = page.locator("#progress-table .matter-status").all_inner_texts()
    assert statuses == ["办理中"] * 4

    # Two departments decide in their own queues.
    def open_task(department: str) -> Task:
        return Task.objects.get(department__code=department, state=TaskState.PENDING,
                                case__applicant=talent)

    hrss = _page_as(browser, live_server, zone.staff["hrss"], otp=True)
    _decide(hrss, live_server, open_task("hrss"), "approve")
    education = _page_as(browser, live_server, zone.staff["education"], otp=True)
    _decide(education, live_server, open_task("education"), "reject", "学段暂无学位，请明年申请")

    # The talent sees both outcomes in the one progress view.
    page.reload()
    rows = {code: page.locator(f"#progress-table tr[data-matter='{code}'] .matter-status").inner_text()
            for code in MATTERS}
    assert rows == {"living_allowance": "已通过", "hukou": "办理中", "medical": "办理中", "school": "未通过"}
    history = page.locator("#history").inner_text()
    assert "学段暂无学位" in history
