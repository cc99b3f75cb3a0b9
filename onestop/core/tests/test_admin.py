"""The back office (Django admin) goes through the services: roles keep 三员 separated, disabling is audited, and a
refused change is an error message, never a server error."""

from __future__ import annotations

import pytest

from onestop.core.choices import Role
from onestop.core.models import AuditEvent, RoleAssignment, User
from onestop.core.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

ADD_ROLE = "/admin/core/roleassignment/add/"


def role_form(user: User, role: str, **scope: object) -> dict[str, object]:
    data: dict[str, object] = {"user": user.pk, "role": role, "department": "", "enterprise": "", "partner": ""}
    data.update(scope)
    return data


def test_sec_admin_grants_a_role_in_the_admin_through_the_service(sec_admin, department, login):
    newcomer = StaffFactory(department=department)
    other = type(department).objects.create(code="housing", name="住房和城乡建设局", name_en="Housing")

    response = login(sec_admin, otp=True).post(ADD_ROLE, role_form(newcomer, Role.DEPT_HEAD, department=other.pk))

    assert response.status_code == 302
    assert RoleAssignment.objects.filter(user=newcomer, role=Role.DEPT_HEAD, department=other).count() == 1
    event = AuditEvent.objects.get(action="role.grant")
    assert event.actor_id == sec_admin.pk
    assert RoleAssignment.objects.get(user=newcomer, role=Role.DEPT_HEAD).granted_by_id == sec_admin.pk


def test_second_admin_role_in_the_admin_is_refused_without_a_server_error(sec_admin, sys_admin, login):
    response = login(sec_admin, otp=True).post(ADD_ROLE, role_form(sys_admin, Role.AUDIT_ADMIN))

    assert response.status_code in (200, 302)
    assert RoleAssignment.objects.filter(user=sys_admin).count() == 1


def test_business_role_for_an_admin_in_the_admin_is_refused_with_a_message(sec_admin, sys_admin, department,
                                                                            login):
    client = login(sec_admin, otp=True)

    response = client.post(ADD_ROLE, role_form(sys_admin, Role.DEPT_STAFF, department=department.pk), follow=True)

    assert response.status_code == 200
    assert "三员分立" in response.content.decode()
    assert RoleAssignment.objects.filter(user=sys_admin).count() == 1
    assert not AuditEvent.objects.filter(action="role.grant").exists()


def test_sec_admin_revokes_a_role_in_the_admin_and_it_is_audited(sec_admin, staff, login):
    assignment = staff.role_assignments.get()

    response = login(sec_admin, otp=True).post(f"/admin/core/roleassignment/{assignment.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert AuditEvent.objects.get(action="role.revoke").actor_id == sec_admin.pk


def test_sys_admin_disables_an_account_in_the_admin_and_it_is_audited(sys_admin, talent, login):
    form = {"username": "", "real_name": talent.real_name, "email": "", "is_active": ""}

    response = login(sys_admin, otp=True).post(f"/admin/core/user/{talent.pk}/change/", form)

    talent.refresh_from_db()
    assert response.status_code == 302
    assert talent.is_active is False
    event = AuditEvent.objects.get(action="user.disable")
    assert event.actor_id == sys_admin.pk
    assert event.before == {"is_active": True}


def test_sys_admin_cannot_disable_themself_and_gets_a_message_not_an_error(sys_admin, login):
    form = {"username": sys_admin.username, "real_name": sys_admin.real_name, "email": "", "is_active": ""}

    response = login(sys_admin, otp=True).post(f"/admin/core/user/{sys_admin.pk}/change/", form, follow=True)

    sys_admin.refresh_from_db()
    assert response.status_code == 200
    assert sys_admin.is_active is True
    assert "不能停用自己的账号" in response.content.decode()


def test_sys_admin_opens_a_staff_account_and_the_password_never_lands_in_the_audit(sys_admin, login):
    form = {"username": "housing_clerk", "real_name": "孙丽", "account_type": "staff", "email": "",
            "password1": "Initial#Pass2024", "password2": "Initial#Pass2024"}

    response = login(sys_admin, otp=True).post("/admin/core/user/add/", form)

    assert response.status_code == 302
    clerk = User.objects.get(username="housing_clerk")
    assert clerk.check_password("Initial#Pass2024")
    assert clerk.account_type == "staff"
    event = AuditEvent.objects.get(action="admin.add", object_id=str(clerk.pk))
    assert event.actor_id == sys_admin.pk
    assert "Initial#Pass2024" not in repr(list(AuditEvent.objects.values()))


def test_sys_admin_cannot_open_a_talent_account_in_the_admin(sys_admin, login):
    form = {"username": "fake_talent", "real_name": "假人才", "account_type": "talent", "email": "",
            "password1": "Initial#Pass2024", "password2": "Initial#Pass2024"}

    response = login(sys_admin, otp=True).post("/admin/core/user/add/", form)

    assert response.status_code == 200
    assert not User.objects.filter(username="fake_talent").exists()


def test_sys_admin_finds_a_user_by_mobile_number_through_the_blind_index(sys_admin, talent, login):
    client = login(sys_admin, otp=True)

    response = client.get("/admin/core/user/", {"q": talent.phone})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    assert talent.masked_phone in response.content.decode()
