"""Writes of the employer side. Each validates every field first (Chinese errors naming the field), checks
permission (what the actor may not see is ``NotFound``), changes in one transaction, and audits."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.choices import AccountType, AuditResult, Role
from onestop.core.exceptions import Conflict, NotFound
from onestop.core.models import Department, User
from onestop.core.notifications import notification_send
from onestop.core.services import FieldErrors, account_create, check_identity, check_password, role_assign
from onestop.core.validators import normalize_uscc
from onestop.talents.uploads import max_upload_bytes, sniff

from .choices import (
    EmploymentDecisionKind,
    EnterpriseStatus,
    EvaluationGrade,
    FundingStatus,
    Industry,
    JobStatus,
    PlacementStatus,
)
from .models import (
    EDUCATION_VALUES,
    BusinessLicence,
    EmploymentDecision,
    Enterprise,
    FundingApplication,
    FundingLedger,
    FundingPayment,
    HrInvitation,
    Job,
    Placement,
    PlacementEvaluation,
)

REVIEW_DEPARTMENT = "talent_office"
PLACEMENT_DEPARTMENTS = ("talent_office", "hrss")
FUNDING_POLICY = "employer-talent-funding"
FUNDING_RULE = "employer_funding"
FUNDING_CAP_PARAM = "funding_cap"
FUNDING_DEFINITION = "employer_funding"
INVITATION_DAYS = 7


def in_department(actor: User, *codes: str) -> bool:
    """Staff (officer or head) of one of the named departments."""
    ids = actor.department_ids()
    return bool(ids) and Department.objects.filter(pk__in=ids, code__in=codes).exists()


def own_enterprise(actor: User, enterprise: Enterprise | int, *, admin: bool = False) -> Enterprise:
    """The enterprise if the actor works for it (as admin when ``admin``), else ``NotFound`` (audited)."""
    pk = enterprise if isinstance(enterprise, int) else enterprise.pk
    roles = (Role.EMPLOYER_ADMIN,) if admin else ()
    if pk not in actor.enterprise_ids(*roles):
        audit_record(action="enterprise.access", actor=actor, object_type="employers.enterprise", object_id=str(pk),
                     result=AuditResult.DENIED)
        raise NotFound(_("单位不存在，或您无权操作。"))
    return enterprise if isinstance(enterprise, Enterprise) else Enterprise.objects.get(pk=pk)


def _admins(enterprise: Enterprise) -> list[User]:
    return list(User.objects.filter(role_assignments__enterprise=enterprise,
                                    role_assignments__role__in=[Role.EMPLOYER_ADMIN, Role.EMPLOYER_HR]).distinct())


def _notify_enterprise(enterprise: Enterprise, title: str, body: str = "", link: str = "/employer/") -> None:
    for user in _admins(enterprise):
        notification_send(recipient=user, title=title, body=body, link=link)


# --- registration review -------------------------------------------------------------------------------------------

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


# --- HR invitations ------------------------------------------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hr_invite(*, actor: User, enterprise: Enterprise, real_name: str, phone: str) -> tuple[HrInvitation, str]:
    """The enterprise administrator invites an HR user; returns the invitation and the one-time token (the link is
    shown once to the administrator and sent by SMS)."""
    own_enterprise(actor, enterprise, admin=True)
    errors = FieldErrors()
    phone_n, _id = check_identity(errors, phone=phone, id_type=None, id_number=None, real_name=real_name)
    errors.raise_if_any()
    assert phone_n is not None
    from onestop.core import crypto

    if User.objects.filter(phone_index=crypto.blind_index(str(phone_n), purpose="phone")).exists():
        errors.add("phone", _("手机号：该手机号已注册平台账号，请换用其他手机号或联系人才办。"))
        errors.raise_if_any()
    token = secrets.token_urlsafe(24)
    with transaction.atomic():
        invitation = HrInvitation.objects.create(
            enterprise=enterprise, real_name=real_name.strip(), phone=phone_n, token_hash=_token_hash(token),
            invited_by=actor, expires_at=timezone.now() + timedelta(days=INVITATION_DAYS))
        audit_record(action="enterprise.hr.invite", actor=actor, obj=enterprise,
                     after={"invitation": invitation.pk, "real_name": invitation.real_name})
        from onestop.core.sms import get_sms_backend

        text = _("%(e)s 邀请您成为人事专员，请在 7 天内打开 %(l)s 设置密码。") % {
            "e": enterprise.name, "l": f"/employer/invitations/{token}/"}
        transaction.on_commit(lambda: get_sms_backend().send(phone=str(phone_n), text=text))
    return invitation, token


def invitation_by_token(token: str) -> HrInvitation:
    invitation = (HrInvitation.objects.select_related("enterprise")
                  .filter(token_hash=_token_hash(token or ""), accepted_at__isnull=True, revoked_at__isnull=True,
                          expires_at__gt=timezone.now()).first())
    if invitation is None:
        raise NotFound(_("邀请链接无效或已过期。"))
    return invitation


def hr_invitation_accept(*, token: str, password: str) -> User:
    """The invitee sets a password: an employer account with the HR role in the inviting enterprise."""
    invitation = invitation_by_token(token)
    errors = FieldErrors()
    check_password(errors, password, User(real_name=invitation.real_name))
    errors.raise_if_any()
    with transaction.atomic():
        changed = HrInvitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True,
                                              revoked_at__isnull=True).update(accepted_at=timezone.now())
        if changed != 1:
            raise Conflict(_("该邀请已被使用。"))
        user = account_create(account_type=AccountType.EMPLOYER, real_name=invitation.real_name, password=password,
                              phone=invitation.phone)
        role_assign(user=user, role=Role.EMPLOYER_HR, actor=None, enterprise=invitation.enterprise)
        HrInvitation.objects.filter(pk=invitation.pk).update(accepted_user=user)
        audit_record(action="enterprise.hr.accept", actor=user, obj=invitation.enterprise,
                     after={"invitation": invitation.pk})
    return user


def hr_invitation_revoke(*, actor: User, invitation: HrInvitation) -> None:
    own_enterprise(actor, invitation.enterprise_id, admin=True)
    with transaction.atomic():
        changed = HrInvitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True,
                                              revoked_at__isnull=True).update(revoked_at=timezone.now())
        if changed != 1:
            raise Conflict(_("该邀请已被使用或已撤销。"))
        audit_record(action="enterprise.hr.revoke", actor=actor, obj=invitation.enterprise,
                     after={"invitation": invitation.pk})


# --- employment confirmation -----------------------------------------------------------------------------------------

def employment_decide(*, actor: User, employment_id: int, confirm: bool, reason: str = "") -> EmploymentDecision:
    """Confirm or deny that a talent who named this enterprise works there. Confirming stamps the registry's
    employment record (``confirmed_at``) with a conditional UPDATE; a second decision is refused by the unique
    constraint on the decision."""
    from onestop.talents.models import Employment

    employment = (Employment.objects.select_related("profile__user", "enterprise")
                  .filter(pk=employment_id, enterprise_id__in=actor.enterprise_ids()).first())
    if employment is None:
        audit_record(action="employment.decide", actor=actor, object_type="talents.employment",
                     object_id=str(employment_id), result=AuditResult.DENIED)
        raise NotFound(_("任职记录不存在，或您无权操作。"))
    reason = (reason or "").strip()
    errors = FieldErrors()
    if not confirm and not reason:
        errors.add("reason", _("理由：否认任职时请写明理由。"))
    if len(reason) > 500:
        errors.add("reason", _("理由：不能超过 500 个字符。"))
    errors.raise_if_any()
    kind = EmploymentDecisionKind.CONFIRMED if confirm else EmploymentDecisionKind.DENIED
    try:
        with transaction.atomic():
            decision = EmploymentDecision.objects.create(employment=employment, enterprise=employment.enterprise,
                                                         decision=kind, reason=reason, decided_by=actor)
            if confirm:
                Employment.objects.filter(pk=employment.pk, confirmed_at__isnull=True).update(
                    confirmed_at=timezone.now(), confirmed_source=_("用人单位确认"))
            audit_record(action=f"employment.{kind}", actor=actor, obj=employment,
                         after={"enterprise": employment.enterprise_id, "reason": reason})
            notification_send(
                recipient=employment.profile.user, link="/talent/registry/",
                title=(_("%(e)s 已确认您的任职") if confirm else _("%(e)s 否认了您填报的任职"))
                % {"e": employment.enterprise.name}, body=reason)
    except IntegrityError:
        raise Conflict(_("该任职记录已处理。"))
    return decision


# --- jobs ------------------------------------------------------------------------------------------------------------

def job_create(*, actor: User, enterprise: Enterprise, title: str, industry: str, education_min: str,
               description: str, salary_min_fen: int | None, salary_max_fen: int | None, headcount: int = 1,
               location: str = "郑州航空港区", publish: bool = False, is_demo: bool = False) -> Job:
    own_enterprise(actor, enterprise)
    errors = FieldErrors()
    title = (title or "").strip()
    if not title:
        errors.add("title", _("岗位名称：请填写岗位名称。"))
    elif len(title) > 100:
        errors.add("title", _("岗位名称：不能超过 100 个字符。"))
    if industry not in Industry.values:
        errors.add("industry", _("所属产业：请选择有效的选项。"))
    if education_min not in EDUCATION_VALUES:
        errors.add("education_min", _("最低学历：请选择有效的选项。"))
    if not (description or "").strip():
        errors.add("description", _("岗位职责与要求：请填写此项。"))
    if salary_min_fen is None or salary_min_fen < 0:
        errors.add("salary_min", _("月薪下限：请填写不小于 0 的金额。"))
    if salary_max_fen is None or salary_max_fen < 0:
        errors.add("salary_max", _("月薪上限：请填写不小于 0 的金额。"))
    elif salary_min_fen is not None and salary_max_fen < salary_min_fen:
        errors.add("salary_max", _("月薪上限：不能低于月薪下限。"))
    if headcount is None or headcount < 1:
        errors.add("headcount", _("招聘人数：至少 1 人。"))
    errors.raise_if_any()
    assert salary_min_fen is not None and salary_max_fen is not None
    if publish and enterprise.status != EnterpriseStatus.ACTIVE:
        raise Conflict(_("单位核验通过后才能发布岗位。"))
    now = timezone.now()
    with transaction.atomic():
        job = Job.objects.create(
            enterprise=enterprise, title=title, industry=industry, education_min=education_min,
            education_rank=EDUCATION_VALUES.index(education_min), description=description.strip(),
            salary_min_fen=salary_min_fen, salary_max_fen=salary_max_fen, headcount=headcount,
            location=(location or "").strip() or "郑州航空港区", created_by=actor, is_demo=is_demo,
            status=JobStatus.PUBLISHED if publish else JobStatus.DRAFT, published_at=now if publish else None)
        audit_record(action="job.create", actor=actor, obj=job, after={"title": title, "published": publish})
    return job


def job_set_status(*, actor: User, job: Job, status: str) -> Job:
    own_enterprise(actor, job.enterprise_id)
    allowed: dict[str, list[str]] = {JobStatus.PUBLISHED: [JobStatus.DRAFT, JobStatus.CLOSED],
                                     JobStatus.CLOSED: [JobStatus.PUBLISHED]}
    if status not in allowed:
        raise Conflict(_("状态：不支持的操作。"))
    if status == JobStatus.PUBLISHED and job.enterprise.status != EnterpriseStatus.ACTIVE:
        raise Conflict(_("单位核验通过后才能发布岗位。"))
    with transaction.atomic():
        changed = Job.objects.filter(pk=job.pk, status__in=allowed[status]).update(
            status=status, published_at=timezone.now() if status == JobStatus.PUBLISHED else F("published_at"))
        if changed != 1:
            raise Conflict(_("岗位当前状态不允许该操作。"))
        audit_record(action=f"job.{status}", actor=actor, obj=job, before={"status": job.status},
                     after={"status": status})
    job.refresh_from_db()
    return job


# --- employer funding ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FundingQuote:
    amount_fen: int
    cap_fen: int
    reference: str
    eligible: bool


def _param_in_force(document: dict[str, Any], name: str, as_of: date) -> int | None:
    value = None
    for item in document.get("parameters", {}).get(name, {}).get("values", []):
        if str(item.get("from", "")) <= as_of.isoformat():
            value = item.get("value")
    return int(value) if value is not None else None


def funding_quote(*, enterprise: Enterprise, as_of: date) -> FundingQuote:
    """The amount for one certified high-level talent and the annual cap, both from the published rule set of the
    employer-funding policy (rulebook): nothing here is a constant in code."""
    from onestop.policies import rules
    from onestop.policies.selectors import versions_in_force
    from onestop.talents.facts import enterprise_facts_for

    version = next((v for v in versions_in_force(as_of=as_of, subject="employer") if v.policy.code == FUNDING_POLICY),
                   None)
    if version is None:
        raise Conflict(_("引才育才工作经费政策在该日期没有生效的版本，暂不能申请。"))
    cap = _param_in_force(version.document, FUNDING_CAP_PARAM, as_of)
    if cap is None:
        raise Conflict(_("引才育才工作经费政策缺少年度上限参数（%(p)s）。") % {"p": FUNDING_CAP_PARAM})
    facts = enterprise_facts_for(enterprise, as_of=as_of)
    facts["high_level_talents"] = 1  # one application per certified talent
    outcome = rules.engine_for(version.document).evaluate(facts, as_of=as_of)[FUNDING_RULE]
    reference = f"{version.policy.document_number} v{version.number}"
    return FundingQuote(amount_fen=int(outcome.amount or 0), cap_fen=cap, reference=reference,
                        eligible=bool(outcome.eligible))


def funding_eligible_certificates(*, enterprise: Enterprise, as_of: date) -> Any:
    """Valid high-level certificates of the enterprise's current talents without a running application."""
    from onestop.talents.choices import CertificateStatus
    from onestop.talents.facts import HIGH_LEVEL_TIERS
    from onestop.talents.models import Certificate

    taken = FundingApplication.objects.filter(enterprise=enterprise, status__in=[
        FundingStatus.REVIEW, FundingStatus.APPROVED, FundingStatus.PAID]).values("certificate_id")
    return (Certificate.objects.select_related("profile__user")
            .filter(profile__employer=enterprise, status=CertificateStatus.VALID, tier__in=HIGH_LEVEL_TIERS,
                    valid_from__lte=as_of, valid_until__gte=as_of).exclude(pk__in=taken))


