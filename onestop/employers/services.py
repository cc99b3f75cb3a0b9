"""Writes of the employer side."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.choices import AccountType, Role
from onestop.core.models import User
from onestop.core.notifications import notification_send
from onestop.core.services import FieldErrors, account_create, check_identity, check_password, role_assign
from onestop.core.validators import normalize_uscc

from .choices import Industry
from .models import Enterprise


def enterprise_register(*, uscc: str, name: str, industry: str, contact_name: str, phone: str,
                        password: str) -> tuple[Enterprise, User]:
    """An employer registers by USCC; the registering person becomes its administrator. The enterprise starts
    pending until the talent office verifies it."""
    errors = FieldErrors()
    code = errors.check("uscc", lambda: normalize_uscc(uscc))
    if not (name or "").strip():
        errors.add("name", _("单位名称：请填写单位名称。"))
    if industry not in Industry.values:
        errors.add("industry", _("所属产业：请选择所属产业。"))
    if code and Enterprise.objects.filter(uscc=code).exists():
        errors.add("uscc", _("统一社会信用代码：该单位已注册，请联系本单位管理员为您开通账号。"))
    if not (contact_name or "").strip():
        errors.add("contact_name", _("联系人姓名：请填写联系人姓名。"))
    check_identity(errors, phone=phone, id_type=None, id_number=None, real_name=None)
    check_password(errors, password, User(real_name=contact_name or ""))
    errors.raise_if_any()
    try:
        with transaction.atomic():
            user = account_create(account_type=AccountType.EMPLOYER, real_name=contact_name, password=password,
                                  phone=phone)
            enterprise = Enterprise.objects.create(uscc=code, name=name.strip(), industry=industry)
            role_assign(user=user, role=Role.EMPLOYER_ADMIN, actor=None, enterprise=enterprise)
            audit_record(action="enterprise.register", actor=user, obj=enterprise,
                         after={"uscc": code, "name": name.strip(), "industry": industry})
            notification_send(
                recipient=user, title=_("单位注册成功，等待人才办核验"), link="/employer/", channels=("sms",),
                body=_("核验通过后即可确认人才任职、申报引才育才工作经费、发布岗位和技术需求。"),
            )
    except IntegrityError:
        # Another request registered the same USCC between our check and our insert.
        errors.add("uscc", _("统一社会信用代码：该单位已注册，请联系本单位管理员为您开通账号。"))
        errors.raise_if_any()
        raise
    return enterprise, user
