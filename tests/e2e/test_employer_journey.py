"""The employer side in a real browser: an employer registers and uploads its licence, the talent office verifies
it, the employer confirms an employee and applies for funding, a reviewer approves on the workflow; an official logs
a visit with a problem that the owner department resolves and the enterprise closes off (销号).
Drives Debian's Chromium through Playwright against pytest-django's live server."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from onestop.core.demo import synthetic

from .browser import CHROMIUM, CHROMIUM_ARGS, JOURNEY_MARKS, close_loop_connections

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

PASSWORD = "Journey#2024ok"

pytestmark = JOURNEY_MARKS


@pytest.fixture
def browser(live_server) -> Iterator[Any]:  # type: ignore[no-untyped-def]
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


def _page(browser: Any) -> Any:
    instance, errors = browser
    context = instance.new_context(locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page


def _sign_in(browser: Any, url: str, username: str, password: str, user: Any = None) -> Any:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from onestop.core.tests.factories import totp_token

    page = _page(browser)
    page.goto(f"{url}/account/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-submit")
    if user is not None and TOTPDevice.objects.filter(user=user).exists():
        page.wait_for_url("**/account/otp/verify/**")
        page.fill("#id_token", totp_token(TOTPDevice.objects.get(user=user)))
        page.click("#otp-submit")
        page.wait_for_url(lambda u: "/otp/" not in u)
    return page


@pytest.fixture
def zone(transactional_db, tmp_path, settings):  # type: ignore[no-untyped-def]
    from onestop.core.choices import Role
    from onestop.core.tests.factories import DepartmentFactory, StaffFactory, TalentFactory
    from onestop.policies.services import FIXTURE, policy_load_package
    from onestop.workflow.definitions import read_spec, shipped_spec_files
    from onestop.workflow.services import calendar_year_load_package, definition_publish

    settings.ONESTOP_PRIVATE_MEDIA_ROOT = tmp_path / "private"
    office = DepartmentFactory(code="talent_office", name="人才工作领导小组办公室")
    hrss = DepartmentFactory(code="hrss", name="人力资源和社会保障局")
    investment = DepartmentFactory(code="investment", name="投资促进局")
    for year in range(timezone.localdate().year - 1, min(timezone.localdate().year + 1, 2026) + 1):
        calendar_year_load_package(year=year)
    for path in shipped_spec_files():
        if path.name in ("employer_funding.json", "visit_talent_problem.json"):
            definition_publish(spec=read_spec(path))
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    data["policies"] = [p for p in data["policies"] if p["code"] == "employer-talent-funding"]
    (tmp_path / "funding.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    policy_load_package(path=tmp_path / "funding.json")
    return {
        "reviewer": StaffFactory(department=office, username="office_e2e", password=PASSWORD),
        "hrss": StaffFactory(department=hrss, username="hrss_e2e", password=PASSWORD),
        "official": StaffFactory(department=investment, username="official_e2e", password=PASSWORD),
        "head": StaffFactory(department=investment, department__role=Role.DEPT_HEAD, username="head_e2e"),
        "talent": TalentFactory(real_name="林嘉言", password=PASSWORD),
    }


def test_employer_registers_confirms_applies_and_a_visit_problem_is_closed(browser, live_server, zone):  # type: ignore[no-untyped-def]
    from onestop.employers.models import Enterprise, FundingApplication
    from onestop.engagement.models import Problem, VisitAssignment
    from onestop.talents.models import Certificate, CertificationApplication
    from onestop.talents.services import employment_add
    from onestop.workflow.models import Case

    url = live_server.url
    rng = random.Random(20241130)
    uscc = synthetic.make_uscc(rng, 7)
    phone = synthetic.mobile(rng, 3)

    # 1. The employer registers by USCC and uploads its business licence.
    page = _page(browser)
    page.goto(f"{url}/account/register/employer/")
    page.fill("#id_uscc", uscc)
    page.fill("#id_name", "郑州临空智造科技有限公司")
    page.select_option("#id_industry", "aerospace")
    page.fill("#id_contact_name", "韩晓东")
    page.fill("#id_phone", phone)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.get_by_role("button", name="注册").click()
    page.wait_for_url(f"{url}/employer/")
    assert page.locator("#enterprise-status").inner_text() == "待核验"
    page.set_input_files("#id_licence", files=[{"name": "营业执照.pdf", "mimeType": "application/pdf",
                                                "buffer": b"%PDF-1.4\n%%EOF\n"}])
    page.click("#licence-submit")
    page.wait_for_selector("text=营业执照已上传")
    enterprise = Enterprise.objects.get(uscc=uscc)

    # 2. The talent office verifies the registration.
    office = _sign_in(browser, url, "office_e2e", PASSWORD, zone["reviewer"])
    office.goto(f"{url}/employer/review/")
    office.click("text=郑州临空智造科技有限公司")
    office.select_option("#id_decision", "approve")
    office.click("#review-submit")
    office.wait_for_url(f"{url}/employer/review/")
    enterprise.refresh_from_db()
    assert enterprise.status == "active"

    # 3. A talent names the enterprise; the employer confirms the employment.
    job = employment_add(actor=zone["talent"], uscc=uscc, start_date=date(2024, 3, 1))
    page.goto(f"{url}/employer/employments/")
    page.click(".confirm-employment")
    page.wait_for_selector(".employment-status:has-text('确认在职')")
    job.refresh_from_db()
    assert job.confirmed_at is not None

    # 4. The talent is certified (the certification module's own flow is tested there); the employer applies.
    profile = zone["talent"].talent_profile
    application = CertificationApplication.objects.create(profile=profile, enterprise=enterprise,
                                                          applied_by=zone["talent"], claimed_tier="B",
                                                          decided_tier="B", status="certified")
    today = timezone.localdate()
    Certificate.objects.create(application=application, profile=profile, number="ZS-E2E-0001", track="standard",
                               tier="B", valid_from=today - timedelta(days=1), valid_until=today + timedelta(days=900))
    page.goto(f"{url}/employer/funding/")
    assert "funding-quote" in page.content()
    page.fill("#id_statement", "林嘉言博士由本单位全职引进，担任航电研发中心负责人。")
    page.click("#funding-submit")
    page.wait_for_selector("#funding-status:has-text('审核中')")
    funding = FundingApplication.objects.get(enterprise=enterprise)

    # 5. The reviewer approves on the workflow; the employer sees the approved amount.
    case = Case.objects.get(subject_id=funding.pk, definition__code="employer_funding")
    task = case.tasks.get()
    office.goto(f"{url}/workflow/tasks/{task.pk}/")
    office.click("#action-approve summary")
    office.click("#submit-approve")
    office.wait_for_selector("#task-state:has-text('已通过')")
    funding.refresh_from_db()
    assert funding.status == "approved"
    page.goto(f"{url}/employer/funding/{funding.pk}/")
    assert page.locator("#funding-status").inner_text() == "已核定"

    # 6. An official logs a visit with a problem; HRSS replies and resolves; the enterprise closes it off.
    VisitAssignment.objects.create(official=zone["official"], enterprise=enterprise, assigned_by=zone["head"])
    official = _sign_in(browser, url, "official_e2e", PASSWORD, zone["official"])
    official.goto(f"{url}/engagement/visits/")
    official.select_option("#visit-form #id_enterprise", str(enterprise.pk))
    official.fill("#id_visited_on", today.isoformat())
    official.fill("#id_participants", "韩晓东、人事经理")
    official.fill("#id_explained", "引才育才工作经费与人才绿卡政策")
    official.fill("#id_problem_1_title", "夜班职工通勤难")
    official.fill("#id_problem_1_description", "厂区周边夜间无公交班次。")
    official.select_option("#id_problem_1_department", "hrss")
    official.click("#visit-submit")
    official.wait_for_selector("text=已保存")
    problem = Problem.objects.get(enterprise=enterprise)

    hrss = _sign_in(browser, url, "hrss_e2e", PASSWORD, zone["hrss"])
    hrss.goto(f"{url}/engagement/problems/{problem.pk}/")
    hrss.fill("form:has(#problem-reply) textarea", "已协调公交公司开通夜班线路。")
    hrss.click("#problem-reply")
    hrss.wait_for_selector("#problem-status:has-text('已答复')")
    hrss.fill("form:has(#problem-resolve) textarea", "夜班线路已开通运行。")
    hrss.click("#problem-resolve")
    hrss.wait_for_selector("#problem-status:has-text('待企业确认')")

    page.goto(f"{url}/engagement/problems/{problem.pk}/")
    page.select_option("#id_satisfied", "yes")
    page.select_option("#id_satisfaction", "5")
    page.click("#problem-confirm")
    page.wait_for_selector("#problem-status:has-text('已销号')")
    problem.refresh_from_db()
    assert problem.status == "closed" and problem.satisfaction == 5