def funding_apply(*, actor: User, enterprise: Enterprise, certificate_id: int | None, statement: str,
                  today: date | None = None, is_demo: bool = False) -> FundingApplication:
    """Apply for the talent work funding for one certified high-level talent; the review runs on the workflow."""
    own_enterprise(actor, enterprise)
    today = today or timezone.localdate()
    errors = FieldErrors()
    certificate = None
    if certificate_id is None:
        errors.add("certificate", _("人才认定证书：请选择本单位经认定的高层次人才。"))
    else:
        certificate = funding_eligible_certificates(enterprise=enterprise, as_of=today).filter(
            pk=certificate_id).first()
        if certificate is None:
            errors.add("certificate", _("人才认定证书：只能选择本单位在职、证书有效且尚未申请过的高层次人才。"))
    statement = (statement or "").strip()
    if len(statement) < 10:
        errors.add("statement", _("引进或培养情况说明：请写明引进或培养情况（至少 10 个字）。"))
    elif len(statement) > 4000:
        errors.add("statement", _("引进或培养情况说明：不能超过 4000 个字符。"))
    errors.raise_if_any()
    assert certificate is not None
    if enterprise.status != EnterpriseStatus.ACTIVE:
        raise Conflict(_("单位核验通过后才能申请引才育才工作经费。"))
    quote = funding_quote(enterprise=enterprise, as_of=today)
    if not quote.eligible or quote.amount_fen <= 0:
        raise Conflict(_("按现行政策规则，本单位暂不符合引才育才工作经费条件。"))
    from onestop.workflow.services import case_start

    try:
        with transaction.atomic():
            application = FundingApplication.objects.create(
                enterprise=enterprise, certificate=certificate, year=today.year, amount_fen=quote.amount_fen,
                rule_reference=quote.reference, statement=statement, applied_by=actor, is_demo=is_demo)
            case_start(definition_code=FUNDING_DEFINITION, subject=application, applicant=actor, enterprise=None,
                       actor=actor, context={"amount_fen": quote.amount_fen, "year": today.year},
                       title=_("引才育才工作经费：%(e)s（%(t)s）") % {"e": enterprise.name,
                                                                  "t": certificate.profile.user.display_name})
            audit_record(action="funding.apply", actor=actor, obj=application,
                         after={"amount_fen": quote.amount_fen, "certificate": certificate.pk,
                                "rule": quote.reference})
    except IntegrityError:
        raise Conflict(_("该人才已有一项经费申请，请勿重复提交。"),
                       field_errors={"certificate": [_("人才认定证书：该人才已有一项经费申请。")]})
    return application


