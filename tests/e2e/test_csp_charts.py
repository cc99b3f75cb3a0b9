"""Every chart of the site under the strict Content-Security-Policy, in a real browser.

The policy (config/settings/base.py) allows no inline style: ECharts' SVG renderer writes ``style`` attributes and
its HTML tooltips inject markup with ``style="…"``, which Chromium refuses and reports. A department head who also
heads the housing bureau opens every page that carries a ``data-chart`` — the workbench, the department load chart,
the green-card satisfaction figure, the housing desk, and the policy sandbox (an htmx swap) — and hovers each chart so
its tooltip shows. The test collects ``securitypolicyviolation`` events and console errors and requires none, and
requires every chart to be drawn (on a canvas) with an accessible name.

Drives Debian's Chromium through Playwright against pytest-django's live server (one server, one browser, all pages
in one test). The platform's "today" is pinned as in the other journeys."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from .browser import CHROMIUM, CHROMIUM_ARGS, JOURNEY_MARKS, close_loop_connections

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

PASSWORD = "Journey#2024ok"
TODAY = date(2024, 9, 23)  # a Monday

pytestmark = JOURNEY_MARKS

# Registered before any page script runs (Playwright's init scripts are not subject to the page's CSP): every
# violation is reported to the test through an exposed binding.
LISTEN = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolation({page: location.pathname, directive: e.effectiveDirective || e.violatedDirective,
                         blocked: e.blockedURI,
                         source: (e.sourceFile || "") + ":" + e.lineNumber, sample: e.sample || ""});
}, true);
"""


@pytest.fixture
def zone(transactional_db, monkeypatch, tmp_path, settings) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The package's departments and policies, the official calendar, the sample workflow with two open tasks of
    the talent office, and a head of both the talent office and the housing bureau."""
    from onestop.core.choices import Role
    from onestop.core.tests.factories import DepartmentFactory, StaffFactory, TalentFactory, grant
    from onestop.policies.models import Policy
    from onestop.policies.services import policy_load_package, policy_version_start
    from onestop.workflow import calendar as wd
    from onestop.workflow.definitions import read_spec, shipped_spec_files
    from onestop.workflow.services import (
        calendar_year_load_package,
        definition_publish,
        service_request_submit,
    )

    monkeypatch.setattr(wd, "today", lambda: TODAY)
    settings.ONESTOP_PRIVATE_MEDIA_ROOT = tmp_path / "private"
    office = DepartmentFactory(code="talent_office", name="人才工作领导小组办公室", name_en="Talent Office")
    housing = DepartmentFactory(code="housing", name="住房和城乡建设局", name_en="Housing")
    for code in ("hrss", "education", "health", "exit_entry"):
        DepartmentFactory(code=code)
    calendar_year_load_package(year=TODAY.year)
    (path,) = [p for p in shipped_spec_files() if p.name == "talent_service.json"]
    definition_publish(spec=read_spec(path))
    policy_load_package()
    head = StaffFactory(department=office, department__role=Role.DEPT_HEAD, username="head_csp", password=PASSWORD)
    grant(head, Role.DEPT_HEAD, department=housing)
    for title in ("申请人才公寓", "申请子女入学"):
        service_request_submit(applicant=TalentFactory(), kind="housing", title=title)
    policy = Policy.objects.filter(department=office).order_by("code").first()
    assert policy is not None, "the 2024 package has no talent-office policy"
    draft = policy_version_start(policy=policy, actor=head)
    return {"head": head, "draft": draft}


@pytest.fixture
def browser(live_server) -> Iterator[tuple[Any, list[str], list[dict[str, str]]]]:  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = instance.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})  # a phone
        context.set_default_timeout(15_000)
        violations: list[dict[str, str]] = []
        errors: list[str] = []
        context.expose_function("__cspViolation", lambda v: violations.append(v))
        context.add_init_script(LISTEN)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
        page.on("console", lambda msg: errors.append(f"{page.url}: {msg.text}") if msg.type == "error" else None)
        try:
            yield page, errors, violations
        finally:
            context.close()
            instance.close()
            close_loop_connections()


def _sign_in(page: Any, url: str, user: Any) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from onestop.core.tests.factories import totp_token

    page.goto(f"{url}/account/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/account/otp/verify/**")
    page.fill("#id_token", totp_token(TOTPDevice.objects.get(user=user)))
    page.click("#otp-submit")
    page.wait_for_url(lambda u: "/otp/" not in u)


def _charts_drawn(page: Any, where: str, expected: int, problems: list[str]) -> int:
    """Every ``[data-chart]`` of the page is drawn (on a canvas) and named for screen readers; hover each so its
    tooltip renders. Shortcomings go to ``problems``; returns the number of charts drawn."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    charts = page.locator("[data-chart]")
    assert charts.count() == expected, f"{where}: {charts.count()} charts, expected {expected}"
    drawn = 0
    for i in range(expected):
        chart = charts.nth(i)
        try:
            chart.and_(page.locator('[data-rendered="1"]')).wait_for(state="attached", timeout=5_000)
        except PlaywrightTimeout:  # reported with the other shortcomings
            problems.append(f"{where}: chart {i} was not drawn")
            continue
        drawn += 1
        if chart.locator("canvas").count() == 0:
            problems.append(f"{where}: chart {i} is not drawn on a canvas")
        if chart.get_attribute("role") != "img" or not (chart.get_attribute("aria-label") or "").strip():
            problems.append(f"{where}: chart {i} has no role=img and accessible name")
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        if not box or not 0 < box["width"] <= 390:
            problems.append(f"{where}: chart {i} does not fit a phone: {box}")
            continue
        page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.6)
        page.wait_for_timeout(300)  # the tooltip shows after a short delay
    return drawn


