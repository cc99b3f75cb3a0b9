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
    "anon", "talent_a", "talent_b", "employer_x", "employer_y", "staff_1", "staff_2", "leader", "partner", "auditor",
    "sys_admin", "sec_admin", "audit_admin",
)
NEEDS_OTP = {"staff_1", "staff_2", "leader", "partner", "auditor", "sys_admin", "sec_admin", "audit_admin"}

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
    marker: str = ""  # a text that shows this object, and no other, in a list (when its key does not show)


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

    def add(self, kind: str, key: Any, *owners: str, marker: str = "") -> None:
        self.objects.setdefault(kind, []).append(Obj(key, frozenset(owners), marker))


def build_world() -> World:
    from onestop.core.choices import Role
    from onestop.core.tests.factories import (
        AdminFactory,
        DepartmentFactory,
        EmployerUserFactory,
        LeaderFactory,
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
        "leader": LeaderFactory(),  # the leadership (领导): zone-wide, read-only, the targets dashboard only
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
    _certification(world, dept_1)
    _onething(world)
    _greencards(world)
    _housing(world)
    _apartments(world)
    _talent_records(world)
    _policies(world)
    _employers(world)
    _engagement(world)
    _benefits(world)
    _targets(world)
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
    """A 人才一件事 draft application per talent with one matter selected, owned by the talent only."""
    from onestop.onething.catalogue import matter_catalogue_load
    from onestop.onething.services import application_select_matters, application_start

    matter_catalogue_load()
    for who in TALENT_PAIR:
        application = application_start(actor=world.users[who])
        application_select_matters(application=application, actor=world.users[who], codes=["certification"])
        world.add("onething_application", application.pk, who)


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
    """A green card per talent (issued by the system, as on certification), an entitlement request on it and a scan
    of it by the partner desk, which only its holder may see."""
    from datetime import timedelta

    from django.utils import timezone

    from onestop.core.tests.factories import DepartmentFactory
    from onestop.greencards.models import ClassEntitlement, GreenCard
    from onestop.greencards.services import card_issue, card_verify, entitlement_request_submit
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
        world.add("greencard", card.pk, "staff_1")  # managed (suspended, reinstated) by the talent office only
        code = ClassEntitlement.objects.filter(card_class=card.card_class).order_by("entitlement__code").values_list(
            "entitlement__code", flat=True).first()
        request = entitlement_request_submit(holder=holder, entitlement_code=code)
        world.add("greencard_request", request.pk, who)
        # The partner desk scans the card once; the scan log row is the holder's only. Each scan at its own second,
        # so the time shown in the log tells the two apart.
        moment = (timezone.now() - timedelta(minutes=10 + TALENT_PAIR.index(who))).replace(microsecond=0)
        scan = card_verify(token=card.token, checker=world.users["partner"], now=moment)
        world.add("scan", scan.verification.pk, who,
                  marker=timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S"))


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
    world.add("station", station.pk)  # the housing desk's own inventory: no principal may open it
    for label in ("A", "B"):
        world.add("bed", bed_add(actor=clerk, station=station, room="101", label=label).pk)
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
        other = world.users[TALENT_PAIR[1 - TALENT_PAIR.index(who)]]  # the other talent objects during publicity
        objection = cert.objection_file(application=application, actor=other,
                                        content="申请人所述项目的主持人另有其人，请核实。")
        cert.objection_resolve(objection=objection, actor=world.users["staff_1"], upheld=False,
                               resolution="经核实，申请人为项目负责人，异议不成立。")
        world.add("objection", objection.pk, "staff_1")  # resolved by the talent office only
        day = application.publicity_end + timedelta(days=1)
        certificate = cert.certification_publicity_close(application=application, today=day)
        assert certificate is not None, application.status
        world.add("certificate", certificate.pk, who, employer, "staff_1")
        funding = funding_apply(actor=boss, enterprise=enterprise, certificate_id=certificate.pk,
                                statement="引进该人才主持国家重点研发计划项目。", today=day)
        world.add("funding", funding.pk, employer, "staff_1")



def _apartments(world: World) -> None:
    """A talent-apartment round with two units, set up, drawn and published by a housing-desk clerk (not a principal):
    talents A and B, certified tier D, apply; both are housed (C/D talents are all housed), each receives an offer and
    accepts it, so each holds an offer and a lease that only they may see. Rounds are public once open."""
    from datetime import timedelta
    from decimal import Decimal

    from onestop.core.models import Department
    from onestop.core.tests.factories import StaffFactory
    from onestop.housing.choices import Layout, ProjectKind
    from onestop.housing.models import Offer
    from onestop.housing.services import (
        application_submit,
        offer_accept,
        project_save,
        round_create,
        round_draw,
        round_publish,
        unit_save,
    )
    from onestop.talents.models import Certificate
    from onestop.workflow import calendar as wd

    clerk = StaffFactory(department=Department.objects.get(code="housing"))
    project = project_save(actor=clerk, code="sec-apt", name="人才公寓安全测试", kind=ProjectKind.APARTMENT,
                           address="航空港区新港大道 1 号")
    units = [unit_save(actor=clerk, project=project, building="1号楼", number=f"010{i}", floor=1,
                       area_m2=Decimal("45.00"), layout=Layout.ONE_BED, monthly_rent_fen=180000, discount_percent=50)
             for i in (1, 2)]
    for unit in units:
        world.add("unit", unit.pk)  # the housing desk's own inventory: no principal may open it
    # The round opens the day both certificates are valid (the day after publicity), so C/D priority applies.
    today = max(wd.today(), *Certificate.objects.filter(profile__user__in=[world.users[w] for w in TALENT_PAIR])
                .values_list("valid_from", flat=True))
    rnd = round_create(actor=clerk, code="sec-2026", title="人才公寓安全测试批次", opens_on=today,
                       closes_on=today + timedelta(days=3), unit_ids=[u.pk for u in units], today=today)
    world.add("round", rnd.code, *TALENT_PAIR)  # public: shared by everyone
    for who in TALENT_PAIR:
        application = application_submit(rnd=rnd, applicant=world.users[who], preferences=[Layout.ONE_BED],
                                         today=today)
        world.add("housing_application", application.pk, who, marker=application.code)
    after = today + timedelta(days=4)
    round_publish(rnd=rnd, actor=clerk, today=after)
    round_draw(rnd=rnd, actor=clerk, today=after)
    for who in TALENT_PAIR:
        offer = Offer.objects.get(application__round=rnd, application__applicant=world.users[who])
        world.add("housing_offer", offer.pk, who)
        world.add("lease", offer_accept(offer=offer, actor=world.users[who], today=after).pk, who)


def _talent_records(world: World) -> None:
    """An education record per talent (deletable by its owner only), and an objection to each talent's
    certification is covered in ``_certification``."""
    from datetime import date

    from onestop.talents.services import education_add

    for who in TALENT_PAIR:
        record = education_add(actor=world.users[who], level="bachelor", school="郑州大学",
                               graduation_date=date(2015, 6, 30))
        world.add("education_record", record.pk, who)


def _policies(world: World) -> None:
    """Policies and their versions belong to a department: a policy of the talent office (staff_1) and one of HRSS
    (staff_2), from the 2024 package loaded with the certification. Published policies are public."""
    from onestop.policies.models import Policy

    for who, code in zip(DEPARTMENT_PAIR, ("talent_office", "hrss"), strict=True):
        policy = (Policy.objects.filter(department__code=code, versions__status="published")
                  .order_by("code").first())
        assert policy is not None, f"the 2024 package has no published policy of {code}"
        world.add("policy", policy.code, who)
        world.add("policy_version", policy.versions.order_by("-pk").first().pk, who)


def _employers(world: World) -> None:
    """Per employer: its enterprise, a published job, an HR invitation (its id for revoking, its token for the
    accept page), a pending employment claimed by a new talent (decided by the enterprise only), and a 区聘企用
    placement of its talent registered by the talent office (seen by the talent, the host enterprise and the
    placement departments — the talent office and HRSS). A newly registered enterprise waits in the talent office's
    review queue."""
    from datetime import date, timedelta

    from django.utils import timezone

    from onestop.core.models import RoleAssignment
    from onestop.core.tests.factories import TalentFactory, synthetic_uscc
    from onestop.employers.services import enterprise_register, hr_invite, job_create, placement_create
    from onestop.talents.models import Employment
    from onestop.talents.services import employment_add

    today = timezone.localdate()
    for n, (who, talent) in enumerate(zip(EMPLOYER_PAIR, TALENT_PAIR, strict=True)):
        boss = world.users[who]
        enterprise = RoleAssignment.objects.get(user=boss).enterprise
        world.add("enterprise", enterprise.pk, who)
        job = job_create(actor=boss, enterprise=enterprise, title="嵌入式软件工程师", industry="electronic_info",
                         education_min="bachelor", description="负责航空电子设备嵌入式软件开发。",
                         salary_min_fen=1_000_000, salary_max_fen=2_000_000, publish=True)
        world.add("job", job.pk, who)
        invitation, token = hr_invite(actor=boss, enterprise=enterprise, real_name="人事专员",
                                      phone=f"1390000{n:04d}")
        world.add("hr_invitation", invitation.pk, who)
        world.add("invitation", token, who)
        newcomer = TalentFactory()
        employment_add(actor=newcomer, uscc=enterprise.uscc, start_date=date(2024, 3, 1))
        employment = Employment.objects.get(profile__user=newcomer, enterprise=enterprise)
        world.add("employment", employment.pk, who)
        world.add("talent_profile", world.users[talent].talent_profile.pk, who, talent)
        placement = placement_create(actor=world.users["staff_1"], talent_id=world.users[talent].pk,
                                     uscc=enterprise.uscc, contract_no=f"QPQY-SEC-{n}", position="研发工程师",
                                     start_date=today, end_date=today + timedelta(days=365),
                                     monthly_cost_fen=3_000_000, zone_share_pct=50)
        world.add("placement", placement.pk, talent, who, *DEPARTMENT_PAIR)
    pending, _admin = enterprise_register(uscc=synthetic_uscc(990_001), name="郑州待核验科技有限公司",
                                         industry="electronic_info", contact_name="王经理", phone="13900009999",
                                         password="Sec-Test-Pass-2024!")
    world.add("enterprise_review", pending.pk, "staff_1")


def _engagement(world: World) -> None:
    """Per department: a published event (managed by its own staff only) with a talent's registration (the talent's
    only). Per employer: two needs reviewed by the talent office and published — one stays open (public), the other
    is taken on by its talent as a researcher and selected, which opens a contract (the researcher's and the
    enterprise's) — and a problem raised on an
    official's visit and owned by a department (the enterprise's and the owner department's)."""
    from datetime import timedelta

    from django.utils import timezone

    from onestop.core.choices import Role
    from onestop.core.models import RoleAssignment
    from onestop.core.tests.factories import DepartmentFactory, StaffFactory
    from onestop.engagement.models import Problem
    from onestop.engagement.services.events import event_create, event_publish, event_register
    from onestop.engagement.services.needs import (
        need_apply,
        need_review,
        need_select,
        need_submit,
        researcher_profile_save,
    )
    from onestop.engagement.services.visits import visit_assign, visit_log
    from onestop.workflow import calendar as wd

    start = timezone.now() + timedelta(days=10)
    for staff, talent in zip(DEPARTMENT_PAIR, TALENT_PAIR, strict=True):
        event = event_create(actor=world.users[staff], kind="publicity", title="人才政策宣讲会", venue_kind="zone",
                             location="港区会议中心", starts_at=start, ends_at=start + timedelta(hours=2), capacity=50)
        event = event_publish(actor=world.users[staff], event=event)
        world.add("event", event.pk, staff)
        world.add("registration", event_register(actor=world.users[talent], event=event).pk, talent)
    investment = DepartmentFactory(code="investment", name="投资促进局", name_en="Investment")
    head = StaffFactory(department=investment, department__role=Role.DEPT_HEAD)
    official = StaffFactory(department=investment)
    today = wd.today()
    for employer, talent, staff in zip(EMPLOYER_PAIR, TALENT_PAIR, DEPARTMENT_PAIR, strict=True):
        boss = world.users[employer]
        enterprise = RoleAssignment.objects.get(user=boss).enterprise
        needs = [need_review(actor=world.users["staff_1"], approve=True, need=need_submit(
            actor=boss, enterprise=enterprise, title=title, field="electronic_info",
            description="机载电子设备高功率密度散热方案设计与验证，需要热仿真与实验经验。", budget_fen=50_000_000,
            deadline=timezone.localdate() + timedelta(days=60))) for title in ("航空电子散热技术攻关", "机载线缆轻量化")]
        world.add("need", needs[1].pk, employer)  # published, open to researchers: public
        need = needs[0]  # taken on below: from then on the enterprise's, the reviewers' and the researcher's
        researcher_profile_save(actor=world.users[talent], institution="郑州大学", expertise="热仿真 散热 电子设备")
        application = need_apply(actor=world.users[talent], need=need, proposal="采用两相流冷板方案，先做热仿真选型，再做样机实验与装机验证，分三阶段完成。",
                                 quote_fen=30_000_000)
        world.add("contract", need_select(actor=boss, application=application).pk, talent, employer)
        visit_assign(actor=head, official=official, enterprise=enterprise)
        code = {"staff_1": "talent_office", "staff_2": "hrss"}[staff]
        visit_log(actor=official, enterprise=enterprise, visited_on=today, participants="企业人事经理",
                  explained="2024 人才政策包", problems=[{"title": "社保补贴到账慢", "owner_department": code,
                                                         "description": "新引进人才的社保补贴到账时间较长。"}])
        problem = Problem.objects.filter(enterprise=enterprise).latest("pk")
        world.add("problem", problem.pk, employer, staff)


def _benefits(world: World) -> None:
    """免申即享: a matching run, seen by every department's staff (BENEFITS_VIEW), and the 一件事 matters of each
    talent's application (the talent's only)."""
    from onestop.core.choices import Role
    from onestop.core.tests.factories import StaffFactory
    from onestop.onething.matching import match_run_create, match_run_execute
    from onestop.onething.models import ApplicationMatter, BenefitOffer
    from onestop.onething.services import benefit_setting_set
    from onestop.policies.models import Policy

    # Every talent policy of the talent office is offered 免申即享 (by a head of the office, not a principal); the
    # run offers each talent what they meet, and each offer is the talent's own.
    head = StaffFactory(department=world.users["staff_1"].role_assignments.get().department,
                        department__role=Role.DEPT_HEAD)
    for policy in Policy.objects.filter(department__code="talent_office", versions__status="published").distinct():
        benefit_setting_set(policy=policy, actor=head, mode="offer")
    run = match_run_execute(run_id=match_run_create(actor=None, trigger="manual").pk)
    world.add("matching_run", run.pk, *DEPARTMENT_PAIR)
    for who in TALENT_PAIR:
        offer = BenefitOffer.objects.filter(profile__user=world.users[who], status="offered").first()
        if offer is not None:
            world.add("benefit_offer", offer.pk, who)
    for who in TALENT_PAIR:
        for matter in ApplicationMatter.objects.filter(application__profile__user=world.users[who])[:1]:
            world.add("application_matter", matter.pk, who)


def _targets(world: World) -> None:
    """The 2024 targets with a reported figure and a monthly report per department: the talent office (staff_1, who
    sees every department's targets) and HRSS (staff_2, its own only). The auditor reads everything."""
    from datetime import date

    from django.core.files.uploadedfile import SimpleUploadedFile

    from onestop.targets.models import Target
    from onestop.targets.services import report_generate, report_request, reported_figure_enter, targets_load

    targets_load(year=2024)
    for who, code in (("staff_1", "industry_declarations"), ("staff_2", "training_sessions")):
        owners = ("staff_1",) if who == "staff_1" else ("staff_1", "staff_2")
        target = Target.objects.get(year=2024, code=code)
        world.add("target", target.pk, *owners)
        source = f"填报系统（{code}）"  # shown in the target's drill-down: tells the two figures apart
        figure = reported_figure_enter(actor=world.users[who], target=target, month=date(2024, 1, 1), value="10",
                                       source=source, evidence=SimpleUploadedFile("证明.pdf", PDF, "application/pdf"))
        world.add("reported_figure", figure.pk, *owners, marker=source)
        report = report_request(actor=world.users[who], year=2024, month=1)
        report_generate(report_id=report.pk)
        world.add("monthly_report", report.pk, *owners)
