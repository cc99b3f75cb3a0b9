"""Registration of an enterprise and its review: the employer registers by USCC and uploads its business licence,
the talent office verifies it."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.choices import AccountType, AuditResult, Role
from onestop.core.exceptions import Conflict, NotFound
from onestop.core.models import User
from onestop.core.notifications import notification_send
from onestop.core.services import FieldErrors, account_create, check_identity, check_password, role_assign
from onestop.core.validators import normalize_uscc
from onestop.talents.uploads import max_upload_bytes, sniff

from ..choices import (
    EnterpriseStatus,
    Industry,
)
from ..models import (
    BusinessLicence,
    Enterprise,
)
from .common import REVIEW_DEPARTMENT, _notify_enterprise, in_department, own_enterprise


def licence_upload(*, actor: User, enterprise: Enterprise, upload: Any) -> BusinessLicence:
    """The enterprise uploads its business licence (PDF/JPEG/PNG by content, size limit, private storage). A
    rejected enterprise goes back to pending review with the new licence."""
    own_enterprise(actor, enterprise, admin=True)
    errors = FieldErrors()
    if upload is None:
        errors.add("licence", _("营业执照：请选择要上传的文件。"))
        errors.raise_if_any()
    limit = max_upload_bytes()
    if upload.size is not None and upload.size > limit:
        errors.add("licence", _("营业执照：文件不能超过 %(mb)d MB。") % {"mb": limit // (1024 * 1024)})
        errors.raise_if_any()
    sniffed = sniff(upload)
    if sniffed is None:
        errors.add("licence", _("营业执照：只能上传 PDF、JPEG 或 PNG 文件（按文件内容识别）。"))
    errors.raise_if_any()
    assert sniffed is not None
    if enterprise.status == EnterpriseStatus.SUSPENDED:
        raise Conflict(_("营业执照：单位已停用，请联系人才办。"), field_errors={"licence": [_("营业执照：单位已停用，请联系人才办。")]})
    original = (getattr(upload, "name", "") or "licence").replace("\\", "/").split("/")[-1][:200]
    licence = BusinessLicence(enterprise=enterprise, original_name=original, content_type=sniffed.content_type,
                              size=sniffed.size, sha256=sniffed.sha256, uploaded_by=actor)
    licence._sniffed_ext = sniffed.extension  # type: ignore[attr-defined]
    with transaction.atomic():
        licence.file.save("licence", upload, save=False)
        licence.save()
        Enterprise.objects.filter(pk=enterprise.pk, status=EnterpriseStatus.REJECTED).update(
            status=EnterpriseStatus.PENDING, review_note="")
        audit_record(action="enterprise.licence.upload", actor=actor, obj=enterprise,
                     after={"content_type": sniffed.content_type, "size": sniffed.size, "sha256": sniffed.sha256})
    enterprise.refresh_from_db(fields=["status", "review_note"])
    return licence


def enterprise_review(*, actor: User, enterprise: Enterprise, approve: bool, reason: str = "") -> Enterprise:
    """The talent office verifies a pending registration against its licence: active, or rejected with a reason."""
    reason = (reason or "").strip()
    errors = FieldErrors()
    if not approve and not reason:
        errors.add("reason", _("核验意见：退回时请写明理由。"))
    if len(reason) > 500:
        errors.add("reason", _("核验意见：不能超过 500 个字符。"))
    errors.raise_if_any()
    if not in_department(actor, REVIEW_DEPARTMENT):
        audit_record(action="enterprise.review", actor=actor, obj=enterprise, result=AuditResult.DENIED)
        raise NotFound(_("单位不存在，或您无权操作。"))
    if approve and not enterprise.licences.exists():
        raise Conflict(_("该单位尚未上传营业执照，不能核验通过。"))
    target = EnterpriseStatus.ACTIVE if approve else EnterpriseStatus.REJECTED
    with transaction.atomic():
        changed = Enterprise.objects.filter(pk=enterprise.pk, status=EnterpriseStatus.PENDING).update(
            status=target, review_note=reason, reviewed_at=timezone.now(), reviewed_by=actor)
        if changed != 1:
            raise Conflict(_("该单位不在待核验状态（可能已被他人处理）。"))
        audit_record(action="enterprise.review", actor=actor, obj=enterprise,
                     before={"status": EnterpriseStatus.PENDING}, after={"status": target, "reason": reason})
        _notify_enterprise(enterprise, _("单位核验已通过") if approve else _("单位核验未通过，请重新上传营业执照"),
                           body=reason)
    enterprise.refresh_from_db()
    return enterprise



def enterprise_register(*, uscc: str, name: str, industry: str, contact_name: str, phone: str,
                        password: str) -> tuple[Enterprise, User]:
    """An employer registers by USCC; the registering person becomes its administrator. The enterprise starts
    pending until the talent office verifies it against the uploaded business licence."""
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
