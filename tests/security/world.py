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
    return world


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

