"""The leadership role (领导): a zone-wide, read-only role of a staff account. The database refuses it on any other
account type and with any scope (triggers and check constraint, SQLite and PostgreSQL); it grants the targets
dashboard and nothing else; the leader signs in with a second factor and lands on the dashboard."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from onestop.core.choices import AccountType, Role
from onestop.core.exceptions import Conflict, ValidationFailed
from onestop.core.models import AuditEvent, RoleAssignment, User
from onestop.core.permissions import Capability, capabilities
from onestop.core.services import role_assign
from onestop.core.tests.factories import (
    PASSWORD,
    AdminFactory,
    EmployerUserFactory,
    LeaderFactory,
    PartnerUserFactory,
    TalentFactory,
    UserFactory,
    totp_token,
)

pytestmark = pytest.mark.django_db


def _bare(account_type: str) -> User:
    """An account of the type, holding no role yet."""
    return UserFactory(account_type=account_type, username=factory_username(account_type))


def factory_username(account_type: str) -> str:
    return f"bare_{account_type}_{User.objects.count()}"


# --- the database ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("holder", ["talent", "employer", "partner", "admin"])
def test_database_refuses_the_leader_role_on_any_account_but_staff(holder):
    user = {"talent": TalentFactory, "employer": EmployerUserFactory, "partner": PartnerUserFactory,
            "admin": lambda: AdminFactory(role=Role.SYS_ADMIN)}[holder]()

    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.LEADER)

    assert not RoleAssignment.objects.filter(user=user, role=Role.LEADER).exists()


@pytest.mark.parametrize("account_type", [AccountType.TALENT, AccountType.EMPLOYER, AccountType.ADMIN])
def test_database_refuses_the_leader_role_on_an_account_without_roles(account_type):
    user = _bare(account_type)

    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.LEADER)


def test_database_refuses_turning_a_role_into_leader_on_an_employer_account():
    employer = EmployerUserFactory()
    assignment = employer.role_assignments.get()

    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.filter(pk=assignment.pk).update(role=Role.LEADER, enterprise=None)

    assignment.refresh_from_db()
    assert assignment.role == Role.EMPLOYER_ADMIN


def test_database_accepts_the_leader_role_on_a_staff_account_once_and_unscoped(department):
    user = _bare(AccountType.STAFF)

    RoleAssignment.objects.create(user=user, role=Role.LEADER)

    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.LEADER)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=_bare(AccountType.STAFF), role=Role.LEADER, department=department)
    assert RoleAssignment.objects.filter(role=Role.LEADER, department__isnull=False).count() == 0


def test_database_refuses_changing_a_leaders_account_type():
    leader = LeaderFactory()

    for account_type in (AccountType.TALENT, AccountType.EMPLOYER, AccountType.ADMIN):
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.filter(pk=leader.pk).update(account_type=account_type)

    leader.refresh_from_db()
    assert leader.account_type == AccountType.STAFF


# --- the service ---------------------------------------------------------------------------------------------------------

def test_the_security_admin_grants_the_leader_role_to_a_staff_account_and_it_is_audited(sec_admin):
    user = _bare(AccountType.STAFF)

    role_assign(user=user, role=Role.LEADER, actor=sec_admin)

    assert user.role_set() == {Role.LEADER}
    event = AuditEvent.objects.get(action="role.grant", object_id=str(user.pk))
    assert event.after["role"] == "leader" and event.after["department"] is None


def test_the_service_refuses_the_leader_role_on_other_accounts_and_with_a_scope(sec_admin, department):
    for user in (TalentFactory(), EmployerUserFactory(), _bare(AccountType.ADMIN)):
        with pytest.raises(ValidationFailed) as exc:
            role_assign(user=user, role=Role.LEADER, actor=sec_admin)
        assert "账号类型" in str(exc.value)
    with pytest.raises(ValidationFailed) as exc:
        role_assign(user=_bare(AccountType.STAFF), role=Role.LEADER, actor=sec_admin, department=department)
    assert "角色范围" in str(exc.value)
    with pytest.raises(Conflict):
        role_assign(user=LeaderFactory(), role=Role.LEADER, actor=sec_admin)
    assert not RoleAssignment.objects.filter(role=Role.LEADER).exclude(user__username__startswith="leader").exists()


# --- capabilities, landing page, second factor ----------------------------------------------------------------------------

def test_the_leader_holds_the_targets_view_and_nothing_else():
    caps = capabilities(LeaderFactory())

    assert caps == frozenset({Capability.TARGETS_VIEW})
    assert Capability.PII_UNMASK not in caps and Capability.TARGETS_REPORT not in caps


def test_the_leader_needs_the_second_factor_and_then_lands_on_the_dashboard():
    leader = LeaderFactory()
    client = Client()

    response = client.post("/account/login/", {"username": leader.username, "password": PASSWORD})

    parts = urlsplit(response["Location"])
    assert parts.path == "/account/otp/verify/"
    assert parse_qs(parts.query)["next"] == ["/targets/"]
    assert client.get("/targets/")["Location"].startswith("/account/otp/verify/")
    device = TOTPDevice.objects.get(user=leader)
    verified = client.post("/account/otp/verify/", {"token": totp_token(device), "next": "/targets/"})
    assert verified["Location"] == "/targets/"
    page = client.get("/targets/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="nav-targets"' in html and 'id="screen-link"' in html
    assert 'id="nav-workflow"' not in html and "/staff/" not in html


# --- the demo account --------------------------------------------------------------------------------------------------

def test_the_demo_seed_creates_the_leader_with_a_demo_totp_and_prints_it():
    import io

    from django.core.management import call_command

    from onestop.core.demo.accounts import DEMO_PASSWORD

    out = io.StringIO()
    call_command("seed_demo", talents=3, employers=1, stdout=out)
    call_command("seed_demo", talents=3, employers=1, quiet_accounts=True, stdout=io.StringIO())  # idempotent

    leader = User.objects.get(username="leader")
    assert leader.real_name == "示例领导" and leader.account_type == AccountType.STAFF and leader.is_demo
    assert leader.role_set() == {Role.LEADER} and leader.check_password(DEMO_PASSWORD)
    assert TOTPDevice.objects.filter(user=leader, confirmed=True).count() == 1
    assert "leader" in out.getvalue().split("leadership 领导:")[1].splitlines()[0]
    code = io.StringIO()
    call_command("demo_otp", "leader", stdout=code)
    assert TOTPDevice.objects.get(user=leader).verify_token(code.getvalue().strip()) is True
