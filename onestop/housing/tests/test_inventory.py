"""Inventory in the browser: a unit's rent, discount, status, layout and area; a bed out of service (bookings from
tonight on move to another bed, or nothing changes) and back in service. Everything audited, 404 for others."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from onestop.core.exceptions import Conflict, NotFound, ValidationFailed
from onestop.core.models import AuditEvent
from onestop.housing import services
from onestop.housing.choices import Layout, UnitStatus
from onestop.housing.errors import BedUnavailable, TransitionNotAllowed
from onestop.housing.models import Bed, BedNight, StayBooking, Unit

from .conftest import TODAY, graduate, make_station, make_units, open_round

pytestmark = pytest.mark.django_db
THURSDAY = TODAY + timedelta(days=3)  # three working days ahead: the earliest check-in


def _edit(desk, unit, **changes):
    values = {"area_m2": unit.area_m2, "layout": unit.layout, "monthly_rent_fen": unit.monthly_rent_fen,
              "discount_percent": unit.discount_percent, "status": unit.status, **changes}
    return services.unit_update(actor=desk, unit=unit, **values)


def test_staff_edit_a_units_rent_discount_layout_area_and_status(desk):
    unit = make_units(1)[0]
    unit = _edit(desk, unit, monthly_rent_fen=200000, discount_percent=30, layout=Layout.TWO_BED,
                 area_m2=Decimal("60.50"), status=UnitStatus.MAINTENANCE)
    unit.refresh_from_db()
    assert (unit.monthly_rent_fen, unit.discount_percent, unit.layout, unit.area_m2, unit.status) == (
        200000, 30, Layout.TWO_BED, Decimal("60.50"), UnitStatus.MAINTENANCE)
    event = AuditEvent.objects.filter(action="housing.unit.update").latest("pk")
    assert event.before["rent"] == 180000 and event.after["rent"] == 200000
    assert _edit(desk, unit, status=UnitStatus.VACANT).status == UnitStatus.VACANT


def test_unit_edit_refusals_name_the_field(desk, staff):
    unit = make_units(1)[0]
    with pytest.raises(NotFound):
        _edit(staff, unit, discount_percent=10)  # another department's staff
    with pytest.raises(ValidationFailed) as bad:
        _edit(desk, unit, discount_percent=120, status=UnitStatus.OCCUPIED)
    assert bad.value.field_errors["discount_percent"][0].startswith("租金优惠")
    assert bad.value.field_errors["status"][0].startswith("状态")
    Unit.objects.filter(pk=unit.pk).update(status=UnitStatus.RESERVED)
    unit.refresh_from_db()
    with pytest.raises(ValidationFailed) as reserved:
        _edit(desk, unit, status=UnitStatus.VACANT)  # reserved by an offer: not by hand
    assert "status" in reserved.value.field_errors


def test_a_unit_in_an_unfinished_round_keeps_layout_and_area(desk):
    unit = make_units(1)[0]
    open_round(desk, [unit])
    with pytest.raises(ValidationFailed) as refused:
        _edit(desk, unit, layout=Layout.STUDIO, area_m2=Decimal("30"), status=UnitStatus.MAINTENANCE)
    assert set(refused.value.field_errors) == {"layout", "area_m2", "status"}
    assert "2026-01" in refused.value.field_errors["layout"][0]
    assert _edit(desk, unit, monthly_rent_fen=170000).monthly_rent_fen == 170000  # rent may change


def test_the_unit_row_is_updated_only_from_the_status_shown(desk):
    unit = make_units(1)[0]
    Unit.objects.filter(pk=unit.pk).update(status=UnitStatus.RESERVED)  # an offer reserved it meanwhile
    with pytest.raises(TransitionNotAllowed):
        _edit(desk, unit, status=UnitStatus.MAINTENANCE)  # the page still showed 空闲
    unit.refresh_from_db()
    assert unit.status == UnitStatus.RESERVED


def _save(desk, unit, **changes):
    """``unit_save`` (the inventory page's unit form) for an existing unit, with its current values by default."""
    values = {"building": unit.building.name, "number": unit.number, "floor": unit.floor, "area_m2": unit.area_m2,
              "layout": unit.layout, "monthly_rent_fen": unit.monthly_rent_fen,
              "discount_percent": unit.discount_percent, "status": unit.status, **changes}
    return services.unit_save(actor=desk, project=unit.building.project, **values)


def test_inventory_form_registers_a_new_unit_only_as_vacant_or_under_maintenance(desk):
    project = make_units(1)[0].building.project
    new = {"project": project, "building": "2号楼", "floor": 3, "area_m2": Decimal("50"), "layout": Layout.ONE_BED,
           "monthly_rent_fen": 150000, "discount_percent": 40}
    for status in (UnitStatus.RESERVED, UnitStatus.OCCUPIED):
        with pytest.raises(ValidationFailed) as refused:
            services.unit_save(actor=desk, number="0301", status=status, **new)
        assert refused.value.field_errors["status"][0].startswith("状态：新房源只能登记为空闲或维修中")
    assert not Unit.objects.filter(number="0301").exists()
    assert services.unit_save(actor=desk, number="0302", status=UnitStatus.MAINTENANCE, **new).status == "maintenance"


def test_inventory_form_changes_an_existing_units_status_only_between_vacant_and_maintenance(desk):
    unit = make_units(1)[0]
    with pytest.raises(ValidationFailed) as refused:
        _save(desk, unit, status=UnitStatus.OCCUPIED, monthly_rent_fen=1)
    assert refused.value.field_errors["status"][0].startswith("状态：")
    unit.refresh_from_db()
    assert (unit.status, unit.monthly_rent_fen) == (UnitStatus.VACANT, 180000)  # nothing half-saved
    assert _save(desk, unit, status=UnitStatus.MAINTENANCE).status == UnitStatus.MAINTENANCE
    assert _save(desk, unit, status=UnitStatus.VACANT).status == UnitStatus.VACANT
    Unit.objects.filter(pk=unit.pk).update(status=UnitStatus.RESERVED)  # an offer reserved it
    unit.refresh_from_db()
    for status in (UnitStatus.VACANT, UnitStatus.MAINTENANCE, UnitStatus.OCCUPIED):
        with pytest.raises(ValidationFailed):
            _save(desk, unit, status=status)
    assert _save(desk, unit, monthly_rent_fen=170000).status == UnitStatus.RESERVED  # rent may change, status kept
    event = AuditEvent.objects.filter(action="housing.unit.save").latest("pk")
    assert event.before["status"] == event.after["status"] == UnitStatus.RESERVED


def test_inventory_form_keeps_layout_area_and_service_of_a_unit_in_an_unfinished_round(desk):
    unit = make_units(1)[0]
    open_round(desk, [unit])
    with pytest.raises(ValidationFailed) as refused:
        _save(desk, unit, layout=Layout.STUDIO, area_m2=Decimal("30"), status=UnitStatus.MAINTENANCE)
    assert set(refused.value.field_errors) == {"layout", "area_m2", "status"}


def test_inventory_page_refuses_a_unit_status_set_by_hand(desk, login):
    unit = make_units(1)[0]
    client = login(desk, otp=True)
    form = {"action": "unit", "u-project": unit.building.project.code, "u-building": unit.building.name,
            "u-number": unit.number, "u-floor": 1, "u-area_m2": "45.00", "u-layout": "one_bed",
            "u-monthly_rent": "1800.00", "u-discount_percent": 50}
    response = client.post("/housing/desk/inventory/", {**form, "u-status": "occupied"})
    assert response.status_code == 422 and "状态" in response.content.decode()
    unit.refresh_from_db()
    assert unit.status == UnitStatus.VACANT
    assert client.post("/housing/desk/inventory/", {**form, "u-status": "maintenance"}).status_code == 302
    unit.refresh_from_db()
    assert unit.status == UnitStatus.MAINTENANCE


def test_a_bed_out_of_service_cannot_be_booked_until_it_is_back(desk):
    station = make_station(beds=1)
    bed = Bed.objects.get(room__station=station)
    with pytest.raises(ValidationFailed) as no_reason:
        services.bed_take_out_of_service(actor=desk, bed=bed, reason=" ")
    assert no_reason.value.field_errors["reason"][0].startswith("停用原因")
    services.bed_take_out_of_service(actor=desk, bed=bed, reason="床架损坏")
    bed.refresh_from_db()
    assert not bed.is_active and bed.out_of_service_reason == "床架损坏"
    with pytest.raises(BedUnavailable):
        services.stay_book(guest=graduate(), station=station, check_in=THURSDAY, nights=1)
    with pytest.raises(TransitionNotAllowed):
        services.bed_take_out_of_service(actor=desk, bed=bed, reason="再次")
    services.bed_return_to_service(actor=desk, bed=bed, note="已修好")
    assert services.stay_book(guest=graduate(), station=station, check_in=THURSDAY, nights=1).bed_id == bed.pk
    actions = list(AuditEvent.objects.filter(action__startswith="housing.bed.").values_list("action", flat=True))
    assert "housing.bed.out_of_service" in actions and "housing.bed.in_service" in actions


def test_future_bookings_move_to_another_free_bed(desk, clock):
    station = make_station(beds=2)
    guest = graduate()
    booking = services.stay_book(guest=guest, station=station, check_in=THURSDAY, nights=3)
    old_bed = booking.bed
    clock.today = THURSDAY + timedelta(days=1)  # one night already passed
    services.bed_take_out_of_service(actor=desk, bed=old_bed, reason="漏水")
    booking.refresh_from_db()
    assert booking.bed_id != old_bed.pk
    assert list(BedNight.objects.filter(booking=booking, bed=old_bed).values_list("night", flat=True)) == [THURSDAY]
    assert BedNight.objects.filter(booking=booking, bed_id=booking.bed_id).count() == 2
    assert AuditEvent.objects.filter(action="housing.stay.move_bed").exists()


def test_taking_a_bed_out_is_refused_when_a_booking_cannot_move(desk):
    station = make_station(beds=2)
    first = services.stay_book(guest=graduate(), station=station, check_in=THURSDAY, nights=2)
    services.stay_book(guest=graduate(), station=station, check_in=THURSDAY, nights=2)  # the other bed is full
    with pytest.raises(Conflict) as refused:
        services.bed_take_out_of_service(actor=desk, bed=first.bed, reason="维修")
    message = refused.value.field_errors["reason"][0]
    assert first.reference in message and "无法调整" in message
    bed = Bed.objects.get(pk=first.bed_id)
    assert bed.is_active and bed.out_of_service_reason == ""  # nothing changed
    assert StayBooking.objects.get(pk=first.pk).bed_id == first.bed_id


def test_unit_and_bed_pages(desk, staff, login):
    unit = make_units(1)[0]
    station = make_station(beds=1)
    bed = Bed.objects.get(room__station=station)
    client = login(desk, otp=True)
    assert client.get(f"/housing/desk/units/{unit.pk}/").status_code == 200
    response = client.post(f"/housing/desk/units/{unit.pk}/", {
        "area_m2": "45.00", "layout": "one_bed", "monthly_rent": "1900.00", "discount_percent": 40,
        "status": "occupied"})
    assert response.status_code == 422 and "状态：" in response.content.decode()
    response = client.post(f"/housing/desk/units/{unit.pk}/", {
        "area_m2": "45.00", "layout": "one_bed", "monthly_rent": "1900.00", "discount_percent": 40,
        "status": "vacant"})
    assert response.status_code == 302
    unit.refresh_from_db()
    assert (unit.monthly_rent_fen, unit.discount_percent) == (190000, 40)
    assert client.post(f"/housing/desk/beds/{bed.pk}/", {"reason": ""}).status_code == 422
    assert client.post(f"/housing/desk/beds/{bed.pk}/", {"reason": "床垫更换"}).status_code == 302
    page = client.get(f"/housing/desk/beds/{bed.pk}/").content.decode()
    assert 'id="bed-in"' in page and "床垫更换" in page
    assert "停用" in client.get(f"/housing/desk/stations/{station.pk}/").content.decode()
    assert client.post(f"/housing/desk/beds/{bed.pk}/", {"reason": ""}).status_code == 302  # back in service
    assert Bed.objects.get(pk=bed.pk).is_active
    for path in (f"/housing/desk/units/{unit.pk}/", f"/housing/desk/beds/{bed.pk}/"):
        assert login(staff, otp=True).get(path).status_code == 404
