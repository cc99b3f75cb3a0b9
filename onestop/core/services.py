"""Writes of the core app: accounts, roles, unmasking. Each checks permission, changes in one transaction, audits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .audit import audit_record
from .choices import (
    ADMIN_ROLES,
    DEPARTMENT_ROLES,
    EMPLOYER_ROLES,
    PARTNER_ROLES,
    AccountType,
    AuditResult,
    Role,
)
from .exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from .masking import MASKERS
from .models import Department, PartnerOrganization, RoleAssignment, User
from .permissions import Capability, can_unmask, has_capability
from .validators import normalize_id_document, normalize_mobile


class FieldErrors:
    """Collects every field's error before anything is written, so a form shows them all at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def check(self, field: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except ValidationError as exc:
            self.errors.setdefault(field, []).extend(str(m) for m in exc.messages)
            return None

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(_("提交的信息有误，请按提示修改。"), field_errors=self.errors)


def check_password(errors: FieldErrors, password: str, user: User | None = None, field: str = "password") -> None:
    if not password:
        errors.add(field, _("密码：请填写密码。"))
        return
    try:
        validate_password(password, user)
    except ValidationError as exc:
        for message in exc.messages:
            errors.add(field, message if message.startswith(_("密码")) else _("密码：") + message)


def check_identity(errors: FieldErrors, *, phone: str | None, id_type: str | None, id_number: str | None,
                   real_name: str | None) -> tuple[str | None, str | None]:
    phone_n = errors.check("phone", lambda: normalize_mobile(phone or "")) if phone is not None else None
    id_n = None
    if id_number is not None:
        id_n = errors.check("id_number", lambda: normalize_id_document(id_type or "", id_number or ""))
    if real_name is not None:
        name = real_name.strip()
        if not name:
            errors.add("real_name", _("姓名：请填写真实姓名。"))
        elif len(name) > 64:
            errors.add("real_name", _("姓名：不能超过 64 个字符。"))
    return phone_n, id_n


def _duplicate_identity(errors: FieldErrors, exc: IntegrityError) -> None:
    text = str(exc).lower()
    if "phone_index" in text:
        errors.add("phone", _("手机号：该手机号已注册，请直接登录。"))
    elif "id_number_index" in text:
        errors.add("id_number", _("证件号码：该证件号码已注册。"))
    elif "username" in text:
        errors.add("username", _("用户名：该用户名已被使用。"))
    else:
        raise exc
    errors.raise_if_any()


def account_create(*, account_type: str, real_name: str, password: str, phone: str | None = None,
                   username: str | None = None, id_type: str = "", id_number: str | None = None,
                   email: str = "", is_demo: bool = False, password_hash: str | None = None) -> User:
    """Create an account after validating every field; duplicates become field errors, never a 500."""
    errors = FieldErrors()
    phone_n, id_n = check_identity(errors, phone=phone, id_type=id_type, id_number=id_number, real_name=real_name)
    if username is not None and not username.strip():
        errors.add("username", _("用户名：请填写用户名。"))
    user = User(account_type=account_type, real_name=(real_name or "").strip(), username=username or None,
                email=email, is_demo=is_demo)
    if password_hash is None:
        check_password(errors, password, user)
    errors.raise_if_any()
    user.set_phone(phone_n)
    if id_n:
        user.set_id_number(id_type, id_n)
    if password_hash is not None:
        user.password = password_hash
    else:
        user.set_password(password)
    try:
        with transaction.atomic():
            user.save(force_insert=True)
    except IntegrityError as exc:
        _duplicate_identity(errors, exc)
    return user


def _scope_matches(role: str, department: Department | None, enterprise: Any, partner: Any) -> bool:
    if role in DEPARTMENT_ROLES:
        return department is not None and enterprise is None and partner is None
    if role in EMPLOYER_ROLES:
        return enterprise is not None and department is None and partner is None
    if role in PARTNER_ROLES:
        return partner is not None and department is None and enterprise is None
    return department is None and enterprise is None and partner is None


