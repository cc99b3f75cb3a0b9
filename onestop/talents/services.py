"""Writes of the talent registry."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.choices import AccountType, AuditResult, Role
from onestop.core.exceptions import Conflict, NotFound, ValidationFailed
from onestop.core.models import User
from onestop.core.notifications import notification_send
from onestop.core.services import FieldErrors, account_create, role_assign

from .choices import (
    ContractType,
    DocumentKind,
    EducationLevel,
    FamilyRelation,
    HukouType,
    QualificationKind,
    TitleLevel,
)
from .models import (
    Document,
    EducationRecord,
    Employment,
    FamilyMember,
    HomeOwnership,
    HouseholdRegistration,
    Qualification,
    TalentProfile,
)
from .uploads import max_upload_bytes, sniff


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


# --- the registry: the talent keeps their own profile --------------------------------------------------------------

PROFILE_FIELDS = ("education", "school", "major", "graduation_date", "skill_level", "industry", "job_title",
                  "email", "address", "job_seeking", "homes_declared", "nationality")
RECORD_MODELS: dict[str, type[Any]] = {
    "education": EducationRecord, "qualification": Qualification, "employment": Employment,
    "home": HomeOwnership, "family": FamilyMember, "document": Document,
}


def _own_profile(actor: User) -> TalentProfile:
    profile = TalentProfile.objects.filter(user=actor).first()
    if profile is None:
        raise NotFound(_("人才档案不存在。"))
    return profile


def profile_update(*, actor: User, **fields: Any) -> TalentProfile:
    """The talent updates their own basic profile. Unknown fields are refused, dates are checked."""
    profile = _own_profile(actor)
    errors = FieldErrors()
    unknown = set(fields) - set(PROFILE_FIELDS)
    for name in sorted(unknown):
        errors.add(name, _("%(f)s：不能修改该项。") % {"f": name})
    grad = fields.get("graduation_date")
    if grad and profile.birth_date and grad <= profile.birth_date:
        errors.add("graduation_date", _("毕业时间：应晚于出生日期。"))
    if grad and grad > timezone.localdate().replace(year=timezone.localdate().year + 2):
        errors.add("graduation_date", _("毕业时间：不能晚于两年后。"))
    errors.raise_if_any()
    before = {k: str(getattr(profile, k)) for k in fields}
    with transaction.atomic():
        for key, value in fields.items():
            setattr(profile, key, value if value is not None else "")
        if "graduation_date" in fields and not fields["graduation_date"]:
            profile.graduation_date = None
        profile.save(update_fields=[*fields.keys(), "updated_at"])
        audit_record(action="talent.profile.update", actor=actor, obj=profile, before=before,
                     after={k: str(getattr(profile, k)) for k in fields})
    return profile


def _check_date(errors: FieldErrors, field: str, label: str, value: date | None, *, required: bool = True) -> None:
    if value is None:
        if required:
            errors.add(field, _("%(l)s：请填写日期。") % {"l": label})
    elif value > timezone.localdate().replace(year=timezone.localdate().year + 2):
        errors.add(field, _("%(l)s：日期不合理。") % {"l": label})


def education_add(*, actor: User, level: str, school: str, graduation_date: date | None, country: str = "中国",
                  field: str = "", certificate_no: str = "") -> EducationRecord:
    profile = _own_profile(actor)
    errors = FieldErrors()
    if level not in EducationLevel.values:
        errors.add("level", _("学历层次：请选择有效的选项。"))
    if not (school or "").strip():
        errors.add("school", _("学校：请填写学校名称。"))
    _check_date(errors, "graduation_date", _("毕业时间"), graduation_date)
    errors.raise_if_any()
    assert graduation_date is not None
    with transaction.atomic():
        record = EducationRecord.objects.create(profile=profile, level=level, school=school.strip(),
                                                graduation_date=graduation_date, country=country or "中国",
                                                field=field, certificate_no=certificate_no)
        audit_record(action="talent.education.add", actor=actor, obj=record, after={"level": level})
    return record


def qualification_add(*, actor: User, kind: str, name: str, title_level: str = "", issuer: str = "",
                      awarded_on: date | None = None) -> Qualification:
    profile = _own_profile(actor)
    errors = FieldErrors()
    if kind not in QualificationKind.values:
        errors.add("kind", _("类别：请选择有效的选项。"))
    if not (name or "").strip():
        errors.add("name", _("名称：请填写名称。"))
    if kind == QualificationKind.TITLE and title_level not in TitleLevel.values:
        errors.add("title_level", _("职称级别：专业技术职称须选择级别。"))
    errors.raise_if_any()
    with transaction.atomic():
        record = Qualification.objects.create(profile=profile, kind=kind, name=name.strip(), issuer=issuer,
                                              title_level=title_level if kind == QualificationKind.TITLE else "",
                                              awarded_on=awarded_on)
        audit_record(action="talent.qualification.add", actor=actor, obj=record, after={"kind": kind, "name": name})
    return record


def _set_current_job(profile: TalentProfile, job: Employment) -> None:
    profile.employer = job.enterprise
    profile.employed_since = job.start_date
    profile.job_title = job.job_title or profile.job_title
    if not profile.industry:
        profile.industry = job.enterprise.industry
    profile.save(update_fields=["employer", "employed_since", "job_title", "industry", "updated_at"])


def employment_add(*, actor: User, uscc: str, start_date: date | None, contract_type: str = ContractType.LABOUR,
                   job_title: str = "", monthly_salary_fen: int | None = None) -> Employment:
    """The talent records their current job with a zone employer found by USCC; a previous current job ends the day
    before. The employer confirms it later (certification step or import)."""
    from onestop.employers.models import Enterprise

    profile = _own_profile(actor)
    errors = FieldErrors()
    enterprise = Enterprise.objects.filter(uscc=(uscc or "").strip().upper()).first()
    if enterprise is None:
        errors.add("uscc", _("统一社会信用代码：未找到该用人单位，请确认单位已在平台注册。"))
    if contract_type not in ContractType.values:
        errors.add("contract_type", _("合同类型：请选择有效的选项。"))
    _check_date(errors, "start_date", _("入职时间"), start_date)
    if monthly_salary_fen is not None and monthly_salary_fen < 0:
        errors.add("monthly_salary", _("月工资：不能为负数。"))
    errors.raise_if_any()
    assert enterprise is not None and start_date is not None
    with transaction.atomic():
        current = profile.employments.filter(end_date__isnull=True).first()
        if current is not None:
            end = max(current.start_date, start_date - timedelta(days=1))
            Employment.objects.filter(pk=current.pk, end_date__isnull=True).update(end_date=end)
        job = Employment.objects.create(profile=profile, enterprise=enterprise, start_date=start_date,
                                        contract_type=contract_type, job_title=job_title,
                                        monthly_salary_fen=monthly_salary_fen)
        _set_current_job(profile, job)
        audit_record(action="talent.employment.add", actor=actor, obj=job,
                     after={"uscc": enterprise.uscc, "start_date": start_date.isoformat()})
    return job


def household_set(*, actor: User, hukou_type: str, since: date | None = None) -> HouseholdRegistration:
    profile = _own_profile(actor)
    if hukou_type not in HukouType.values:
        raise ValidationFailed(_("提交的信息有误，请按提示修改。"),
                               field_errors={"hukou_type": [_("户籍所在地：请选择有效的选项。")]})
    with transaction.atomic():
        record, _created = HouseholdRegistration.objects.update_or_create(
            profile=profile, defaults={"hukou_type": hukou_type, "since": since})
        audit_record(action="talent.household.set", actor=actor, obj=record, after={"hukou_type": hukou_type})
    return record


def home_add(*, actor: User, city: str, area_m2: int | None = None, acquired_on: date | None = None) -> HomeOwnership:
    profile = _own_profile(actor)
    if not (city or "").strip():
        raise ValidationFailed(_("提交的信息有误，请按提示修改。"), field_errors={"city": [_("所在城市：请填写城市。")]})
    with transaction.atomic():
        home = HomeOwnership.objects.create(profile=profile, city=city.strip(), area_m2=area_m2,
                                            acquired_on=acquired_on)
        TalentProfile.objects.filter(pk=profile.pk).update(homes_declared=True)
        audit_record(action="talent.home.add", actor=actor, obj=home, after={"city": city})
    return home


def family_add(*, actor: User, relation: str, name: str, id_number: str = "", birth_date: date | None = None,
               school_stage: str = "", spouse_employer: str = "") -> FamilyMember:
    profile = _own_profile(actor)
    errors = FieldErrors()
    if relation not in FamilyRelation.values:
        errors.add("relation", _("关系：请选择有效的选项。"))
    if not (name or "").strip():
        errors.add("name", _("姓名：请填写姓名。"))
    if relation == FamilyRelation.CHILD and birth_date is None:
        errors.add("birth_date", _("出生日期：子女须填写出生日期。"))
    errors.raise_if_any()
    with transaction.atomic():
        try:
            with transaction.atomic():
                member = FamilyMember.objects.create(
                    profile=profile, relation=relation, name=name.strip(), id_number=id_number.strip() or None,
                    birth_date_text=birth_date.isoformat() if birth_date else None,
                    school_stage=school_stage if relation == FamilyRelation.CHILD else "",
                    spouse_employer=spouse_employer if relation == FamilyRelation.SPOUSE else "")
        except IntegrityError:
            raise Conflict(_("已登记配偶信息，如需修改请先删除原记录。"),
                           field_errors={"relation": [_("关系：已登记配偶。")]})
        audit_record(action="talent.family.add", actor=actor, obj=member, after={"relation": relation})
    return member


def record_delete(*, actor: User, kind: str, record_id: int) -> None:
    """The talent removes one of their own records; someone else's record answers 404 and is audited."""
    model = RECORD_MODELS.get(kind)
    profile = TalentProfile.objects.filter(user=actor).first()
    record = model.objects.filter(pk=record_id, profile=profile).first() if model and profile else None
    if record is None:
        audit_record(action=f"talent.{kind}.delete", actor=actor, object_type=f"talents.{kind}",
                     object_id=str(record_id), result=AuditResult.DENIED)
        raise NotFound(_("记录不存在，或您无权访问。"))
    with transaction.atomic():
        if kind == "employment" and record.end_date is None and profile is not None:
            TalentProfile.objects.filter(pk=profile.pk).update(employer=None, employed_since=None)
        if kind == "document":
            record.file.delete(save=False)
        record.delete()
        audit_record(action=f"talent.{kind}.delete", actor=actor, object_type=f"talents.{kind}",
                     object_id=str(record_id))


