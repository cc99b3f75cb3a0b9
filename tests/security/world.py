"""The fixture world of the security harness: one account per principal of the access matrix and, for each kind of
object a URL can name, one object owned by each owner (talent A and B, employer X and Y, department 1 and 2).

Objects are made with each app's own factories and services, never by hand-written rows. A kind this module cannot
build yet resolves to a primary key that does not exist, so the URL is still probed (everyone must get a refusal)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from django.test import Client

BACKEND = "onestop.core.auth.PhoneOrUsernameBackend"
MISSING_PK = 987_654

# The principals of the matrix, in report order. "anon" is the anonymous visitor.
PRINCIPALS: tuple[str, ...] = (
    "anon", "talent_a", "talent_b", "employer_x", "employer_y", "staff_1", "staff_2", "partner", "auditor",
    "sys_admin", "sec_admin", "audit_admin",
)
NEEDS_OTP = {"staff_1", "staff_2", "partner", "auditor", "sys_admin", "sec_admin", "audit_admin"}

# Which principal owns an object, per owner key used in the world (the pairs are what "cross-user" and
# "cross-department" mean in the report).
TALENT_PAIR = ("talent_a", "talent_b")
EMPLOYER_PAIR = ("employer_x", "employer_y")
DEPARTMENT_PAIR = ("staff_1", "staff_2")


def sign_in(client: Client, user: Any, *, otp: bool) -> Client:
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user, backend=BACKEND)
    session = client.session
    now = time.time()
    session["onestop_auth_at"] = now
    session["onestop_last_seen"] = now
    if otp:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        assert device is not None, f"{user} has no confirmed TOTP device"
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@dataclass(frozen=True)
class Obj:
    """One object a URL can name: its key in the URL and the principals that own it (a talent, an employer, the
    department whose queue holds it)."""

    key: Any
    owners: frozenset[str]


MISSING = Obj(MISSING_PK, frozenset())


@dataclass
class World:
    users: dict[str, Any]
    objects: dict[str, list[Obj]] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)

    def client(self, principal: str, *, csrf: bool = False) -> Client:
        key = f"{principal}:{csrf}"
        if key not in self.clients:
            c = Client(enforce_csrf_checks=csrf)
            if principal != "anon":
                sign_in(c, self.users[principal], otp=principal in NEEDS_OTP)
            self.clients[key] = c
        return self.clients[key]

    def of(self, kind: str | None) -> list[Obj]:
        """The objects of ``kind``; a kind not built yet gives one missing key owned by nobody."""
        if kind is None:
            return [MISSING]
        return self.objects.get(kind) or [MISSING]

    def add(self, kind: str, key: Any, *owners: str) -> None:
        self.objects.setdefault(kind, []).append(Obj(key, frozenset(owners)))


def build_world() -> World:
    from onestop.core.choices import Role
    from onestop.core.tests.factories import (
        AdminFactory,
        DepartmentFactory,
        EmployerUserFactory,
        NotificationFactory,
        PartnerUserFactory,
        StaffFactory,
        TalentFactory,
    )

    dept_1 = DepartmentFactory(code="talent_office", name="人才工作领导小组办公室", name_en="Talent Office")
    dept_2 = DepartmentFactory(code="hrss", name="人力资源和社会保障局", name_en="HRSS")
    users: dict[str, Any] = {
        "talent_a": TalentFactory(),
        "talent_b": TalentFactory(),
        "employer_x": EmployerUserFactory(),
        "employer_y": EmployerUserFactory(),
        "staff_1": StaffFactory(department=dept_1),
        "staff_2": StaffFactory(department=dept_2),
        "partner": PartnerUserFactory(),
        "auditor": AdminFactory(role=Role.AUDITOR),
        "sys_admin": AdminFactory(role=Role.SYS_ADMIN),
        "sec_admin": AdminFactory(role=Role.SEC_ADMIN),
        "audit_admin": AdminFactory(role=Role.AUDIT_ADMIN),
    }
    world = World(users=users)
    for p in TALENT_PAIR + EMPLOYER_PAIR:
        world.add("notification", NotificationFactory(recipient=users[p]).pk, p)
        world.add("user", users[p].pk, p)
    _workflow(world, dept_1, dept_2)
    _files(world)
    _onething(world)
    _certification(world, dept_1)
    _greencards(world)
    _housing(world)
    return world


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _files(world: World) -> None:
    """A business licence per employer (the enterprise and the talent office, which reviews enterprises — staff_1's
    department). Talent documents are made with the certification applications."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from onestop.core.models import RoleAssignment
    from onestop.employers.services import licence_upload

    for who in EMPLOYER_PAIR:
        enterprise = RoleAssignment.objects.get(user=world.users[who]).enterprise
        upload = SimpleUploadedFile("营业执照.pdf", PDF, "application/pdf")
        licence = licence_upload(actor=world.users[who], enterprise=enterprise, upload=upload)
        world.add("licence", licence.pk, who, "staff_1")


