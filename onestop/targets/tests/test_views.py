"""Pages and API of the dashboard: who sees what (the talent office and the auditor everything, a department its own
targets, everyone else 404), drill-down masked and audited, reported figures with Chinese field errors, export equal
to the dashboard, the PDF report through its task, the big screen."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from openpyxl import load_workbook

from onestop.core.models import AuditEvent
from onestop.targets.models import FigureSnapshot, MonthlyReport, ReportedFigure

from .conftest import EXPECTED, PDF, evidence, target

pytestmark = pytest.mark.django_db


def _codes(response) -> set[str]:  # type: ignore[no-untyped-def]
    return {t["code"] for t in response.json()["targets"]}


# --- scope ------------------------------------------------------------------------------------------------------------

def test_talent_office_and_auditor_see_every_target_a_department_only_its_own(org, login):
    everything = set(EXPECTED) | {"technicians_new"}
    for user in (org.office_staff, org.office_head, org.auditor):
        response = login(user, otp=True).get("/api/v1/targets/dashboard?year=2024")
        assert response.status_code == 200
        assert everything - {"technicians_new"} <= _codes(response)
    hrss = _codes(login(org.hrss_staff, otp=True).get("/api/v1/targets/dashboard?year=2024"))
    assert hrss == {"employed_new", "graduates_employed", "skilled_employed", "phd_recruited", "skilled_new",
                    "high_skilled_new", "technicians_new", "training_sessions"}
    housing = _codes(login(org.housing_staff, otp=True).get("/api/v1/targets/dashboard?year=2024"))
    assert housing == {"warm_stays", "apartments_let"}


@pytest.mark.parametrize("who", ["talent", "employer", "sys_admin"])
def test_talents_employers_and_admins_get_404_everywhere(org, login, who):
    user = getattr(org, who)
    client = login(user, otp=who == "sys_admin")
    t = target("employed_new")
    for url in ("/targets/", f"/targets/{t.pk}/", f"/targets/{t.pk}/records/", "/targets/export/",
                "/targets/screen/", "/targets/reports/"):
        assert client.get(url).status_code == 404, url
    assert client.get("/api/v1/targets/dashboard").status_code == 404
    assert client.get(f"/api/v1/targets/{t.pk}/records").status_code == 404


def test_a_department_cannot_reach_another_departments_target_or_its_records(world, org, login):
    hrss = login(org.hrss_staff, otp=True)
    office_target = target("high_level_introduced")
    before = AuditEvent.objects.filter(action="targets.read", result="denied").count()
    assert hrss.get(f"/targets/{office_target.pk}/").status_code == 404
    assert hrss.get(f"/targets/{office_target.pk}/records/").status_code == 404
    assert hrss.get(f"/targets/{office_target.pk}/records/?dim=tier&key=B").status_code == 404
    assert hrss.get(f"/api/v1/targets/{office_target.pk}").status_code == 404
    assert hrss.get(f"/api/v1/targets/{office_target.pk}/records").status_code == 404
    assert AuditEvent.objects.filter(action="targets.read", result="denied").count() >= before + 4
    # its own department's target works, and the talent office sees both
    own = target("employed_new")
    assert hrss.get(f"/targets/{own.pk}/records/").status_code == 200
    office = login(org.office_staff, otp=True)
    assert office.get(f"/targets/{own.pk}/records/").status_code == 200
    assert office.get(f"/targets/{office_target.pk}/records/").status_code == 200


def test_reported_figures_and_evidence_of_another_department_are_out_of_reach(world, org, login):
    figure = ReportedFigure.objects.filter(target__code="training_sessions").first()
    assert login(org.industry_staff, otp=True).get(f"/targets/reported/{figure.pk}/evidence/").status_code == 404
    response = login(org.hrss_staff, otp=True).get(f"/targets/reported/{figure.pk}/evidence/")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF
    assert AuditEvent.objects.filter(action="targets.reported.evidence", object_id=str(figure.pk)).exists()
    # the industry department's page of its own reported target lists none of HRSS's entries
    page = login(org.industry_staff, otp=True).get(f"/targets/{target('rd_platforms').pk}/")
    assert "二月.pdf" not in page.content.decode() and page.status_code == 200


# --- dashboard, drill-down ----------------------------------------------------------------------------------------------

def test_dashboard_page_shows_every_target_with_value_target_and_pace(world, org, login):
    page = login(org.office_head, otp=True).get("/targets/?year=2024").content.decode()
    for code in EXPECTED:
        assert f'id="target-{code}"' in page, code
    assert 'data-testid="value-employed_new"' in page
    assert 'data-target-chart="overview-chart"' in page and "<script>" not in page
    assert "进度滞后" in page  # 5 of 100,000 by late September is behind


def test_drill_down_page_equals_the_figure_masks_names_and_is_audited(world, org, login):
    t = target("employed_new")
    page = login(org.office_head, otp=True).get(f"/targets/{t.pk}/records/").content.decode()
    assert "共 5 条记录" in page and 'id="records-figure">5<' in page
    assert world.p1.user.real_name not in page
    masked = world.p1.user.real_name[0] + "*" * (len(world.p1.user.real_name) - 2) + world.p1.user.real_name[-1]
    assert masked in page
    assert AuditEvent.objects.filter(action="targets.records.view", object_id=str(t.pk)).exists()
    month = login(org.office_head, otp=True).get(f"/targets/{t.pk}/records/?month=3").content.decode()
    assert "共 1 条记录" in month
    bar = login(org.office_head, otp=True).get(f"/targets/{t.pk}/records/?dim=industry&key=other").content.decode()
    assert "共 2 条记录" in bar and "其他产业" in bar


def test_detail_page_has_trend_and_breakdown_charts_linking_to_records(world, org, login):
    t = target("certifications")
    page = login(org.office_staff, otp=True).get(f"/targets/{t.pk}/").content.decode()
    assert 'data-target-chart="trend-chart"' in page
    assert 'data-target-chart="split-tier"' in page
    assert f"/targets/{t.pk}/records/?dim=tier" in page
    assert f"/targets/{t.pk}/records/?month=" in page  # the trend chart's bars carry their month's URL


def test_api_detail_and_records_match_the_dashboard(world, org, login):
    client = login(org.office_head, otp=True)
    t = target("high_level_introduced")
    detail = client.get(f"/api/v1/targets/{t.pk}").json()
    assert detail["value"] == 3 and detail["target"] == 100
    assert {r["key"]: r["value"] for r in detail["breakdowns"]["tier"]} == {"B": 1, "国内一流": 1, "D": 1}
    records = client.get(f"/api/v1/targets/{t.pk}/records?limit=2").json()
    assert records["count"] == 3 and len(records["rows"]) == 2
    assert client.get(f"/api/v1/targets/{t.pk}/records?dim=nope").status_code == 422


# --- cached figures -----------------------------------------------------------------------------------------------------

def test_figures_are_served_from_the_snapshot_while_fresh_and_say_so(world, org, login, settings):
    client = login(org.office_head, otp=True)
    first = client.get("/api/v1/targets/dashboard?year=2024").json()
    assert first["source"] == "live" and FigureSnapshot.objects.filter(year=2024).exists()
    second = client.get("/api/v1/targets/dashboard?year=2024").json()
    assert second["source"] == "snapshot" and second["targets"] == first["targets"]
    forced = client.get("/api/v1/targets/dashboard?year=2024&fresh=true").json()
    assert forced["source"] == "live"
    settings.TARGETS_SNAPSHOT_SECONDS = -1  # everything is stale
    assert client.get("/api/v1/targets/dashboard?year=2024").json()["source"] == "live"


def test_a_reported_figure_invalidates_the_snapshot(world, org, login, django_capture_on_commit_callbacks):
    from onestop.targets.services import reported_figure_enter, snapshot_refresh

    snapshot_refresh(year=2024)
    with django_capture_on_commit_callbacks(execute=True):
        reported_figure_enter(actor=org.hrss_staff, target=target("training_sessions"), month=date(2024, 3, 1),
                              value="499.5", source="培训系统", evidence=evidence())
    assert not FigureSnapshot.objects.filter(year=2024).exists()
    data = login(org.hrss_staff, otp=True).get("/api/v1/targets/dashboard?year=2024").json()
    assert next(t for t in data["targets"] if t["code"] == "training_sessions")["value"] == 3000


def test_refresh_recomputes_on_demand(world, org, login, django_capture_on_commit_callbacks):
    client = login(org.office_head, otp=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/targets/refresh/", {"year": "2024"}).status_code == 302
    assert FigureSnapshot.objects.filter(year=2024).exists()
    assert AuditEvent.objects.filter(action="targets.refresh").exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/api/v1/targets/refresh?year=2024").status_code == 202


# --- reported figures ------------------------------------------------------------------------------------------------

def test_reported_entry_refuses_bad_input_with_chinese_field_errors_and_saves_nothing(org, login):
    client = login(org.hrss_staff, otp=True)
    t = target("training_sessions")
    response = client.post(f"/targets/{t.pk}/", {"month": "2024-12", "value": "-3", "source": ""})
    page = response.content.decode()
    assert response.status_code == 200
    assert "数据来源：请填写此项。" in page and "佐证材料：请填写此项。" in page
    bad = client.post(f"/targets/{t.pk}/", {"month": "2024-12", "value": "-3", "source": "系统",
                                            "evidence": evidence("x.pdf", b"<html>not a pdf</html>")}).content.decode()
    assert "月份：不能填报尚未开始的月份。" in bad
    assert "当月数值：不能为负数。" in bad
    assert "佐证材料：只能上传 PDF、JPEG 或 PNG 文件（按文件内容识别）。" in bad
    wrong_year = client.post(f"/targets/{t.pk}/", {"month": "2023-05", "value": "1.234", "source": "系统",
                                                   "evidence": evidence()}).content.decode()
    assert "月份：应在目标年度（2024 年）内。" in wrong_year and "当月数值：最多保留两位小数。" in wrong_year
    assert not ReportedFigure.objects.exists()


def test_reported_entry_through_the_page_the_api_and_the_audit_trail(org, login):
    client = login(org.hrss_staff, otp=True)
    t = target("training_sessions")
    response = client.post(f"/targets/{t.pk}/", {"month": "2024-08", "value": "2,000", "source": "培训系统",
                                                  "evidence": evidence()})
    assert response.status_code == 302
    figure = ReportedFigure.objects.get(target=t, month=date(2024, 8, 1))
    assert figure.value == 2000 and figure.entered_by == org.hrss_staff
    event = AuditEvent.objects.get(action="targets.reported.enter", object_id=str(figure.pk))
    assert event.after["value"] == "2000" and event.after["evidence_sha256"] == figure.evidence_sha256
    again = client.post(f"/targets/{t.pk}/", {"month": "2024-08", "value": "1", "source": "培训系统",
                                              "evidence": evidence()}).content.decode()
    assert "月份：2024-08 已填报" in again
    api = client.post(f"/api/v1/targets/{t.pk}/reported", {"month": "2024-09-01", "value": "10", "source": "系统",
                                                           "evidence": evidence()})
    assert api.status_code == 201 and api.json()["month"] == "2024-09"
    bad = client.post(f"/api/v1/targets/{t.pk}/reported", {"month": "2024-09-01", "value": "x", "source": "",
                                                           "evidence": evidence()})
    assert bad.status_code in (409, 422)


def test_only_the_owner_department_enters_and_corrects(world, org, login):
    training = target("training_sessions")
    office = login(org.office_staff, otp=True)  # sees everything, reports only its own targets
    assert office.post(f"/targets/{training.pk}/", {"month": "2024-05", "value": "1", "source": "x",
                                                    "evidence": evidence()}).status_code == 404
    declarations = target("industry_declarations")
    assert login(org.hrss_staff, otp=True).post(f"/targets/{declarations.pk}/", {}).status_code == 404
    assert login(org.hrss_staff, otp=True).post(f"/api/v1/targets/{declarations.pk}/reported", {
        "month": "2024-05-01", "value": "1", "source": "x", "evidence": evidence()}).status_code == 404
    live = target("employed_new")  # counted by the platform: nothing to enter
    assert login(org.hrss_staff, otp=True).post(f"/targets/{live.pk}/", {}).status_code == 404
    figure = ReportedFigure.objects.get(target=training, month=date(2024, 1, 1))
    assert office.post(f"/targets/reported/{figure.pk}/revise/", {"value": "1", "reason": "x"}).status_code == 404


def test_a_correction_keeps_before_and_after_in_the_audit_trail(world, org, login):
    figure = ReportedFigure.objects.get(target__code="training_sessions", month=date(2024, 1, 1))
    client = login(org.hrss_staff, otp=True)
    missing = client.post(f"/targets/reported/{figure.pk}/revise/", {"value": "1200", "reason": ""}, follow=True)
    assert "更正理由：请填写此项。" in missing.content.decode()
    response = client.post(f"/targets/reported/{figure.pk}/revise/", {"value": "1200", "reason": "系统补录 200 人次"})
    assert response.status_code == 302
    figure.refresh_from_db()
    assert figure.value == 1200 and figure.revisions == 1 and figure.revised_by == org.hrss_staff
    event = AuditEvent.objects.get(action="targets.reported.revise", object_id=str(figure.pk))
    assert event.before["value"] == "1000.00" and event.after["value"] == "1200"


# --- export and report ------------------------------------------------------------------------------------------------

def test_excel_export_equals_the_dashboard(world, org, login):
    client = login(org.office_head, otp=True)
    data = client.get("/api/v1/targets/dashboard?year=2024").json()
    response = client.get("/targets/export/?year=2024")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    wb = load_workbook(io.BytesIO(response.content))
    summary = {row[0]: row for row in wb["汇总"].iter_rows(min_row=3, values_only=True)}
    assert set(summary) == {t["code"] for t in data["targets"]}
    for t in data["targets"]:
        row = summary[t["code"]]
        assert (row[5], row[6], row[7], row[8]) == (t["target"], t["value"], t["percent"], t["expected"]), t["code"]
    trend = {row[0]: list(row[2:]) for row in wb["月度趋势"].iter_rows(min_row=2, values_only=True)}
    assert all(trend[t["code"]] == t["months"] for t in data["targets"])
    split = [r for r in wb["分类"].iter_rows(min_row=2, values_only=True) if r[0] == "high_level_introduced"]
    detail = client.get(f"/api/v1/targets/{target('high_level_introduced').pk}").json()["breakdowns"]
    assert sorted((r[2], r[3], r[5]) for r in split) == sorted(
        (dim, r["key"], r["value"]) for dim, rows in detail.items() for r in rows)
    assert AuditEvent.objects.filter(action="targets.export").exists()
    # a department's export holds its own targets only
    hrss = load_workbook(io.BytesIO(login(org.hrss_staff, otp=True).get("/targets/export/?year=2024").content))
    assert {row[0] for row in hrss["汇总"].iter_rows(min_row=3, values_only=True)} == {
        "employed_new", "graduates_employed", "skilled_employed", "phd_recruited", "skilled_new",
        "high_skilled_new", "technicians_new", "training_sessions"}


def test_monthly_pdf_report_is_generated_by_the_task_with_progress_and_download(world, org, login,
                                                                                django_capture_on_commit_callbacks):
    client = login(org.office_head, otp=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/targets/reports/", {"month": "2024-08"})
    report = MonthlyReport.objects.get()
    assert response.status_code == 302 and report.scope == "zone"
    assert report.status == "done" and report.progress == 100 and report.size > 1000
    progress = client.get(f"/targets/reports/{report.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="report-download"' in progress and "hx-trigger" not in progress
    pdf = client.get(f"/targets/reports/{report.pk}/download/")
    body = b"".join(pdf.streaming_content)
    assert body.startswith(b"%PDF") and pdf["Content-Disposition"].startswith("attachment")
    assert AuditEvent.objects.filter(action="targets.report.download", object_id=str(report.pk)).exists()
    assert AuditEvent.objects.filter(action="targets.report.request").exists()
    # a department sees neither the zone report nor can it ask for a future month
    hrss = login(org.hrss_staff, otp=True)
    assert hrss.get(f"/targets/reports/{report.pk}/").status_code == 404
    assert hrss.get(f"/targets/reports/{report.pk}/download/").status_code == 404
    future = hrss.post("/targets/reports/", {"month": "2024-12"}).content.decode()
    assert "月份：不能为尚未开始的月份生成报告。" in future
    with django_capture_on_commit_callbacks(execute=True):
        hrss.post("/targets/reports/", {"month": "2024-08"})
    own = MonthlyReport.objects.get(scope=f"dept:{org.hrss.pk}")
    download = hrss.get(f"/targets/reports/{own.pk}/download/")
    # reading the stream to its end closes the file (the test client's wrapper; close() itself would end the
    # request and close the test's database connection)
    assert own.status == "done" and download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_report_text_holds_the_months_figures(world, org):
    from onestop.targets import figures, render

    report = MonthlyReport.objects.create(year=2024, month=8, scope="zone", requested_by=org.office_head)
    data = figures.compute(2024, date(2024, 8, 31))
    pdf = render.monthly_report_pdf(report, data)
    assert pdf.startswith(b"%PDF") and len(pdf) > 2000


# --- big screen ---------------------------------------------------------------------------------------------------------

def test_big_screen_is_dark_and_polls_its_panel(world, org, login):
    client = login(org.auditor, otp=True)
    page = client.get("/targets/screen/?year=2024").content.decode()
    assert 'class="screen"' in page and 'data-theme="dark"' in page
    assert 'hx-trigger="every 60s"' in page and "<script>" not in page
    panel = client.get("/targets/screen/panel/?year=2024")
    assert panel.status_code == 200 and 'id="screen-panel"' in panel.content.decode()
    option = json.loads(page.split('id="screen-overview" type="application/json">')[1].split("</script>")[0])
    assert option["series"][0]["data"][0]["url"].startswith("/targets/")


@pytest.mark.parametrize("name,content", [
    ("cv.pdf", b"<!doctype html><html><script>alert(document.cookie)</script></html>"),
    ("photo.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("degree.pdf", PDF + b"PK\x03\x04evil.html<script>alert(1)</script>PK\x05\x06"),
    ("eicar.pdf", PDF + rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"),
])
def test_hostile_evidence_files_are_refused_and_nothing_is_saved(org, name, content):
    from onestop.core.exceptions import ValidationFailed
    from onestop.targets.services import reported_figure_enter

    with pytest.raises(ValidationFailed) as info:
        reported_figure_enter(actor=org.hrss_staff, target=target("training_sessions"), month=date(2024, 5, 1),
                              value="10", source="培训系统", evidence=evidence(name, content))
    assert info.value.field_errors["evidence"] == ["佐证材料：只能上传 PDF、JPEG 或 PNG 文件（按文件内容识别）。"]
    assert not ReportedFigure.objects.exists()


def test_an_oversized_evidence_file_is_refused(org, settings):
    from onestop.core.exceptions import ValidationFailed
    from onestop.targets.services import reported_figure_enter

    settings.ONESTOP_UPLOAD_MAX_BYTES = 1024
    with pytest.raises(ValidationFailed) as info:
        reported_figure_enter(actor=org.hrss_staff, target=target("training_sessions"), month=date(2024, 5, 1),
                              value="10", source="培训系统", evidence=evidence("big.pdf", PDF + b"0" * 2048))
    assert "不能超过" in info.value.field_errors["evidence"][0]