def funding_ledger_charge(*, enterprise_id: int, year: int, amount_fen: int, cap_fen: int) -> None:
    """Add ``amount_fen`` to the employer's granted total for ``year`` unless that would pass the cap. The ledger row
    is created on first use (a racing creator is absorbed by the unique constraint); the charge itself is one
    conditional UPDATE whose row count decides, so concurrent approvals can never pass the cap."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                FundingLedger.objects.get_or_create(enterprise_id=enterprise_id, year=year,
                                                    defaults={"cap_fen": cap_fen})
        except IntegrityError:
            pass
        changed = FundingLedger.objects.filter(
            enterprise_id=enterprise_id, year=year, granted_fen__lte=F("cap_fen") - amount_fen,
        ).update(granted_fen=F("granted_fen") + amount_fen)
    if changed != 1:
        ledger = FundingLedger.objects.get(enterprise_id=enterprise_id, year=year)
        remaining = max(ledger.cap_fen - ledger.granted_fen, 0)
        raise Conflict(_("超过年度上限：该单位 %(y)s 年引才育才工作经费上限 %(c)s 元，剩余额度 %(r)s 元，本次 %(a)s 元。") % {
            "y": year, "c": f"{ledger.cap_fen / 100:,.2f}", "r": f"{remaining / 100:,.2f}",
            "a": f"{amount_fen / 100:,.2f}"}, field_errors={"amount": [_("金额：超过年度上限。")]})


def on_funding_approved(*, case: Any, outcome: str, actor: User | None) -> None:
    """Workflow outcome handler: runs inside the transaction that approves the case, so a refused charge (cap
    reached) rolls the approval back."""
    application = FundingApplication.objects.select_related("enterprise").get(pk=case.subject_id)
    quote = funding_quote(enterprise=application.enterprise, as_of=date(application.year, 12, 31)
                          if application.year < timezone.localdate().year else timezone.localdate())
    funding_ledger_charge(enterprise_id=application.enterprise_id, year=application.year,
                          amount_fen=application.amount_fen, cap_fen=quote.cap_fen)
    changed = FundingApplication.objects.filter(pk=application.pk, status=FundingStatus.REVIEW).update(
        status=FundingStatus.APPROVED, decided_at=timezone.now())
    if changed != 1:
        raise Conflict(_("该经费申请不在审核中。"))
    audit_record(action="funding.approve", actor=actor, obj=application, after={"amount_fen": application.amount_fen})
    _notify_enterprise(application.enterprise, _("引才育才工作经费已核定：%(a)s 元") % {
        "a": f"{application.amount_fen / 100:,.2f}"}, link=f"/employer/funding/{application.pk}/")


def on_funding_ended(*, case: Any, outcome: str, actor: User | None) -> None:
    status = FundingStatus.REJECTED if outcome == "rejected" else FundingStatus.WITHDRAWN
    application = FundingApplication.objects.select_related("enterprise").get(pk=case.subject_id)
    FundingApplication.objects.filter(pk=application.pk, status=FundingStatus.REVIEW).update(
        status=status, decided_at=timezone.now())
    audit_record(action=f"funding.{status}", actor=actor, obj=application)
    if status == FundingStatus.REJECTED:
        _notify_enterprise(application.enterprise, _("引才育才工作经费申请未通过"),
                           link=f"/employer/funding/{application.pk}/")


def funding_payment_record(*, actor: User, application: FundingApplication, amount_fen: int | None,
                           paid_on: date | None, voucher_no: str) -> FundingPayment:
    """The talent office records a payment; payments never exceed the approved amount (conditional UPDATE)."""
    if not in_department(actor, REVIEW_DEPARTMENT):
        raise NotFound(_("经费申请不存在，或您无权操作。"))
    errors = FieldErrors()
    if amount_fen is None or amount_fen <= 0:
        errors.add("amount", _("拨付金额：请填写大于 0 的金额。"))
    if paid_on is None:
        errors.add("paid_on", _("拨付日期：请填写拨付日期。"))
    voucher_no = (voucher_no or "").strip()
    if not voucher_no:
        errors.add("voucher_no", _("凭证号：请填写凭证号。"))
    errors.raise_if_any()
    assert amount_fen is not None and paid_on is not None
    if application.status not in (FundingStatus.APPROVED,):
        raise Conflict(_("只有已核定的经费申请可以登记拨付。"))
    try:
        with transaction.atomic():
            changed = FundingApplication.objects.filter(
                pk=application.pk, status=FundingStatus.APPROVED, paid_fen__lte=F("amount_fen") - amount_fen,
            ).update(paid_fen=F("paid_fen") + amount_fen)
            if changed != 1:
                raise Conflict(_("拨付金额：累计拨付不能超过核定金额。"),
                               field_errors={"amount": [_("拨付金额：累计拨付不能超过核定金额。")]})
            payment = FundingPayment.objects.create(application=application, amount_fen=amount_fen, paid_on=paid_on,
                                                    voucher_no=voucher_no, recorded_by=actor)
            FundingApplication.objects.filter(pk=application.pk, paid_fen=F("amount_fen")).update(
                status=FundingStatus.PAID)
            audit_record(action="funding.payment", actor=actor, obj=application,
                         after={"amount_fen": amount_fen, "voucher_no": voucher_no, "paid_on": paid_on.isoformat()})
    except IntegrityError:
        raise Conflict(_("凭证号：该凭证号已登记。"), field_errors={"voucher_no": [_("凭证号：该凭证号已登记。")]})
    application.refresh_from_db()
    return payment


# --- 区聘企用 ---------------------------------------------------------------------------------------------------------

def placement_create(*, actor: User, talent_id: int | None, uscc: str, contract_no: str, position: str,
                     start_date: date | None, end_date: date | None, monthly_cost_fen: int | None,
                     zone_share_pct: int | None, is_demo: bool = False) -> Placement:
    """The talent office (or HRSS) places a zone-hired talent in an enterprise."""
    from onestop.talents.models import TalentProfile

    if not in_department(actor, *PLACEMENT_DEPARTMENTS):
        raise NotFound(_("页面不存在。"))
    errors = FieldErrors()
    profile = TalentProfile.objects.select_related("user").filter(user_id=talent_id).first() if talent_id else None
    if profile is None:
        errors.add("talent", _("人才：请选择已在平台登记的人才。"))
    code = errors.check("uscc", lambda: normalize_uscc(uscc))
    enterprise = Enterprise.objects.filter(uscc=code).first() if code else None
    if code and enterprise is None:
        errors.add("uscc", _("统一社会信用代码：未找到该用人单位。"))
    contract_no = (contract_no or "").strip()
    if not contract_no:
        errors.add("contract_no", _("合同编号：请填写合同编号。"))
    if not (position or "").strip():
        errors.add("position", _("岗位：请填写岗位。"))
    if start_date is None:
        errors.add("start_date", _("开始日期：请填写开始日期。"))
    if end_date is None:
        errors.add("end_date", _("结束日期：请填写结束日期。"))
    elif start_date is not None and end_date <= start_date:
        errors.add("end_date", _("结束日期：应晚于开始日期。"))
    if monthly_cost_fen is None or monthly_cost_fen <= 0:
        errors.add("monthly_cost", _("月度费用：请填写大于 0 的金额。"))
    if zone_share_pct is None or not 0 <= zone_share_pct <= 100:
        errors.add("zone_share_pct", _("区财政承担比例：应在 0 到 100 之间。"))
    errors.raise_if_any()
    assert profile is not None and enterprise is not None and zone_share_pct is not None
    assert start_date is not None and end_date is not None and monthly_cost_fen is not None
    try:
        with transaction.atomic():
            placement = Placement.objects.create(
                profile=profile, enterprise=enterprise, contract_no=contract_no, position=position.strip(),
                start_date=start_date, end_date=end_date, monthly_cost_fen=monthly_cost_fen,
                zone_share_pct=zone_share_pct, enterprise_share_pct=100 - zone_share_pct, created_by=actor,
                is_demo=is_demo)
            audit_record(action="placement.create", actor=actor, obj=placement,
                         after={"enterprise": enterprise.pk, "talent": profile.user_id, "contract_no": contract_no})
    except IntegrityError as exc:
        text = str(exc).lower()
        if "contract_no" in text:
            errors.add("contract_no", _("合同编号：该合同编号已存在。"))
        else:
            errors.add("talent", _("人才：该人才已有履约中的区聘企用合同。"))
        errors.raise_if_any()
        raise
    if not is_demo:
        _notify_enterprise(enterprise, _("区聘企用人才已派驻：%(n)s") % {"n": profile.user.display_name},
                           link="/employer/placements/")
    return placement


def placement_evaluate(*, actor: User, placement: Placement, period: str, grade: str,
                       comment: str) -> PlacementEvaluation:
    """The host enterprise evaluates the placed talent once per quarter."""
    own_enterprise(actor, placement.enterprise_id)
    errors = FieldErrors()
    import re

    period = (period or "").strip().upper()
    if not re.fullmatch(r"[0-9]{4}-Q[1-4]", period):
        errors.add("period", _("考核期：格式应为 2024-Q3。"))
    if grade not in EvaluationGrade.values:
        errors.add("grade", _("考核等次：请选择有效的选项。"))
    if not (comment or "").strip():
        errors.add("comment", _("考核评语：请填写考核评语。"))
    errors.raise_if_any()
    if placement.status != PlacementStatus.ACTIVE:
        raise Conflict(_("该区聘企用合同已终止，不能再考核。"))
    try:
        with transaction.atomic():
            evaluation = PlacementEvaluation.objects.create(placement=placement, period=period, grade=grade,
                                                            comment=comment.strip(), evaluated_by=actor)
            audit_record(action="placement.evaluate", actor=actor, obj=placement,
                         after={"period": period, "grade": grade})
    except IntegrityError:
        raise Conflict(_("考核期：该考核期已考核。"), field_errors={"period": [_("考核期：该考核期已考核。")]})
    return evaluation


def placement_renew(*, actor: User, placement: Placement, new_end_date: date | None) -> Placement:
    if not in_department(actor, *PLACEMENT_DEPARTMENTS):
        raise NotFound(_("页面不存在。"))
    errors = FieldErrors()
    if new_end_date is None or new_end_date <= placement.end_date:
        errors.add("end_date", _("续聘至：应晚于当前结束日期 %(d)s。") % {"d": placement.end_date.isoformat()})
    errors.raise_if_any()
    with transaction.atomic():
        changed = Placement.objects.filter(pk=placement.pk, status=PlacementStatus.ACTIVE,
                                           end_date=placement.end_date).update(
            end_date=new_end_date, renewals=F("renewals") + 1)
        if changed != 1:
            raise Conflict(_("该合同已终止或已被他人续聘。"))
        audit_record(action="placement.renew", actor=actor, obj=placement,
                     before={"end_date": placement.end_date.isoformat()},
                     after={"end_date": new_end_date.isoformat() if new_end_date else None})
    placement.refresh_from_db()
    return placement


def placement_end(*, actor: User, placement: Placement, ended_on: date | None, reason: str) -> Placement:
    if not in_department(actor, *PLACEMENT_DEPARTMENTS):
        raise NotFound(_("页面不存在。"))
    errors = FieldErrors()
    if ended_on is None:
        errors.add("ended_on", _("终止日期：请填写终止日期。"))
    if not (reason or "").strip():
        errors.add("reason", _("终止原因：请填写终止原因。"))
    errors.raise_if_any()
    with transaction.atomic():
        changed = Placement.objects.filter(pk=placement.pk, status=PlacementStatus.ACTIVE).update(
            status=PlacementStatus.ENDED, ended_on=ended_on, end_reason=reason.strip())
        if changed != 1:
            raise Conflict(_("该合同已终止。"))
        audit_record(action="placement.end", actor=actor, obj=placement, after={"reason": reason.strip()})
    placement.refresh_from_db()
    return placement


# --- registration (kept from the Foundation) -------------------------------------------------------------------------

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

