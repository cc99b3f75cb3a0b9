"""Role scoping: each role reaches its own pages only, and the three administrators (三员) stay separated — in the
service and in the database."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from onestop.core.choices import Role
from onestop.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from onestop.core.models import AuditEvent, RoleAssignment
from onestop.core.permissions import Capability, capabilities
from onestop.core.services import role_assign, role_revoke
from onestop.core.tests.factories import (
    AdminFactory,
    DepartmentFactory,
    EmployerUserFactory,
    EnterpriseFactory,
    PartnerUserFactory,
    StaffFactory,
    TalentFactory,
)

pytestmark = pytest.mark.django_db


# --- pages per role --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/staff/", "/employer/", "/audit/", "/partner/"])
def test_talent_cannot_reach_other_roles_pages(talent, login, path):
    assert login(talent).get(path).status_code == 404


def test_talent_cannot_reach_the_admin_site(talent, login):
    response = login(talent).get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_anonymous_visitor_is_sent_to_login(db, client):
    response = client.get("/me/")

    assert response.status_code == 302
    assert response["Location"] == "/account/login/?next=/me/"


def test_employer_sees_only_their_own_enterprise(login):
    mine, theirs = EnterpriseFactory(name="郑州甲方科技有限公司"), EnterpriseFactory(name="郑州乙方科技有限公司")
    me = EmployerUserFactory(enterprise=mine)
    EmployerUserFactory(enterprise=theirs)

    html = login(me).get("/employer/").content.decode()

    assert "郑州甲方科技有限公司" in html
    assert mine.uscc in html
    assert "郑州乙方科技有限公司" not in html
    assert theirs.uscc not in html


@pytest.mark.parametrize("path", ["/me/", "/staff/", "/audit/"])
def test_employer_cannot_reach_talent_staff_or_audit_pages(employer, login, path):
    assert login(employer).get(path).status_code == 404


def test_dept_staff_reaches_the_workbench_with_their_department(staff, staff_client):
    html = staff_client.get("/staff/").content.decode()

    assert "人才工作领导小组办公室" in html
    assert 'data-chart="chart-registrations"' in html


def test_dept_staff_cannot_reach_audit_or_admin(staff_client):
    assert staff_client.get("/audit/").status_code == 404
    admin = staff_client.get("/admin/")
    assert admin.status_code == 302
    assert admin["Location"].startswith("/admin/login/")


def test_partner_checker_reaches_only_the_partner_desk(login):
    checker = PartnerUserFactory()
    client = login(checker, otp=True)

    assert client.get("/partner/").status_code == 200
    assert client.get("/staff/").status_code == 404
    assert client.get("/me/").status_code == 404


def test_sys_admin_manages_users_but_not_roles(sys_admin, login):
    client = login(sys_admin, otp=True)

    assert client.get("/admin/core/user/").status_code == 200
    assert client.get("/admin/core/roleassignment/").status_code == 403
    assert client.get("/staff/").status_code == 404


def test_sec_admin_manages_roles_and_lockouts_but_not_users(sec_admin, login):
    client = login(sec_admin, otp=True)

    assert client.get("/admin/core/roleassignment/").status_code == 200
    assert client.get("/admin/axes/accessattempt/").status_code == 200
    assert client.get("/admin/core/user/").status_code == 403


def test_audit_admin_cannot_enter_the_admin_site(audit_admin, login):
    response = login(audit_admin, otp=True).get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_capabilities_of_the_three_admins_are_disjoint(sys_admin, sec_admin, audit_admin):
    sets = [capabilities(u) for u in (sys_admin, sec_admin, audit_admin)]

    assert sets[0] & sets[1] == frozenset()
    assert sets[0] & sets[2] == frozenset()
    assert sets[1] & sets[2] == frozenset()
    assert Capability.AUDIT_EXPORT in sets[2]
    assert not any(Capability.PII_UNMASK in s for s in sets)


def test_disabled_user_has_no_capabilities(talent):
    talent.is_active = False

    assert capabilities(talent) == frozenset()


# --- 三员: granting roles --------------------------------------------------------------------------------------------

def test_sec_admin_grants_a_department_role_and_it_is_audited(sec_admin):
    dept = DepartmentFactory(code="housing")
    newcomer = StaffFactory(department=DepartmentFactory(code="hrss"))

    role_assign(user=newcomer, role=Role.DEPT_HEAD, actor=sec_admin, department=dept)

    assert newcomer.has_role(Role.DEPT_HEAD)
    assert newcomer.department_ids(Role.DEPT_HEAD) == {dept.pk}
    event = AuditEvent.objects.get(action="role.grant")
    assert event.actor_id == sec_admin.pk
    assert event.after["role"] == "dept_head"
    assert event.after["department"] == "housing"


def test_only_the_sec_admin_grants_roles(sys_admin, audit_admin, staff):
    for actor in (sys_admin, audit_admin, staff):
        with pytest.raises(PermissionDenied):
            role_assign(user=TalentFactory(), role=Role.AUDITOR, actor=actor)


def test_admin_cannot_grant_themself_a_role(sec_admin):
    with pytest.raises(PermissionDenied):
        role_assign(user=sec_admin, role=Role.AUDITOR, actor=sec_admin)


def test_second_admin_role_is_refused_by_the_service(sec_admin, sys_admin):
    with pytest.raises(Conflict):
        role_assign(user=sys_admin, role=Role.AUDIT_ADMIN, actor=sec_admin)

    assert RoleAssignment.objects.filter(user=sys_admin).count() == 1


def test_business_role_for_an_admin_is_refused_by_the_service(sec_admin, sys_admin, audit_admin, department):
    with pytest.raises(Conflict):
        role_assign(user=audit_admin, role=Role.AUDITOR, actor=sec_admin)
    with pytest.raises(Conflict):
        role_assign(user=sys_admin, role=Role.DEPT_STAFF, actor=sec_admin, department=department)

    assert sys_admin.role_set() == {Role.SYS_ADMIN}


def test_admin_role_for_an_account_with_a_business_role_is_refused(sec_admin):
    auditor = AdminFactory(role=Role.AUDITOR)

    with pytest.raises(Conflict):
        role_assign(user=auditor, role=Role.AUDIT_ADMIN, actor=sec_admin)


def test_database_refuses_a_second_admin_role_on_a_raw_create(sys_admin):
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=sys_admin, role=Role.SEC_ADMIN)

    assert RoleAssignment.objects.filter(user=sys_admin).count() == 1


def test_database_refuses_the_same_role_twice(talent):
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=talent, role=Role.TALENT)


def test_database_refuses_a_department_role_without_a_department(staff):
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=staff, role=Role.DEPT_HEAD)


def test_role_must_match_the_account_type(sec_admin, talent, department):
    with pytest.raises(ValidationFailed):
        role_assign(user=talent, role=Role.DEPT_STAFF, actor=sec_admin, department=department)


def test_role_scope_must_match(sec_admin, staff):
    with pytest.raises(ValidationFailed):
        role_assign(user=staff, role=Role.DEPT_HEAD, actor=sec_admin)


def test_employer_admin_may_add_hr_to_their_own_enterprise_only(employer):
    colleague = EmployerUserFactory()
    own = employer.role_assignments.get().enterprise
    other = EnterpriseFactory()

    role_assign(user=colleague, role=Role.EMPLOYER_HR, actor=employer, enterprise=own)

    assert own.pk in colleague.enterprise_ids(Role.EMPLOYER_HR)
    with pytest.raises(PermissionDenied):
        role_assign(user=colleague, role=Role.EMPLOYER_HR, actor=employer, enterprise=other)


def test_sec_admin_revokes_a_role_and_it_is_audited(sec_admin, staff):
    assignment = staff.role_assignments.get()

    role_revoke(assignment=assignment, actor=sec_admin)

    assert not staff.role_assignments.exists()
    assert AuditEvent.objects.get(action="role.revoke").before["role"] == "dept_staff"


def test_revoking_needs_the_sec_admin(sys_admin, staff):
    with pytest.raises(PermissionDenied):
        role_revoke(assignment=staff.role_assignments.get(), actor=sys_admin)
    assert staff.role_assignments.count() == 1


# --- the database itself keeps roles and account types together (triggers, both engines) ---------------------------

def test_database_refuses_a_business_role_for_an_admin_account_on_a_raw_create(sys_admin, department):
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=sys_admin, role=Role.DEPT_HEAD, department=department)

    assert set(RoleAssignment.objects.filter(user=sys_admin).values_list("role", flat=True)) == {Role.SYS_ADMIN}


def test_database_refuses_a_staff_role_for_a_talent_on_a_raw_create(talent, department):
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=talent, role=Role.DEPT_STAFF, department=department)


def test_database_refuses_the_auditor_role_beside_an_admin_role(sys_admin):
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=sys_admin, role=Role.AUDITOR)


def test_database_refuses_changing_the_account_type_of_someone_holding_roles(staff):
    from onestop.core.models import User

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=staff.pk).update(account_type="admin")

    staff.refresh_from_db()
    assert staff.account_type == "staff"
