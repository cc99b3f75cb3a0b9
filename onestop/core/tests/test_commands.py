"""Management commands: the demo seed (idempotent, valid synthetic data) and the demo one-time codes."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice
from stdnum.cn import ric, uscc

from onestop.core.choices import AccountType, Role
from onestop.core.demo.accounts import DEMO_PASSWORD
from onestop.core.models import Department, PartnerOrganization, RoleAssignment, User
from onestop.employers.models import Enterprise
from onestop.talents.models import TalentProfile

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", talents=12, employers=3, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "users": User.objects.count(), "roles": RoleAssignment.objects.count(),
        "departments": Department.objects.count(), "partners": PartnerOrganization.objects.count(),
        "enterprises": Enterprise.objects.count(), "profiles": TalentProfile.objects.count(),
        "devices": TOTPDevice.objects.count(),
    }


def test_seed_demo_creates_the_organisation_and_is_idempotent():
    output = seed()
    first = counts()

    seed()

    assert counts() == first
    assert first["departments"] == 10
    assert first["enterprises"] == 3
    assert User.objects.filter(account_type=AccountType.TALENT).count() == 12
    assert first["profiles"] == 12
    assert DEMO_PASSWORD in output
    assert "demo_otp" in output


def test_seed_demo_data_is_valid_and_separated():
    seed()

    talents = User.objects.filter(account_type=AccountType.TALENT)
    assert all(ric.is_valid(t.id_number) for t in talents)
    assert all(uscc.is_valid(e.uscc) for e in Enterprise.objects.all())
    assert all(t.is_demo for t in talents)
    for username, role in (("sysadmin", Role.SYS_ADMIN), ("secadmin", Role.SEC_ADMIN),
                           ("auditadmin", Role.AUDIT_ADMIN)):
        assert User.objects.get(username=username).role_set() == {role}
    staff = User.objects.get(username="housing_staff")
    assert staff.has_role(Role.DEPT_STAFF)
    assert TOTPDevice.objects.filter(user=staff, confirmed=True).count() == 1
    assert staff.check_password(DEMO_PASSWORD)


def test_demo_otp_prints_a_code_the_device_accepts():
    seed()
    out = io.StringIO()

    call_command("demo_otp", "talent_office_staff", stdout=out)

    code = out.getvalue().strip()
    device = TOTPDevice.objects.get(user__username="talent_office_staff")
    assert len(code) == 6
    assert code.isdigit()
    assert device.verify_token(code) is True


def test_demo_otp_refuses_a_non_demo_account(staff):
    with pytest.raises(CommandError):
        call_command("demo_otp", staff.username)


def test_synthetic_people_always_have_valid_ids_whatever_their_birth_year():
    import random
    from datetime import date

    from onestop.core.demo import synthetic

    rng = random.Random(7)
    people = [synthetic.person(rng, i, industry="nev", today=date(2026, 12, 1)) for i in range(3000)]

    assert min(p.birth_date.year for p in people) < 1983  # the old county codes are exercised
    assert [p.id_number for p in people if not ric.is_valid(p.id_number)] == []