def _onething(world: World) -> None:
    """A 人才一件事 draft application per talent, owned by the talent only."""
    from onestop.onething.services import application_start

    for who in TALENT_PAIR:
        world.add("onething_application", application_start(actor=world.users[who]).pk, who)


def _workflow(world: World, dept_1: Any, dept_2: Any) -> None:
    """One sample service request per talent: a case owned by the talent with a task in the talent office queue."""
    from onestop.core.tests.factories import DepartmentFactory
    from onestop.workflow.definitions import read_spec, shipped_spec_files
    from onestop.workflow.models import Case
    from onestop.workflow.services import (
        calendar_year_load_package,
        definition_publish,
        service_request_submit,
    )

    for year in (2024, 2025, 2026):
        calendar_year_load_package(year=year)
    DepartmentFactory(code="exit_entry", name="公安分局出入境管理大队", name_en="Exit-Entry")
    DepartmentFactory(code="housing", name="住房和城乡建设局", name_en="Housing")
    (path,) = [p for p in shipped_spec_files() if p.name == "talent_service.json"]
    definition_publish(spec=read_spec(path))
    for who in TALENT_PAIR:
        request = service_request_submit(applicant=world.users[who], kind="housing", title="申请人才公寓")
        case = Case.objects.get(subject_id=request.pk, definition__code="talent_service")
        world.add("case", case.pk, who, "staff_1")
        for task in case.tasks.select_related("department"):
            owner = {dept_1.pk: "staff_1", dept_2.pk: "staff_2"}.get(task.department_id, "")
            world.add("task", task.pk, *(o for o in (owner,) if o))



def _greencards(world: World) -> None:
    """A green card per talent (issued by the system, as on certification) and an entitlement request on it, which
    only its holder may see."""
    from datetime import timedelta

    from django.utils import timezone

    from onestop.core.tests.factories import DepartmentFactory
    from onestop.greencards.models import ClassEntitlement, GreenCard
    from onestop.greencards.services import card_issue, entitlement_request_submit
    from onestop.workflow.definitions import read_spec, shipped_spec_files
    from onestop.workflow.services import definition_publish

    DepartmentFactory(code="health", name="卫生健康委员会", name_en="Health")
    DepartmentFactory(code="education", name="教育局", name_en="Education")
    (path,) = [p for p in shipped_spec_files() if p.name == "greencard_service.json"]
    definition_publish(spec=read_spec(path))
    today = timezone.localdate()
    for who in TALENT_PAIR:
        holder = world.users[who]
        card = GreenCard.objects.filter(holder=holder).first()  # issued on certification, else by the system
        if card is None:
            card = card_issue(holder=holder, card_class="B", valid_from=today - timedelta(days=30),
                              valid_until=today + timedelta(days=3 * 365))
        code = ClassEntitlement.objects.filter(card_class=card.card_class).order_by("entitlement__code").values_list(
            "entitlement__code", flat=True).first()
        request = entitlement_request_submit(holder=holder, entitlement_code=code)
        world.add("greencard_request", request.pk, who)


