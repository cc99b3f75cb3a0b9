"""The targets dashboard in a real browser: the talent office (the leadership's office) opens the dashboard, clicks a
bar of a chart and lands on the records behind it (names masked), drills into a figure, exports the Excel workbook
and opens the big screen; HRSS enters a month's reported figure with its evidence file and sees it counted.
Drives Debian's Chromium through Playwright against pytest-django's live server."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from .browser import CHROMIUM, CHROMIUM_ARGS, JOURNEY_MARKS, close_loop_connections

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

PASSWORD = "Journey#2024ok"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

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


def _sign_in(browser: Any, url: str, username: str, user: Any) -> Any:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from onestop.core.tests.factories import totp_token

    instance, errors = browser
    context = instance.new_context(locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(f"{page.url}: {msg.text}") if msg.type == "error" else None)
    page.goto(f"{url}/account/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/account/otp/verify/**")
    page.fill("#id_token", totp_token(TOTPDevice.objects.get(user=user)))
    page.click("#otp-submit")
    page.wait_for_url(lambda u: "/otp/" not in u)
    return page


@pytest.fixture
def zone(transactional_db, tmp_path, settings):  # type: ignore[no-untyped-def]
    from onestop.core.choices import Role
    from onestop.core.tests.factories import DepartmentFactory, EnterpriseFactory, StaffFactory, TalentFactory
    from onestop.talents.models import Employment, TalentProfile
    from onestop.targets.services import targets_carry_forward, targets_load

    settings.ONESTOP_PRIVATE_MEDIA_ROOT = tmp_path / "private"
    office = DepartmentFactory(code="talent_office", name="人才工作领导小组办公室")
    hrss = DepartmentFactory(code="hrss", name="人力资源和社会保障局")
    targets_load(year=2024)
    year = timezone.localdate().year
    if year > 2024:
        targets_carry_forward(from_year=2024, to_year=year)
    enterprise = EnterpriseFactory(name="郑州临空电子有限公司", industry="electronic_info")
    talents = []
    for name, month in (("欧阳明远", 1), ("林嘉言", 1), ("周子墨", 2)):
        talent = TalentFactory(real_name=name)
        Employment.objects.create(profile=TalentProfile.objects.get(user=talent), enterprise=enterprise,
                                  start_date=date(year, month, 10))
        talents.append(talent)
    return {
        "leader": StaffFactory(department=office, department__role=Role.DEPT_HEAD, username="leader_e2e",
                               password=PASSWORD),
        "hrss": StaffFactory(department=hrss, username="hrss_e2e", password=PASSWORD),
        "year": year, "talents": talents,
    }


def test_leadership_drills_down_and_exports_and_a_department_reports(browser, live_server, zone):  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    from onestop.targets.models import ReportedFigure, Target

    url, year = live_server.url, zone["year"]
    employed = Target.objects.get(year=year, code="employed_new")

    # 1. The leadership's office opens the dashboard: every target with its figure, the charts drawn.
    page = _sign_in(browser, url, "leader_e2e", zone["leader"])
    page.click("#nav-targets")
    page.wait_for_selector("#target-employed_new")
    assert page.locator('[data-testid="value-employed_new"]').inner_text() == "3"
    assert page.locator("#target-training_sessions .badge").inner_text() == "填报"
    page.wait_for_selector('[data-target-chart="overview-chart"] canvas')

    # 2. The figure's detail: a click on January's bar of the trend chart opens January's records.
    page.goto(f"{url}/targets/{employed.pk}/")
    page.wait_for_selector('[data-target-chart="trend-chart"] canvas')
    chart = page.locator('[data-target-chart="trend-chart"]')
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(1200)  # let the bars finish their entry animation
    box = chart.bounding_box()
    x, y = page.evaluate("""() => {
        const el = document.querySelector('[data-target-chart="trend-chart"]');
        return echarts.getInstanceByDom(el).convertToPixel({seriesIndex: 0}, [0, 1]);
    }""")
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_url(f"**/targets/{employed.pk}/records/?month=1")
    summary = page.locator("#records-summary").inner_text()
    assert "共 2 条记录" in summary
    table = page.locator("#records-table").inner_text()
    assert "欧阳明远" not in table and "欧**远" in table and "林*言" in table

    # 3. The whole figure: the records listed equal the dashboard's number.
    page.goto(f"{url}/targets/?year={year}")
    page.click('[data-testid="value-employed_new"]')
    page.wait_for_url(f"**/targets/{employed.pk}/records/")
    assert page.locator("#records-figure").inner_text() == "3"
    assert page.locator("#records-table tbody tr").count() == 3

    # 4. Export: the workbook holds the same figure.
    page.goto(f"{url}/targets/?year={year}")
    with page.expect_download() as info:
        page.click("#export-link")
    workbook = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    rows = {r[0]: r for r in workbook["汇总"].iter_rows(min_row=3, values_only=True)}
    assert rows["employed_new"][6] == 3 and rows["employed_new"][5] == 100000

    # 5. The big screen draws its chart and polls its panel.
    page.click("#screen-link")
    page.wait_for_selector("#screen-panel [data-target-chart] canvas")
    assert page.locator("body.screen").count() == 1

    # 6. HRSS enters this month's training sessions with the evidence file; the dashboard counts it.
    training = Target.objects.get(year=year, code="training_sessions")
    hrss = _sign_in(browser, url, "hrss_e2e", zone["hrss"])
    hrss.goto(f"{url}/targets/")
    assert hrss.locator("#target-high_level_introduced").count() == 0  # the talent office's own target
    hrss.goto(f"{url}/targets/{training.pk}/")
    hrss.fill("#id_month", f"{timezone.localdate():%Y-%m}")
    hrss.fill("#id_value", "")
    hrss.fill("#id_source", "人社局职业技能培训管理系统")
    hrss.click("#reported-submit")
    hrss.wait_for_selector("text=当月数值：请填写此项。")
    hrss.fill("#id_month", f"{timezone.localdate():%Y-%m}")
    hrss.fill("#id_value", "1860")
    hrss.fill("#id_source", "人社局职业技能培训管理系统")
    hrss.set_input_files("#id_evidence", files=[{"name": "培训台账.pdf", "mimeType": "application/pdf",
                                                 "buffer": PDF}])
    hrss.click("#reported-submit")
    hrss.wait_for_selector("text=已填报，数值已计入看板。")
    assert "培训台账.pdf" in hrss.locator("#reported-table").inner_text()
    figure = ReportedFigure.objects.get(target=training)
    assert figure.value == 1860 and figure.entered_by == zone["hrss"]
    hrss.goto(f"{url}/targets/")
    assert hrss.locator('[data-testid="value-training_sessions"]').inner_text() == "1,860"
