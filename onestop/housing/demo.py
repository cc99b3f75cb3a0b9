"""Demo data for ``manage.py seed_demo`` (one call): the housing rule sets, two warm stations with beds, a talent
apartment project and a medical-science-city housing project, an open allocation round, and gifted-housing
entitlements for the demo talents already certified on the medical track. Idempotent."""

from __future__ import annotations

from decimal import Decimal

from onestop.core.models import User
from onestop.workflow import calendar as wd

from . import rules, services
from .choices import Layout, ProjectKind, RoundStatus, UnitStatus
from .models import AllocationRound, Bed, Building, Project, Room, Unit, WarmStation

STATIONS = [("ws-airport", "航空港区暖心驿站（迎宾大道）", "郑州航空港区迎宾大道 8 号人才服务中心 3 层", "0371-86000001", 8),
            ("ws-medcity", "中原医学科学城青年人才驿站", "郑州航空港区医学科学城创新路 2 号", "0371-86000002", 6)]
LAYOUT_PLAN = [(Layout.STUDIO, "32.50", 120000), (Layout.ONE_BED, "45.00", 180000), (Layout.ONE_BED, "48.00", 190000),
               (Layout.TWO_BED, "68.00", 260000), (Layout.THREE_BED, "89.00", 320000)]


def _inventory() -> None:
    for code, name, address, phone, rooms in STATIONS:
        station, _ = WarmStation.objects.get_or_create(code=code, defaults={"name": name, "address": address,
                                                                            "phone": phone})
        for r in range(rooms):
            room, _ = Room.objects.get_or_create(station=station, number=f"{1 + r // 4}{r % 4 + 1:02d}")
            for label in ("A", "B"):
                Bed.objects.get_or_create(room=room, label=label)
    apartment, _ = Project.objects.get_or_create(code="apt-xg1", defaults={
        "name": "航空港人才公寓（新港一期）", "kind": ProjectKind.APARTMENT, "address": "郑州航空港区新港大道 66 号"})
    gifted, _ = Project.objects.get_or_create(code="med-home", defaults={
        "name": "中原医学科学城人才住房", "kind": ProjectKind.GIFTED, "address": "郑州航空港区医学科学城康宁路 9 号"})
    for b in ("1号楼", "2号楼"):
        building, _ = Building.objects.get_or_create(project=apartment, name=b)
        for floor in range(2, 8):
            for k, (layout, area, rent) in enumerate(LAYOUT_PLAN):
                number = f"{floor}{k + 1:02d}"
                Unit.objects.get_or_create(building=building, number=number, defaults={
                    "code": f"{apartment.code}-{b}-{number}", "floor": floor, "area_m2": Decimal(area),
                    "layout": layout, "monthly_rent_fen": rent, "discount_percent": 50})
    building, _ = Building.objects.get_or_create(project=gifted, name="A座")
    for floor in range(3, 9):
        for k, area in enumerate(("118.00", "176.00", "198.00")):
            number = f"{floor}{k + 1:02d}"
            Unit.objects.get_or_create(building=building, number=number, defaults={
                "code": f"{gifted.code}-A座-{number}", "floor": floor, "area_m2": Decimal(area),
                "layout": Layout.THREE_BED if k == 0 else Layout.FOUR_BED, "monthly_rent_fen": 0,
                "discount_percent": 100})


def seed_demo_housing() -> dict[str, int]:
    from onestop.talents.choices import CertificateStatus, CertTrack
    from onestop.talents.models import Certificate

    rules.rulesets_load_shipped(as_of=wd.today())
    _inventory()
    desk = User.objects.filter(username="housing_staff").first()
    today = wd.today()
    if desk is not None and not AllocationRound.objects.filter(code=f"{today:%Y}-demo").exists():
        units = list(Unit.objects.filter(building__project__code="apt-xg1", building__name="1号楼",
                                         status=UnitStatus.VACANT).values_list("pk", flat=True))
        services.round_create(actor=desk, code=f"{today:%Y}-demo", title=f"{today:%Y} 年第一批人才公寓配租",
                              opens_on=today, closes_on=wd.add_working_days(today, 10), unit_ids=units)
    gifts = 0
    for cert in Certificate.objects.filter(track=CertTrack.MEDICAL, status=CertificateStatus.VALID).select_related(
            "profile__user"):
        if services.gift_entitle(holder=cert.profile.user, certificate_number=cert.number, medical_class=cert.tier):
            gifts += 1
    return {"stations": WarmStation.objects.count(), "units": Unit.objects.count(), "gifts": gifts,
            "rounds_open": AllocationRound.objects.filter(status=RoundStatus.OPEN).count()}