def _housing(world: World) -> None:
    """A warm-station stay per talent (a station and beds set up by a housing-desk clerk, who is not a principal);
    the talents are recent graduates from another province so the booking passes the warm-station rules."""
    from datetime import timedelta

    from django.utils import timezone

    from onestop.core.models import Department
    from onestop.core.tests.factories import StaffFactory
    from onestop.housing.services import bed_add, station_save, stay_book, stay_terms
    from onestop.talents.services import household_set, profile_update

    clerk = StaffFactory(department=Department.objects.get(code="housing"))
    station = station_save(actor=clerk, code="sec-ws", name="暖心驿站", address="航空港区迎宾大道 8 号")
    for label in ("A", "B"):
        bed_add(actor=clerk, station=station, room="101", label=label)
    today = timezone.localdate()
    check_in = stay_terms().earliest_check_in
    for who in TALENT_PAIR:
        talent = world.users[who]
        profile_update(actor=talent, graduation_date=today - timedelta(days=60), homes_declared=True,
                       job_seeking=True)
        household_set(actor=talent, hukou_type="other")
        world.add("stay", stay_book(guest=talent, station=station, check_in=check_in, nights=1).pk, who)


def _certification(world: World, dept_1: Any) -> None:
    """Talent A works for employer X's enterprise, talent B for employer Y's. Each talent applies for certification
    with a document of theirs; the employer confirms, the talent office (staff_1) reviews, the committee (a head of
    the talent office, not a principal) grants tier D, and after publicity the certificate is issued. Each employer
    then applies for work funding for its talent. Who sees what is the modules' own rule: the application and the
    talent's documents and certificate — the talent, the enterprise and the reviewers holding a task on the case (the
    employer, the talent office); the funding application — the enterprise and the talent office."""
    from datetime import date, timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile

    from onestop.core.choices import Role
    from onestop.core.models import RoleAssignment
    from onestop.core.tests.factories import StaffFactory
    from onestop.employers.services import funding_apply
    from onestop.policies.services import policy_load_package
    from onestop.talents import certification as cert
    from onestop.talents.services import document_upload, employment_add, profile_update
    from onestop.workflow.definitions import read_spec, shipped_spec_files
    from onestop.workflow.services import definition_publish

    policy_load_package()
    for name in ("talent_certification.json", "employer_funding.json"):
        (path,) = [p for p in shipped_spec_files() if p.name == name]
        definition_publish(spec=read_spec(path))
    head = StaffFactory(department=dept_1, department__role=Role.DEPT_HEAD)
    for who, employer in zip(TALENT_PAIR, EMPLOYER_PAIR, strict=True):
        talent, boss = world.users[who], world.users[employer]
        enterprise = RoleAssignment.objects.get(user=boss).enterprise
        employment_add(actor=talent, uscc=enterprise.uscc, start_date=date(2020, 3, 2))
        profile_update(actor=talent, education="master")
        document = document_upload(actor=talent, kind="diploma",
                                   upload=SimpleUploadedFile("学位证.pdf", PDF, "application/pdf"))
        world.add("talent_document", document.pk, who, employer, "staff_1")
        application = cert.certification_apply(actor=talent, track="standard", claimed_tier="D",
                                               equivalent_claim=True, statement="主持国家重点研发计划项目，相当于该层次。",
                                               document_ids=[document.pk])
        cert.certification_decide(application=application, actor=boss, action="approve")
        cert.certification_decide(application=application, actor=world.users["staff_1"], action="approve")
        cert.certification_decide(application=application, actor=head, action="approve", tier="D")
        application.refresh_from_db()
        world.add("certification", application.pk, who, employer, "staff_1")
        day = application.publicity_end + timedelta(days=1)
        certificate = cert.certification_publicity_close(application=application, today=day)
        assert certificate is not None, application.status
        world.add("certificate", certificate.pk, who, employer, "staff_1")
        funding = funding_apply(actor=boss, enterprise=enterprise, certificate_id=certificate.pk,
                                statement="引进该人才主持国家重点研发计划项目。", today=day)
        world.add("funding", funding.pk, employer, "staff_1")