def document_upload(*, actor: User, kind: str, upload: Any) -> Document:
    """Store a PDF/JPEG/PNG (checked by content) under a random name in private storage."""
    profile = _own_profile(actor)
    errors = FieldErrors()
    if kind not in DocumentKind.values:
        errors.add("kind", _("材料类型：请选择有效的选项。"))
    if upload is None:
        errors.add("file", _("文件：请选择要上传的文件。"))
        errors.raise_if_any()
    limit = max_upload_bytes()
    if upload.size is not None and upload.size > limit:
        errors.add("file", _("文件：不能超过 %(mb)d MB。") % {"mb": limit // (1024 * 1024)})
        errors.raise_if_any()
    sniffed = sniff(upload)
    if sniffed is None:
        errors.add("file", _("文件：只能上传 PDF、JPEG 或 PNG 文件（按文件内容识别）。"))
    elif sniffed.size > limit:
        errors.add("file", _("文件：不能超过 %(mb)d MB。") % {"mb": limit // (1024 * 1024)})
    errors.raise_if_any()
    assert sniffed is not None
    original = (getattr(upload, "name", "") or "upload").replace("\\", "/").split("/")[-1][:200]
    document = Document(profile=profile, kind=kind, original_name=original, content_type=sniffed.content_type,
                        size=sniffed.size, sha256=sniffed.sha256, uploaded_by=actor)
    document._sniffed_ext = sniffed.extension  # type: ignore[attr-defined]
    with transaction.atomic():
        document.file.save("upload", upload, save=False)
        document.save()
        audit_record(action="talent.document.upload", actor=actor, obj=document,
                     after={"kind": kind, "content_type": sniffed.content_type, "size": sniffed.size})
    return document
