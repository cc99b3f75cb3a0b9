"""Pages, the API and the Excel import: who sees what (404 for the rest), forms with Chinese field errors, the import
all-or-nothing with row-level errors, the desk's dashboard chart under the strict CSP."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import Workbook

from onestop.housing import importer, services
from onestop.housing.choices import Layout, StayStatus
from onestop.housing.models import Bed, Unit, WarmStation

from .conftest import TODAY, employed, graduate, make_units, open_round

pytestmark = pytest.mark.django_db


def workbook(unit_rows, bed_rows=()) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = importer.UNIT_SHEET
    ws.append(importer.UNIT_COLUMNS)
    for row in unit_rows:
        ws.append(row)
    beds = wb.create_sheet(importer.BED_SHEET)
    beds.append(importer.BED_COLUMNS)
    for row in bed_rows:
        beds.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


GOOD = ["apt9", "人才公寓九期", "人才公寓", "新港大道 9 号", "2号楼", "0301", 3, 52.5, "两室一厅", 2200, 40, "空闲"]


def test_import_is_all_or_nothing_with_row_errors(desk):
    bad = list(GOOD)
    bad[5], bad[8], bad[7] = "0302", "五室", -3
    report = importer.inventory_import(actor=desk, content=workbook([GOOD, bad], [["ws9", "驿站九", "迎宾大道", "", "1", ""]]))
    assert not report.ok
    assert {(e["sheet"], e["row"], e["column"]) for e in report.errors} == {
        ("房源", 3, "户型"), ("房源", 3, "建筑面积（㎡）"), ("驿站床位", 2, "床位")}
    assert not Unit.objects.exists() and not WarmStation.objects.exists()
    report = importer.inventory_import(actor=desk, content=workbook([GOOD], [["ws9", "驿站九", "迎宾大道", "", "1", "A"]]))
    assert report.ok and (report.units, report.beds) == (1, 1)
    unit = Unit.objects.get()
    assert (unit.code, unit.layout, str(unit.area_m2), unit.monthly_rent_fen, unit.payable_rent_fen) == (
        "apt9-2号楼-0301", Layout.TWO_BED, "52.50", 220000, 132000)
    importer.inventory_import(actor=desk, content=workbook([GOOD]))  # re-import: nothing duplicated
    assert Unit.objects.count() == 1 and Bed.objects.count() == 1


def _row(status, number="0301", **changes):
    row = dict(zip(importer.UNIT_COLUMNS, GOOD, strict=True))
    row.update({"房号": number, "状态": status, **changes})
    return [row[c] for c in importer.UNIT_COLUMNS]


def _errors(report):
    return {(e["row"], e["column"]) for e in report.errors}


def test_import_sets_a_status_only_as_the_inventory_form_does(desk):
    """New units only 空闲 or 维修中; existing units only between those two (an empty 状态 keeps theirs); the whole
    workbook refused with the row and column named, nothing written."""
    from onestop.housing.choices import UnitStatus

    report = importer.inventory_import(actor=desk, content=workbook(
        [_row("空闲", "0301"), _row("已预留", "0302"), _row("已入住", "0303")]))
    assert _errors(report) == {(3, "状态"), (4, "状态")}
    assert all(e["message"].startswith("状态：新房源只能登记为空闲或维修中") for e in report.errors)
    assert not Unit.objects.exists()  # the good first row is not written either
    assert importer.inventory_import(actor=desk, content=workbook([_row("维修中")])).ok
    unit = Unit.objects.get()
    assert unit.status == UnitStatus.MAINTENANCE
    assert importer.inventory_import(actor=desk, content=workbook([_row("空闲")])).ok  # maintenance → vacant
    Unit.objects.filter(pk=unit.pk).update(status=UnitStatus.RESERVED)  # an offer reserved it
    for status in ("空闲", "维修中", "已入住"):
        report = importer.inventory_import(actor=desk, content=workbook([_row("空闲", "0309"), _row(status)]))
        assert _errors(report) == {(3, "状态")}, status
        assert "已预留" in report.errors[0]["message"]
    assert Unit.objects.count() == 1 and Unit.objects.get().status == UnitStatus.RESERVED
    report = importer.inventory_import(actor=desk, content=workbook([_row("", **{"月租金（元）": 2500})]))  # keeps 已预留
    assert report.ok
    unit.refresh_from_db()
    assert (unit.status, unit.monthly_rent_fen) == (UnitStatus.RESERVED, 250000)
    assert importer.inventory_import(actor=desk, content=workbook([_row("已预留")])).ok  # unchanged: allowed


def test_import_keeps_layout_and_area_of_a_unit_in_an_unfinished_round(desk):
    unit = make_units(1)[0]
    open_round(desk, [unit])
    row = _row("维修中", unit.number, 项目代码="apt1", 楼栋="1号楼", 户型="单间", **{"建筑面积（㎡）": 30})
    report = importer.inventory_import(actor=desk, content=workbook([row]))
    assert _errors(report) == {(2, "状态"), (2, "户型"), (2, "建筑面积（㎡）")}
    assert "2026-01" in report.errors[0]["message"]
    unit.refresh_from_db()
    assert (unit.layout, unit.area_m2) == (Layout.ONE_BED, Decimal("45.00"))


def test_import_rolls_back_when_an_offer_changes_a_unit_meanwhile(desk, monkeypatch):
    """The update is conditional on the status read when the rows were checked: a unit reserved in between stops the
    whole import (nothing written, the row named), it is not overwritten."""
    from onestop.housing.choices import UnitStatus

    assert importer.inventory_import(actor=desk, content=workbook([_row("空闲")])).ok
    write = importer._write

    def reserved_meanwhile(**kw):
        Unit.objects.update(status=UnitStatus.RESERVED)
        return write(**kw)

    monkeypatch.setattr(importer, "_write", reserved_meanwhile)
    report = importer.inventory_import(actor=desk, content=workbook([_row("维修中"), _row("空闲", "0302")]))
    assert not report.ok and _errors(report) == {(2, "状态")} and report.units == 0
    assert list(Unit.objects.values_list("number", "status")) == [("0301", UnitStatus.RESERVED)]


def test_import_page_and_garbage_file(desk, login):
    client = login(desk, otp=True)
    response = client.post("/housing/desk/inventory/", {"action": "import", "i-file": io.BytesIO(b"not excel")})
    assert response.status_code == 422 and "不是有效的 Excel" in response.content.decode()
    upload = io.BytesIO(workbook([GOOD]))
    upload.name = "units.xlsx"
    response = client.post("/housing/desk/inventory/", {"action": "import", "i-file": upload})
    assert response.status_code == 302 and Unit.objects.count() == 1
    assert client.get("/housing/desk/inventory/template.xlsx").status_code == 200


def test_desk_pages_are_for_housing_staff_only(desk, staff, talent, login):
    for path in ("/housing/desk/", "/housing/desk/inventory/", "/housing/desk/rounds/", "/housing/desk/leases/",
                 "/housing/desk/gifts/", "/housing/desk/scan/"):
        assert login(desk, otp=True).get(path).status_code == 200, path
        assert login(staff, otp=True).get(path).status_code == 404, path  # another department's staff
        assert login(talent).get(path).status_code == 404, path


def test_dashboard_chart_is_json_script_and_counts_beds(desk, login, station):
    services.stay_book(guest=graduate(), station=station, check_in=TODAY + timedelta(days=3), nights=2)
    html = login(desk, otp=True).get("/housing/desk/").content.decode()
    assert 'data-chart="beds-chart-data"' in html and "<script>" not in html.replace('<script id=', '')
    start = html.index('id="beds-chart-data"')
    option = json.loads(html[html.index(">", start) + 1:html.index("</script>", start)])
    reserved = next(s for s in option["series"] if s["name"] == "已预留")["data"]
    assert sum(reserved) == 2


def test_talent_books_on_the_page_and_sees_the_qr(station, login):
    guest = graduate()
    client = login(guest)
    response = client.post("/housing/stays/new/", {"station": station.pk, "check_in": "2026-03-03", "nights": 1})
    assert response.status_code == 422 and "至少提前 3 个工作日" in response.content.decode()
    response = client.post("/housing/stays/new/", {"station": station.pk, "check_in": "2026-03-05", "nights": 2})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "<svg" in page and station.address in page
    other = login(graduate())
    assert other.get(response["Location"]).status_code == 404


def test_scan_page_checks_in(station, desk, login, clock):
    booking = services.stay_book(guest=graduate(), station=station, check_in=TODAY + timedelta(days=3), nights=1)
    clock.today = booking.check_in
    client = login(desk, otp=True)
    assert booking.reference in client.get(f"/housing/desk/scan/?token={booking.token}").content.decode()
    client.post("/housing/desk/scan/", {"token": booking.token, "action": "check_in"})
    booking.refresh_from_db()
    assert booking.status == StayStatus.CHECKED_IN


def test_api_stay_round_and_offer(station, desk, login, clock):
    guest = graduate()
    client = login(guest)
    r = client.post("/api/v1/housing/stays", {"station": station.code, "check_in": "2026-03-05", "nights": 9},
                    content_type="application/json")
    assert r.status_code == 422 and "入住晚数" in r.json()["errors"]["nights"][0]
    r = client.post("/api/v1/housing/stays", {"station": station.code, "check_in": "2026-03-05", "nights": 2},
                    content_type="application/json")
    assert r.status_code == 201 and r.json()["address"] == station.address
    assert len(client.get("/api/v1/housing/stays").json()) == 1

    rnd = open_round(desk, make_units(1))
    tenant = employed()
    tclient = login(tenant)
    r = tclient.post(f"/api/v1/housing/rounds/{rnd.code}/applications", {"preferences": ["one_bed"]},
                     content_type="application/json")
    assert r.status_code == 201, r.content
    clock.today = TODAY + timedelta(days=8)
    dclient = login(desk, otp=True)
    assert dclient.post(f"/api/v1/housing/desk/rounds/{rnd.code}/publish").status_code == 200
    assert tclient.post(f"/api/v1/housing/desk/rounds/{rnd.code}/draw").status_code == 404
    assert dclient.post(f"/api/v1/housing/desk/rounds/{rnd.code}/draw").json()["status"] == "drawn"
    results = client.get(f"/api/v1/housing/rounds/{rnd.code}/results").json()
    assert results[0]["unit"] and "*" in results[0]["name"]
    offer = tclient.get("/api/v1/housing/offers").json()[0]
    assert client.post(f"/api/v1/housing/offers/{offer['id']}/accept").status_code == 404  # not hers
    lease = tclient.post(f"/api/v1/housing/offers/{offer['id']}/accept").json()
    assert lease["payable_rent_fen"] == 90000 and lease["status"] == "active"
    assert tclient.get("/api/v1/housing/leases").json()[0]["id"] == lease["id"]


def test_round_page_apply_form_and_public_results(desk, login):
    rnd = open_round(desk, make_units(1))
    anonymous_page = login(employed()).get(f"/housing/rounds/{rnd.code}/")
    assert anonymous_page.status_code == 200 and 'id="apply-form"' in anonymous_page.content.decode()
    user = employed()
    client = login(user)
    response = client.post(f"/housing/rounds/{rnd.code}/", {"first": "one_bed"})
    assert response.status_code == 302
    assert 'id="my-code"' in client.get(f"/housing/rounds/{rnd.code}/").content.decode()
    assert login(graduate()).get("/housing/").status_code == 200


def _count(client, path):  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_list_pages_do_not_grow_with_rows(desk, login, clock, station):
    """Query counts are pinned by comparing a small and a larger data set (no N+1)."""
    client = login(desk, otp=True)
    rnd = open_round(desk, make_units(8))
    for _ in range(2):
        services.application_submit(rnd=rnd, applicant=employed(), preferences=["one_bed"])
        services.stay_book(guest=graduate(homes_declared=False), station=station,
                           check_in=TODAY + timedelta(days=3 + _ * 2), nights=1)
    paths = ["/housing/desk/", f"/housing/desk/rounds/{rnd.code}/", "/housing/desk/leases/", "/housing/desk/gifts/"]
    small = {p: _count(client, p) for p in paths}
    for i in range(4):
        services.application_submit(rnd=rnd, applicant=employed(), preferences=["one_bed"])
        services.stay_book(guest=graduate(homes_declared=False), station=station,
                           check_in=TODAY + timedelta(days=10 + i * 2), nights=1)
    large = {p: _count(client, p) for p in paths}
    assert large == small


def test_applicant_withdraws_before_the_window_closes(desk, login):
    rnd = open_round(desk, make_units(1))
    user = employed()
    client = login(user)
    client.post(f"/housing/rounds/{rnd.code}/", {"first": "one_bed"})
    client.post(f"/housing/rounds/{rnd.code}/", {"action": "withdraw"})
    assert rnd.applications.get(applicant=user).status == "withdrawn"
    assert login(employed()).post(f"/housing/rounds/{rnd.code}/", {"action": "withdraw"}).status_code == 404


def test_desk_creates_a_draft_opens_and_closes_it_on_the_page(desk, login, clock):
    from onestop.housing.models import AllocationRound

    units = make_units(1)
    client = login(desk, otp=True)
    response = client.post("/housing/desk/rounds/", {
        "code": "2026-p", "title": "页面批次", "opens_on": TODAY.isoformat(),
        "closes_on": (TODAY + timedelta(days=5)).isoformat(), "offer_days": 5, "units": [str(units[0].pk)]})
    assert response.status_code == 302
    assert AllocationRound.objects.get(code="2026-p").status == "draft"
    assert Client().get("/housing/rounds/2026-p/").status_code == 404  # a draft is not public
    page = client.get("/housing/desk/rounds/2026-p/").content.decode()
    assert 'id="round-open"' in page and 'data-state="draft" aria-current="step"' in page
    client.post("/housing/desk/rounds/2026-p/", {"action": "open"})
    assert AllocationRound.objects.get(code="2026-p").status == "open"
    assert 'id="round-steps"' in Client().get("/housing/rounds/2026-p/").content.decode()
    client.post("/housing/desk/rounds/2026-p/", {"action": "close"})
    assert AllocationRound.objects.get(code="2026-p").status == "closed"
    client.post("/housing/desk/rounds/2026-p/", {"action": "open"})  # refused: shown as a message, nothing changes
    assert AllocationRound.objects.get(code="2026-p").status == "closed"