def test_no_chart_breaks_the_content_security_policy(browser, live_server, zone):  # type: ignore[no-untyped-def]
    page, errors, violations = browser
    url = live_server.url
    _sign_in(page, url, zone["head"])

    # The CSP is really on (no unsafe-inline anywhere): the test would prove nothing otherwise.
    response = page.goto(f"{url}/staff/")
    policy = response.headers.get("content-security-policy", "")
    assert "style-src 'self'" in policy and "unsafe-inline" not in policy

    problems: list[str] = []
    drawn = _charts_drawn(page, "staff home", 1, problems)
    page.goto(f"{url}/workflow/load/")
    drawn += _charts_drawn(page, "workflow load", 1, problems)
    # The accessible name: the page's label, then each series with its people and figures (two tasks, unclaimed).
    name = page.locator('[data-chart="chart-load"]').get_attribute("aria-label") or ""
    assert name.startswith("各经办人未办结任务与超期任务堆叠条形图。") and "按期办理：" in name and "已超期：" in name, name
    assert "未认领 2" in name, name
    page.goto(f"{url}/greencards/satisfaction/")
    drawn += _charts_drawn(page, "green-card satisfaction", 1, problems)
    page.goto(f"{url}/housing/desk/")
    drawn += _charts_drawn(page, "housing desk", 2, problems)

    # The policy sandbox: the charts arrive in an htmx swap.
    page.goto(f"{url}/policies/manage/versions/{zone['draft'].pk}/")
    page.click("#run-sandbox")
    page.wait_for_selector("#sandbox-totals")
    drawn += _charts_drawn(page, "policy sandbox", 2, problems)

    by_page = Counter(f"{v['page']} {v['directive']} ({v['source'].rsplit('/', 1)[-1]})" for v in violations)
    assert (violations, errors, problems, drawn) == ([], [], [], 7), (
        f"{len(violations)} CSP violations: {dict(by_page)}; {len(errors)} console errors, first: {errors[:1]}; "
        f"{drawn} of 7 charts drawn: {problems}")
