"""Writes of the talent registry."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.choices import AccountType, Role
from onestop.core.models import User
from onestop.core.notifications import notification_send
from onestop.core.services import FieldErrors, account_create, role_assign

from .models import TalentProfile


def talent_register(*, phone: str, password: str, real_name: str, id_type: str, id_number: str,
                    agree_terms: bool = True) -> User:
    """Self-registration of a talent: real name, ID document, mobile number, password. All or nothing."""
    if not agree_terms:
        errors = FieldErrors()
        errors.add("agree_terms", _("用户协议：请阅读并同意用户协议与隐私政策。"))
        errors.raise_if_any()
    with transaction.atomic():
        user = account_create(account_type=AccountType.TALENT, real_name=real_name, password=password, phone=phone,
                              id_type=id_type, id_number=id_number)
        role_assign(user=user, role=Role.TALENT, actor=None)
        profile = TalentProfile.objects.create(user=user, nationality="中国" if id_type == "resident_id" else "")
        if id_type == "resident_id" and user.id_number:
            from stdnum.cn import ric

            profile.birth_date = ric.get_birth_date(user.id_number)
            profile.gender = "male" if int(user.id_number[16]) % 2 else "female"
            profile.save(update_fields=["birth_date", "gender"])
        audit_record(action="talent.register", actor=user, obj=user, after={"account_type": "talent"})
        notification_send(
            recipient=user, title=_("欢迎注册人才一站式服务平台"), link="/me/", channels=("sms",),
            body=_("您可以在个人中心完善学历和工作信息，查看可享受的政策，并在线办理各项人才服务。"),
        )
    return user
