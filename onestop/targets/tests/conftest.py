"""Fixtures of the targets tests: a fixed clock (23 September 2024), the owner departments with staff, the shipped
targets, and a small world of records in every source with values chosen so each figure can be computed by hand
(see ``EXPECTED`` and the comments beside each record)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from onestop.core.choices import Role
from onestop.core.tests.factories import (
    AdminFactory,
    DepartmentFactory,
    EmployerUserFactory,
    EnterpriseFactory,
    StaffFactory,
    TalentFactory,
)

TODAY = date(2024, 9, 23)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    """A local (Asia/Shanghai) moment."""
    return timezone.make_aware(datetime(y, m, d, hh, mm))


def evidence(name: str = "证明.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, "application/pdf")


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    state = SimpleNamespace(today=TODAY)
    monkeypatch.setattr("onestop.workflow.calendar.today", lambda: state.today)
    return state


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.ONESTOP_PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def org(db, department):
    from onestop.targets.services import targets_load

    hrss = DepartmentFactory(code="hrss", name="人力资源和社会保障局", name_en="HRSS")
    industry = DepartmentFactory(code="industry_it", name="工业和信息化局", name_en="Industry & IT")
    housing = DepartmentFactory(code="housing", name="住房和城乡建设局", name_en="Housing")
    targets_load(year=2024)
    return SimpleNamespace(
        office=department, hrss=hrss, industry=industry, housing=housing,
        office_staff=StaffFactory(department=department, real_name="人才办经办"),
        office_head=StaffFactory(department=department, department__role=Role.DEPT_HEAD),
        hrss_staff=StaffFactory(department=hrss, real_name="人社经办"),
        hrss_head=StaffFactory(department=hrss, department__role=Role.DEPT_HEAD),
        industry_staff=StaffFactory(department=industry),
        housing_staff=StaffFactory(department=housing),
        auditor=AdminFactory(role=Role.AUDITOR),
        sys_admin=AdminFactory(role=Role.SYS_ADMIN),
        talent=TalentFactory(), employer=EmployerUserFactory(),
    )


def target(code: str, year: int = 2024) -> Any:
    from onestop.targets.models import Target

    return Target.objects.get(year=year, code=code)


# The hand-computed figures of ``world`` as of 2024-09-23.
EXPECTED = {
    "employed_new": 5, "graduates_employed": 2, "skilled_employed": 1, "phd_recruited": 2,
    "nominations": 1, "high_skilled_new": 2, "technicians_new": 1, "high_level_introduced": 3, "certifications": 4,
    "recruitment_events": 2, "publicity_events": 1, "enterprise_visits": 3, "visits_logged": 4, "warm_stays": 2,
    "apartments_let": 2, "deadlines_met": 75.0, "satisfaction": 4.0, "training_sessions": 2500.5,
    "industry_declarations": 0, "skilled_new": 0, "rd_platforms": 0,
}


def _profile(user: Any, **fields: Any) -> Any:
    from onestop.talents.models import TalentProfile

    TalentProfile.objects.filter(user=user).update(**fields)
    return TalentProfile.objects.get(user=user)


@pytest.fixture
def world(org):
    from onestop.employers.models import EmploymentDecision
    from onestop.engagement.models import Event, Problem, Visit
    from onestop.housing.models import Bed, Building, Lease, Project, Room, StayBooking, Unit, WarmStation
    from onestop.talents.models import (
        Certificate,
        CertificationApplication,
        EducationRecord,
        Employment,
        TalentProfile,
    )
    from onestop.targets.services import reported_figure_enter
    from onestop.workflow.models import Case, StepDefinition, Task, WorkflowDefinition

    e1 = EnterpriseFactory(name="甲电子", industry="electronic_info")
    e2 = EnterpriseFactory(name="乙生物", industry="biomedicine")
    e3 = EnterpriseFactory(name="丙物流", industry="logistics")
    boss = EmployerUserFactory(enterprise=e1)

    def talent(**fields: Any) -> Any:
        return _profile(TalentFactory(), **fields)

    # --- new jobs (employment source) -------------------------------------------------------------------------------
    p1 = talent(education="bachelor", graduation_date=date(2023, 6, 30))
    Employment.objects.create(profile=p1, enterprise=e1, start_date=date(2024, 3, 1), end_date=date(2024, 4, 30))
    Employment.objects.create(profile=p1, enterprise=e2, start_date=date(2024, 5, 1))  # same person: counted once
    p2 = talent(education="doctor", graduation_date=date(2015, 7, 1))
    Employment.objects.create(profile=p2, enterprise=e2, start_date=date(2024, 7, 15))  # PhD
    p3 = talent(education="high_school", skill_level="technician", created_at=at(2024, 1, 5))
    Employment.objects.create(profile=p3, enterprise=e3, start_date=date(2024, 1, 10))  # skilled
    p4 = talent(education="master", graduation_date=date(2024, 6, 30))
    denied = Employment.objects.create(profile=p4, enterprise=e1, start_date=date(2024, 8, 1))
    EmploymentDecision.objects.create(employment=denied, enterprise=e1, decision="denied", reason="非本单位职工",
                                      decided_by=boss)  # denied: not counted
    p5 = talent(education="bachelor")
    EducationRecord.objects.create(profile=p5, level="postdoc", school="郑州大学", graduation_date=date(2023, 6, 1))
    Employment.objects.create(profile=p5, enterprise=e1, start_date=date(2023, 12, 1))  # last year
    p6 = talent(education="bachelor", graduation_date=date(2021, 7, 1))
    Employment.objects.create(profile=p6, enterprise=e1, start_date=date(2024, 10, 5))  # after as_of
    p7 = talent(education="junior_college", graduation_date=date(2022, 7, 1))
    Employment.objects.create(profile=p7, enterprise=e1, start_date=TODAY)  # on the day: counted, graduate
    p8 = talent(education="bachelor")
    EducationRecord.objects.create(profile=p8, level="postdoc", school="河南大学", graduation_date=date(2022, 6, 1))
    Employment.objects.create(profile=p8, enterprise=e3, start_date=date(2024, 2, 2))  # postdoc
    # employed_new = p1 (Mar), p2 (Jul), p3 (Jan), p7 (Sep), p8 (Feb) = 5; graduates p1, p7; skilled p3; PhD p2, p8.

    # --- registrations (registry source) ---------------------------------------------------------------------------
    talent(skill_level="senior_worker", created_at=at(2024, 4, 10))  # high-skilled
    talent(skill_level="senior_technician", created_at=at(2024, 9, 24))  # after as_of
    talent(skill_level="", created_at=at(2024, 2, 1))  # no skill level
    # high_skilled_new = p3 (technician, Jan) + the senior worker (Apr) = 2; technicians_new = p3 = 1.
    TalentProfile.objects.exclude(created_at__year=2024).update(created_at=at(2026, 1, 1))

    # --- certificates and nominations -------------------------------------------------------------------------------
    def certificate(tier: str, issued: datetime, *, status: str = "valid", track: str = "standard") -> Any:
        p = talent(industry="biomedicine")
        app = CertificationApplication.objects.create(profile=p, applied_by=p.user, track=track, claimed_tier=tier,
                                                      status="certified", decided_tier=tier, created_at=issued,
                                                      enterprise=e2)
        return Certificate.objects.create(
            application=app, profile=p, number=f"T-{tier}-{issued:%Y%m%d%H%M}", track=track, tier=tier,
            issued_at=issued, valid_from=issued.date(), valid_until=issued.date() + timedelta(days=1000),
            status=status, revoked_at=issued if status == "revoked" else None,
            revoke_reason="材料不实" if status == "revoked" else "")

    certificate("B", at(2024, 3, 5))
    certificate("E", at(2024, 4, 1))
    certificate("国内一流", at(2024, 6, 1), track="medical")
    certificate("C", at(2024, 5, 1), status="revoked")  # revoked: not counted
    certificate("A", at(2023, 12, 31, 23, 0))  # last year (local time)
    certificate("D", at(2024, 1, 1, 0, 30))  # 00:30 on 1 January local = 16:30 UTC the day before: counted
    # high_level_introduced = B, 国内一流, D = 3; certifications = B, E, 国内一流, D = 4.

    def nomination(tier: str, created: datetime, *, by_employer: bool = True, status: str = "review") -> Any:
        p = talent()
        return CertificationApplication.objects.create(
            profile=p, applied_by=boss if by_employer else p.user, enterprise=e1, track="standard",
            claimed_tier=tier, status=status, created_at=created)

    nomination("C", at(2024, 2, 10))  # counted
    nomination("E", at(2024, 3, 10))  # not a high-level tier
    nomination("B", at(2024, 3, 11), by_employer=False)  # the talent applied
    nomination("D", at(2024, 4, 1), status="withdrawn")  # withdrawn
    nomination("A", at(2024, 9, 24))  # after as_of
    # nominations = 1.

    # --- events ----------------------------------------------------------------------------------------------------
    def event(kind: str, starts: datetime, status: str) -> Any:
        return Event.objects.create(kind=kind, title=f"{kind}{starts:%m%d}", location="港区", starts_at=starts,
                                    ends_at=starts + timedelta(hours=2), capacity=50, status=status,
                                    department=org.office, created_by=org.office_staff)

    event("recruitment", at(2024, 4, 1), "finished")
    event("recruitment", at(2024, 9, 1), "published")  # published and started: held
    event("recruitment", at(2024, 5, 1), "cancelled")
    event("recruitment", at(2024, 6, 1), "planned")
    event("publicity", at(2024, 3, 15), "finished")
    event("recruitment", at(2024, 10, 1), "finished")  # after as_of
    # recruitment_events = 2, publicity_events = 1.

    # --- visits and problems ---------------------------------------------------------------------------------------
    official = StaffFactory(department=org.industry, real_name="走访干部")
    visits = [Visit.objects.create(official=official, enterprise=e, visited_on=d, participants="王", explained="政策")
              for e, d in ((e1, date(2024, 1, 5)), (e2, date(2024, 1, 20)), (e1, date(2024, 3, 3)),
                           (e3, date(2024, 9, 23)), (e1, date(2024, 9, 30)))]
    # visit months = Jan, Mar, Sep = 3; visits logged = 4.

    def problem(closed: datetime | None, satisfaction: int | None, dept: Any) -> Any:
        return Problem.objects.create(
            visit=visits[0], enterprise=e1, title="用工问题", description="说明", owner_department=dept,
            status="closed" if closed else "open", raised_on=date(2024, 1, 5), reply_due=date(2024, 1, 15),
            first_reply_at=at(2024, 1, 8) if closed else None, closed_at=closed,
            confirmed_by=boss if closed else None, satisfaction=satisfaction)

    problem(at(2024, 4, 1), 5, org.hrss)
    problem(at(2024, 9, 1), 3, org.industry)
    problem(at(2024, 10, 1), 1, org.hrss)  # after as_of
    problem(None, None, org.hrss)  # open
    # satisfaction = (5 + 3) / 2 = 4.0.

    # --- warm stations and apartments -------------------------------------------------------------------------------
    station = WarmStation.objects.create(code="ws-t", name="暖心驿站", address="港区")
    room = Room.objects.create(station=station, number="101")
    beds = [Bed.objects.create(room=room, label=c) for c in "ABCD"]
    for i, (check_in, status) in enumerate(((date(2024, 2, 1), "checked_out"), (date(2024, 9, 20), "checked_in"),
                                            (date(2024, 3, 1), "no_show"), (date(2024, 9, 25), "confirmed"))):
        StayBooking.objects.create(guest=TalentFactory(), station=station, bed=beds[i], check_in=check_in,
                                   check_out=check_in + timedelta(days=2), nights=2, status=status,
                                   token=f"tok{i}", decision_due=check_in)
    # warm_stays = 2.
    building = Building.objects.create(project=Project.objects.create(code="apt", name="人才公寓", address="港区"),
                                       name="1号楼")
    units = [Unit.objects.create(building=building, number=f"10{i}", code=f"apt-1-10{i}", floor=1, area_m2=Decimal(60),
                                 layout="one_bed", monthly_rent_fen=200000) for i in range(3)]
    for i, (start, ended) in enumerate(((date(2024, 5, 1), False), (date(2023, 11, 1), False),
                                        (date(2024, 7, 1), True))):
        Lease.objects.create(tenant=TalentFactory(), unit=units[i], start_date=start,
                             end_date=start + timedelta(days=365), monthly_rent_fen=200000, discount_percent=50,
                             payable_rent_fen=100000, deposit_fen=0, status="ended" if ended else "active",
                             moved_out_on=date(2024, 8, 1) if ended else None)
    # apartments_let = 2.

    # --- decided tasks ---------------------------------------------------------------------------------------------
    definition = WorkflowDefinition.objects.create(code="t-service", version=1, name="人才服务", spec={},
                                                   spec_hash="0" * 64)
    step = StepDefinition.objects.create(definition=definition, code="review", name="审核", stage=1,
                                         owner_kind="department", department=org.hrss, deadline_days=3)
    ct = ContentType.objects.get_for_model(Event)
    for i, (dept, state, decided, due) in enumerate((
            (org.hrss, "approved", at(2024, 3, 10), date(2024, 3, 10)),  # met (on the day)
            (org.hrss, "rejected", at(2024, 3, 12), date(2024, 3, 11)),  # late
            (org.office, "approved", at(2024, 6, 1), date(2024, 6, 5)),  # met
            (org.office, "pending", None, date(2024, 9, 30)),  # not decided
            (org.office, "approved", at(2024, 9, 23, 23, 30), date(2024, 9, 23)))):  # 23:30 local on the day: met
        case = Case.objects.create(definition=definition, subject_type=ct, subject_id=1000 + i, applicant=org.talent,
                                   title=f"{org.talent.real_name} 的申请")
        Task.objects.create(case=case, step=step, stage=1, department=dept, state=state, due_date=due,
                            decided_at=decided)
    # deadlines_met = 3 of 4 = 75.0 %.

    # --- reported figures ------------------------------------------------------------------------------------------
    training = target("training_sessions")
    reported_figure_enter(actor=org.hrss_staff, target=training, month=date(2024, 1, 1), value="1000",
                          source="人社局职业技能培训管理系统", evidence=evidence())
    reported_figure_enter(actor=org.hrss_staff, target=training, month=date(2024, 2, 1), value="1500.5",
                          source="人社局职业技能培训管理系统", evidence=evidence("二月.pdf"))
    # training_sessions = 2500.5.
    return SimpleNamespace(e1=e1, e2=e2, e3=e3, boss=boss, official=official, p1=p1, p2=p2, p3=p3,
                           sha=hashlib.sha256(PDF).hexdigest())