def role_assign(*, user: User, role: str, actor: User | None, department: Department | None = None,
                enterprise: Any = None, partner: PartnerOrganization | None = None) -> RoleAssignment:
    """Grant a role. Only the security admin grants staff and admin roles (``actor=None`` is the system itself:
    registration and the seed). The three administrators hold one admin role each and nothing else."""
    if role not in Role.values:
        raise ValidationFailed(_("角色：未知角色。"), field_errors={"role": [_("角色：未知角色。")]})
    employer_admin_own = (role in EMPLOYER_ROLES and enterprise is not None and actor is not None
                          and enterprise.pk in actor.enterprise_ids(Role.EMPLOYER_ADMIN))
    if actor is not None and not has_capability(actor, Capability.ROLES_MANAGE) and not employer_admin_own:
        raise PermissionDenied(_("您无权授予该角色。"))
    if actor is not None and actor.pk == user.pk:
        raise PermissionDenied(_("不能给自己授予角色。"))
    if not _scope_matches(role, department, enterprise, partner):
        raise ValidationFailed(_("角色范围：该角色需要指定正确的部门、单位或合作机构。"))
    held = user.role_set()
    if role in ADMIN_ROLES and held:
        raise Conflict(_("三员分立：管理员账号只能持有一个管理员角色，且不能兼任业务角色。"))
    if role not in ADMIN_ROLES and held & set(ADMIN_ROLES):
        raise Conflict(_("三员分立：管理员账号不能兼任业务角色。"))
    expected_type = {
        Role.TALENT: AccountType.TALENT, Role.EMPLOYER_ADMIN: AccountType.EMPLOYER,
        Role.EMPLOYER_HR: AccountType.EMPLOYER, Role.DEPT_STAFF: AccountType.STAFF, Role.DEPT_HEAD: AccountType.STAFF,
        Role.PARTNER_CHECKER: AccountType.PARTNER, Role.AUDITOR: AccountType.ADMIN, Role.LEADER: AccountType.STAFF,
        Role.SYS_ADMIN: AccountType.ADMIN, Role.SEC_ADMIN: AccountType.ADMIN, Role.AUDIT_ADMIN: AccountType.ADMIN,
    }[Role(role)]
    if user.account_type != expected_type:
        raise ValidationFailed(_("角色：该角色与账号类型不符。"))
    try:
        with transaction.atomic():
            assignment = RoleAssignment.objects.create(user=user, role=role, department=department,
                                                       enterprise=enterprise, partner=partner, granted_by=actor)
            audit_record(action="role.grant", actor=actor, obj=user,
                         after={"role": role, "department": getattr(department, "code", None),
                                "enterprise": getattr(enterprise, "pk", None), "partner": getattr(partner, "code", None)})
    except IntegrityError:
        raise Conflict(_("角色：该用户已持有此角色，或违反三员分立。"))
    user.forget_roles()
    if role in ADMIN_ROLES and not user.is_staff and role in (Role.SYS_ADMIN, Role.SEC_ADMIN):
        User.objects.filter(pk=user.pk).update(is_staff=True)
        user.is_staff = True
    return assignment


def role_revoke(*, assignment: RoleAssignment, actor: User) -> None:
    if not has_capability(actor, Capability.ROLES_MANAGE):
        raise PermissionDenied(_("您无权撤销角色。"))
    with transaction.atomic():
        user = assignment.user
        before = {"role": assignment.role, "department_id": assignment.department_id,
                  "enterprise_id": assignment.enterprise_id, "partner_id": assignment.partner_id}
        assignment.delete()
        audit_record(action="role.revoke", actor=actor, obj=user, before=before)
    user.forget_roles()


def user_set_active(*, user: User, active: bool, actor: User) -> User:
    """Disable or re-enable an account. A disabled account's sessions stop working on their next request."""
    if not has_capability(actor, Capability.USERS_MANAGE):
        raise PermissionDenied(_("您无权停用或启用账号。"))
    if actor.pk == user.pk:
        raise PermissionDenied(_("不能停用自己的账号。"))
    with transaction.atomic():
        changed = User.objects.filter(pk=user.pk, is_active=not active).update(is_active=active)
        if changed:
            audit_record(action="user.enable" if active else "user.disable", actor=actor, obj=user,
                         before={"is_active": not active}, after={"is_active": active})
    user.is_active = active
    return user


PII_FIELDS = ("phone", "id_number")


def pii_reveal(*, viewer: User, subject_id: int, field: str) -> str:
    """Return one personal-data value unmasked, if the viewer may see it; every reveal is audited."""
    if field not in PII_FIELDS:
        raise NotFound(_("字段不存在。"))
    subject = User.objects.filter(pk=subject_id).first()
    if subject is None or not can_unmask(viewer, subject):
        if subject is not None:
            audit_record(action="pii.unmask", actor=viewer, obj=subject, result=AuditResult.DENIED,
                         detail={"field": field})
        raise NotFound(_("记录不存在。"))
    value = getattr(subject, field) or ""
    audit_record(action="pii.unmask", actor=viewer, obj=subject, detail={"field": field})
    return str(value)


def pii_masked(subject: User, field: str) -> str:
    return MASKERS[field](getattr(subject, field))
