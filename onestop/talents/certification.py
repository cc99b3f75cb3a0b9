"""Certification (人才认定): apply with evidence → (workflow) employer confirms → talent office reviews → committee
when the claim is "or equivalent" → publicity for 5 working days (official calendar) with objections → certificate.

The review runs on the workflow engine (definition ``talent_certification``, shipped in ``workflow_definitions/``);
this module starts the case, decides the tier, and reacts to the case's outcome through registered outcome handlers.
The platform's "today" is ``onestop.workflow.calendar.today`` — one clock for deadlines and publicity.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.choices import AuditResult, NotificationChannel, Role
from onestop.core.exceptions import Conflict, NotFound, ValidationFailed
from onestop.core.models import User
from onestop.core.notifications import notification_send
from onestop.core.services import FieldErrors
from onestop.workflow import calendar as wd
from onestop.workflow.choices import OPEN_TASK_STATES, CaseStatus, TaskState
from onestop.workflow.errors import TransitionNotAllowed
from onestop.workflow.handlers import outcome_handlers
from onestop.workflow.models import Case, Task
from onestop.workflow.permissions import task_policy, task_scope_q

from .choices import (
    MEDICAL_TIERS,
    STANDARD_TIERS,
    ApplicationStatus,
    CertEventKind,
    CertificateStatus,
    CertTrack,
    ObjectionStatus,
)
from .events import CertificationGranted, CertificationRejected, CertificationRevoked, certification_events
from .facts import facts_for
from .models import (
    Certificate,
    CertificationApplication,
    CertificationEvent,
    Document,
    Objection,
    TalentProfile,
)

DEFINITION = "talent_certification"
CATALOGUE_POLICY = "talent-certification"
TRACK_RULE = {CertTrack.STANDARD: "talent_tier", CertTrack.MEDICAL: "medical_tier"}
TRACK_TIERS = {CertTrack.STANDARD: STANDARD_TIERS, CertTrack.MEDICAL: MEDICAL_TIERS}
PUBLICITY_WORKING_DAYS = 5
CERTIFICATE_YEARS = 3  # 示例值: the source gives no validity period
MATERIAL_DAYS = 10
REVIEW_STEPS = ("talent_office_review", "committee_review")
TIER_CODE = {"国际一流": "M1", "国内一流": "M2", "省内一流": "M3"}


def _event(application: CertificationApplication, kind: str, *, actor: User | None = None, reason: str = "",
           detail: dict[str, Any] | None = None) -> CertificationEvent:
    return CertificationEvent.objects.create(application=application, kind=kind, actor=actor, reason=reason,
                                             detail=detail)


def _url(application: CertificationApplication) -> str:
    return reverse("talents:certification_detail", kwargs={"pk": application.pk})


def _better(tier: str, than: str | None, track: str) -> bool:
    order = TRACK_TIERS[CertTrack(track)]
    return than is None or order.index(tier) < order.index(than)


# --- the rules pre-check -------------------------------------------------------------------------------------------

def certification_precheck(*, profile: TalentProfile, track: str, as_of: date | None = None) -> dict[str, Any]:
    """The tier the catalogue's rules propose for this talent, with rulebook's explanation and what is missing for
    the next tier. ``tier`` is ``None`` when no row of the table is met (only the committee route is left)."""
    from onestop.policies.rules import engine_for
    from onestop.policies.selectors import versions_in_force

    day = as_of or wd.today()
    version = next((v for v in versions_in_force(as_of=day) if v.policy.code == CATALOGUE_POLICY), None)
    if version is None:
        return {"tier": None, "explanation": _("认定政策尚未发布，无法预审。"), "missing": [], "policy_version": None}
    rule_id = TRACK_RULE[CertTrack(track)]
    result = engine_for(version.document).evaluate(facts_for(profile, as_of=day), as_of=day)
    outcome = result[rule_id]
    missing = [m.to_dict() for m in result.missing(rule_id)]
    return {"tier": outcome.tier if outcome.eligible else None, "points": outcome.points,
            "explanation": result.explain(rule_id).render(), "missing": missing, "as_of": day.isoformat(),
            "policy_version": version.pk, "rule": rule_id}


# --- applying ------------------------------------------------------------------------------------------------------

def _applicant_profile(actor: User, profile: TalentProfile | None) -> TalentProfile:
    own = TalentProfile.objects.select_related("employer", "user").filter(user=actor).first()
    if profile is None or (own is not None and profile.pk == own.pk):
        if own is None:
            raise NotFound(_("人才档案不存在。"))
        return own
    # an employer applies on behalf of its own employee
    if profile.employer_id is None or profile.employer_id not in actor.enterprise_ids():
        audit_record(action="certification.apply", actor=actor, obj=profile, result=AuditResult.DENIED)
        raise NotFound(_("人才不存在，或您无权代为申请。"))
    return profile


def certification_apply(*, actor: User, track: str, claimed_tier: str, equivalent_claim: bool = False,
                        statement: str = "", document_ids: Sequence[int] = (),
                        profile: TalentProfile | None = None, is_demo: bool = False) -> CertificationApplication:
    """Apply (the talent, or the employer on the talent's behalf). A claim above what the rules propose needs the
    "or equivalent" route with a statement; it then goes to the expert committee."""
    target = _applicant_profile(actor, profile)
    errors = FieldErrors()
    if track not in CertTrack.values:
        errors.add("track", _("认定类别：请选择有效的选项。"))
        errors.raise_if_any()
    if claimed_tier not in TRACK_TIERS[CertTrack(track)]:
        errors.add("claimed_tier", _("申报层次：请选择该认定类别下的层次。"))
    statement = (statement or "").strip()
    if len(statement) > 4000:
        errors.add("statement", _("申报说明：不能超过 4000 个字符。"))
    documents = list(Document.objects.filter(pk__in=list(document_ids), profile=target))
    if len(documents) != len(set(document_ids)):
        errors.add("document_ids", _("证明材料：只能选择本人档案中的材料。"))
    if not documents:
        errors.add("document_ids", _("证明材料：请至少选择一份证明材料（学历学位证书、合同或证书）。"))
    errors.raise_if_any()
    precheck = certification_precheck(profile=target, track=track)
    proposed = precheck["tier"]
    if not equivalent_claim and _better(claimed_tier, proposed, track):
        errors.add("claimed_tier", _("申报层次：规则预审只能认定为%(p)s；如按“或相当于上述层次”申报，请勾选该项并写明理由，"
                                     "由专家委员会评审。") % {"p": (proposed + _("类")) if proposed else _("无对应层次")})
    if equivalent_claim and len(statement) < 10:
        errors.add("statement", _("申报说明：按“或相当于上述层次”申报时，请写明相当的理由（至少 10 个字）。"))
    errors.raise_if_any()
    from onestop.workflow.services import case_start

    with transaction.atomic():
        try:
            with transaction.atomic():
                application = CertificationApplication.objects.create(
                    profile=target, enterprise=target.employer, applied_by=actor, track=track,
                    claimed_tier=claimed_tier, proposed_tier=proposed or "", precheck=precheck,
                    equivalent_claim=equivalent_claim, statement=statement, is_demo=is_demo)
        except IntegrityError:
            raise Conflict(_("您已有一项正在办理的人才认定申请，请勿重复提交。"))
        application.documents.set(documents)
        _event(application, CertEventKind.SUBMITTED, actor=actor,
               detail={"track": track, "claimed_tier": claimed_tier, "equivalent": equivalent_claim})
        _event(application, CertEventKind.PRECHECK, reason=_("规则预审建议层次：%(t)s") % {"t": proposed or _("无")},
               detail={"tier": proposed})
        case_start(definition_code=DEFINITION, subject=application, applicant=target.user,
                   enterprise=target.employer, actor=actor,
                   title=_("人才认定：%(n)s 申报%(t)s") % {"n": target.user.display_name, "t": claimed_tier},
                   context={"equivalent_claim": equivalent_claim, "track": track, "claimed_tier": claimed_tier,
                            "proposed_tier": proposed or ""})
        audit_record(action="certification.apply", actor=actor, obj=application,
                     after={"track": track, "claimed_tier": claimed_tier, "proposed_tier": proposed,
                            "equivalent": equivalent_claim, "on_behalf": actor.pk != target.user_id})
    return application


def case_of(application: CertificationApplication) -> Case | None:
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_model(CertificationApplication)
    return (Case.objects.select_related("definition").filter(subject_type=ct, subject_id=application.pk)
            .order_by("-created_at").first())


# --- review (on the workflow engine) ---------------------------------------------------------------------------------

def open_task_for(*, application: CertificationApplication, actor: User) -> Task:
    """The open task of the application's case that ``actor`` may see; NotFound otherwise (404 for everyone else)."""
    case = case_of(application)
    task = None
    if case is not None:
        task = (Task.objects.select_related("step", "case", "case__definition", "case__applicant", "assignee",
                                            "department", "enterprise")
                .filter(task_scope_q(actor), case=case, state__in=OPEN_TASK_STATES).order_by("stage").first())
    if task is None:
        audit_record(action="certification.review", actor=actor, obj=application, result=AuditResult.DENIED)
        raise NotFound(_("认定申请不存在，或您无权办理。"))
    return task


def _claim_if_pending(task: Task, actor: User) -> Task:
    from onestop.workflow.services import task_claim

    if task.state == TaskState.PENDING:
        return task_claim(task=task, actor=actor)
    return task


def certification_decide(*, application: CertificationApplication, actor: User, action: str, reason: str = "",
                         tier: str = "") -> CertificationApplication:
    """One review decision on the actor's open task: ``approve`` (the office or the committee may set the tier;
    the employer confirms employment), ``reject`` with reasons, or ``request_info`` (more material, with a deadline
    of ``MATERIAL_DAYS`` working days)."""
    from onestop.workflow import services as wf

    task = open_task_for(application=application, actor=actor)
    if action not in ("approve", "reject", "request_info"):
        raise ValidationFailed(_("提交的信息有误，请按提示修改。"), field_errors={"action": [_("操作：不支持的操作。")]})
    if tier and (tier not in TRACK_TIERS[CertTrack(application.track)] or task.step.code not in REVIEW_STEPS):
        raise ValidationFailed(_("提交的信息有误，请按提示修改。"),
                               field_errors={"tier": [_("认定层次：请选择该认定类别下的层次。")]})
    with transaction.atomic():
        task = _claim_if_pending(task, actor)
        if action == "approve":
            if task.step.code == "employer_confirm":
                from .models import Employment

                Employment.objects.filter(profile=application.profile, end_date__isnull=True,
                                          enterprise=task.enterprise, confirmed_at__isnull=True).update(
                    confirmed_at=timezone.now(), confirmed_source=_("认定申请中单位确认"))
            if task.step.code in REVIEW_STEPS:
                decided = tier or application.decided_tier or application.proposed_tier or application.claimed_tier
                CertificationApplication.objects.filter(pk=application.pk).update(decided_tier=decided)
                # The tier decision of this very task; the outcome handler refuses an approval without one.
                _event(application, CertEventKind.TIER_DECIDED, actor=actor,
                       reason=_("认定层次：%(t)s") % {"t": decided}, detail={"task": task.pk, "tier": decided})
            wf.task_approve(task=task, actor=actor, reason=reason)
        elif action == "reject":
            wf.task_reject(task=task, actor=actor, reason=reason)
        else:
            due = wd.add_working_days(wd.today(), MATERIAL_DAYS)
            full = _("%(r)s（请于 %(d)s 前补充）") % {"r": (reason or "").strip(), "d": due.isoformat()}
            wf.task_request_info(task=task, actor=actor, reason=full if (reason or "").strip() else "")
            CertificationApplication.objects.filter(pk=application.pk).update(material_due=due)
            _event(application, CertEventKind.MATERIAL_DUE, actor=actor, reason=full, detail={"due": due.isoformat()})
    application.refresh_from_db()
    return application


def certification_provide_material(*, application: CertificationApplication, actor: User, message: str,
                                   document_ids: Sequence[int] = ()) -> CertificationApplication:
    """The talent answers a request for more material (message + documents); the paused review resumes."""
    from onestop.workflow.services import case_provide_info

    if application.profile.user_id != actor.pk:
        raise NotFound(_("认定申请不存在，或您无权访问。"))
    documents = list(Document.objects.filter(pk__in=list(document_ids), profile=application.profile))
    case = case_of(application)
    if case is None:
        raise NotFound(_("认定申请不存在，或您无权访问。"))
    with transaction.atomic():
        case_provide_info(case=case, actor=actor, message=message)
        if documents:
            application.documents.add(*documents)
        CertificationApplication.objects.filter(pk=application.pk).update(material_due=None)
    application.refresh_from_db()
    return application


# --- outcome handlers (registered in TalentsConfig.ready) ----------------------------------------------------------

class TierDecisionRequired(Conflict):
    """The review was approved somewhere that cannot set the tier (the generic task page, the workflow API)."""


def _require_tier_decision(application: CertificationApplication, case: Case) -> None:
    """The last review task must have been decided on the certification page (``certification_decide``), which
    records the reviewer's tier; an approval from the generic workflow task page or API would otherwise publish a
    tier nobody chose. Raising here rolls the approval back, and the reviewer is sent to the certification page."""
    task = (Task.objects.filter(case=case, step__code__in=REVIEW_STEPS, state=TaskState.APPROVED)
            .order_by("-decided_at", "-pk").first())
    if task is not None and application.events.filter(kind=CertEventKind.TIER_DECIDED,
                                                       detail__task=task.pk).exists():
        return
    raise TierDecisionRequired(_("人才认定须确定认定层次：请到认定申请页面 %(url)s 选择层次后通过。")
                               % {"url": _url(application)})


def on_case_approved(*, case: Case, outcome: str, actor: User | None) -> None:
    """The review passed: publicity (公示) for 5 working days on the official calendar."""
    application = CertificationApplication.objects.select_related("profile__user").get(pk=case.subject_id)
    _require_tier_decision(application, case)
    start = wd.today()
    end = wd.add_working_days(start, PUBLICITY_WORKING_DAYS)
    tier = application.decided_tier or application.proposed_tier or application.claimed_tier
    changed = CertificationApplication.objects.filter(pk=application.pk, status=ApplicationStatus.REVIEW).update(
        status=ApplicationStatus.PUBLICITY, decided_tier=tier, publicity_start=start, publicity_end=end)
    if changed != 1:
        raise TransitionNotAllowed(_("认定申请状态已被更改。"))
    _event(application, CertEventKind.PUBLICITY_STARTED, actor=actor,
           reason=_("公示期 %(s)s 至 %(e)s（%(n)d 个工作日）") % {"s": start.isoformat(), "e": end.isoformat(),
                                                             "n": PUBLICITY_WORKING_DAYS},
           detail={"tier": tier, "start": start.isoformat(), "end": end.isoformat()})
    audit_record(action="certification.publicity.start", actor=actor, obj=application,
                 before={"status": ApplicationStatus.REVIEW}, after={"status": ApplicationStatus.PUBLICITY,
                                                                     "tier": tier, "end": end.isoformat()})
    notification_send(recipient=application.profile.user, title=_("人才认定进入公示：%(t)s") % {"t": tier},
                      body=_("公示期至 %(e)s，期满无异议将发放认定证书。") % {"e": end.isoformat()},
                      link=_url(application), channels=(NotificationChannel.SMS,))


def on_case_ended(*, case: Case, outcome: str, actor: User | None) -> None:
    status = ApplicationStatus.WITHDRAWN if outcome == CaseStatus.WITHDRAWN else ApplicationStatus.REJECTED
    changed = CertificationApplication.objects.filter(pk=case.subject_id, status=ApplicationStatus.REVIEW).update(
        status=status, decided_at=timezone.now())
    if changed and status == ApplicationStatus.REJECTED:
        application = CertificationApplication.objects.get(pk=case.subject_id)
        _event(application, CertEventKind.REJECTED, actor=actor)


def register_handlers() -> None:
    outcome_handlers.register(DEFINITION, CaseStatus.APPROVED, on_case_approved)
    for outcome in (CaseStatus.REJECTED, CaseStatus.WITHDRAWN, CaseStatus.CANCELLED):
        outcome_handlers.register(DEFINITION, outcome, on_case_ended)


# --- publicity and objections --------------------------------------------------------------------------------------

def objection_file(*, application: CertificationApplication, actor: User, content: str) -> Objection:
    """Anyone signed in may object while the publicity runs (the applicant cannot object to themself)."""
    if not actor.is_authenticated or application.profile.user_id == actor.pk:
        raise NotFound(_("公示不存在。"))
    content = (content or "").strip()
    if len(content) < 10 or len(content) > 2000:
        raise ValidationFailed(_("提交的信息有误，请按提示修改。"),
                               field_errors={"content": [_("异议内容：请写明事实和理由（10–2000 字）。")]})
    today = wd.today()
    if application.status != ApplicationStatus.PUBLICITY or application.publicity_end is None \
            or today > application.publicity_end:
        raise TransitionNotAllowed(_("该公示已结束，不能再提出异议。"))
    with transaction.atomic():
        objection = Objection.objects.create(application=application, submitted_by=actor, content=content)
        _event(application, CertEventKind.OBJECTION_FILED, reason=_("收到一条异议，待人才办核查。"))
        audit_record(action="certification.objection.file", actor=actor, obj=application,
                     after={"objection": objection.pk})
    return objection


def _is_office_staff(actor: User) -> bool:
    from onestop.core.models import Department

    return Department.objects.filter(code="talent_office", pk__in=actor.department_ids()).exists()


def objection_resolve(*, objection: Objection, actor: User, upheld: bool, resolution: str) -> Objection:
    """The talent office resolves an objection; an upheld objection ends the application (not certified)."""
    if not _is_office_staff(actor):
        audit_record(action="certification.objection.resolve", actor=actor, obj=objection.application,
                     result=AuditResult.DENIED)
        raise NotFound(_("异议不存在，或您无权处理。"))
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationFailed(_("提交的信息有误，请按提示修改。"),
                               field_errors={"resolution": [_("处理意见：请填写核查结论。")]})
    status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.DISMISSED
    application = objection.application
    with transaction.atomic():
        if Objection.objects.filter(pk=objection.pk, status=ObjectionStatus.OPEN).update(
                status=status, resolved_by=actor, resolution=resolution[:2000], resolved_at=timezone.now()) != 1:
            raise TransitionNotAllowed(_("该异议已处理。"))
        _event(application, CertEventKind.OBJECTION_RESOLVED, actor=actor, reason=resolution,
               detail={"upheld": upheld})
        if upheld:
            if CertificationApplication.objects.filter(pk=application.pk, status=ApplicationStatus.PUBLICITY).update(
                    status=ApplicationStatus.REJECTED, decided_at=timezone.now()) != 1:
                raise TransitionNotAllowed(_("认定申请状态已被更改。"))
            _event(application, CertEventKind.REJECTED, actor=actor, reason=_("公示异议成立：%(r)s") % {"r": resolution})
            notification_send(recipient=application.profile.user, title=_("人才认定未通过（公示异议成立）"),
                              body=resolution, link=_url(application), channels=(NotificationChannel.SMS,))
            certification_events.publish(CertificationRejected(
                application_id=application.pk, profile_id=application.profile_id,
                talent_user_id=application.profile.user_id, track=application.track,
                reason=_("公示异议成立：%(r)s") % {"r": resolution}, actor_id=actor.pk))
        audit_record(action="certification.objection.resolve", actor=actor, obj=application,
                     after={"objection": objection.pk, "status": status}, detail={"resolution": resolution})
    objection.refresh_from_db()
    return objection


def certification_publicity_close(*, application: CertificationApplication, today: date | None = None,
                                  actor: User | None = None) -> Certificate | None:
    """After the last publicity day, with no open objection: issue the certificate. Otherwise nothing happens
    (an open objection waits for the office's decision)."""
    day = today or wd.today()
    if application.status != ApplicationStatus.PUBLICITY or application.publicity_end is None \
            or day <= application.publicity_end:
        return None
    if application.objections.filter(status=ObjectionStatus.OPEN).exists():
        return None
    valid_until = day.replace(year=day.year + CERTIFICATE_YEARS) if not (day.month == 2 and day.day == 29) \
        else date(day.year + CERTIFICATE_YEARS, 2, 28)
    with transaction.atomic():
        if CertificationApplication.objects.filter(pk=application.pk, status=ApplicationStatus.PUBLICITY).update(
                status=ApplicationStatus.CERTIFIED, decided_at=timezone.now()) != 1:
            return None
        # A newer certificate of the same track replaces the old one.
        Certificate.objects.filter(profile=application.profile, track=application.track,
                                   status=CertificateStatus.VALID).update(status=CertificateStatus.EXPIRED)
        tier = application.decided_tier
        certificate = Certificate.objects.create(
            application=application, profile=application.profile, track=application.track, tier=tier,
            number=f"ZZGK-{day.year}-{TIER_CODE.get(tier, tier)}-{application.pk:06d}", valid_from=day,
            valid_until=valid_until)
        _event(application, CertEventKind.PUBLICITY_ENDED, actor=actor, reason=_("公示期满，无异议。"))
        _event(application, CertEventKind.CERTIFIED, actor=actor,
               reason=_("证书编号 %(n)s，有效期至 %(d)s") % {"n": certificate.number, "d": valid_until.isoformat()},
               detail={"certificate": certificate.number, "tier": tier})
        audit_record(action="certification.certificate.issue", actor=actor, obj=certificate,
                     after={"number": certificate.number, "tier": tier, "valid_until": valid_until.isoformat()})
        notification_send(recipient=application.profile.user, title=_("人才认定证书已发放：%(t)s") % {"t": tier},
                          body=_("证书编号 %(n)s，有效期至 %(d)s。") % {"n": certificate.number,
                                                                     "d": valid_until.isoformat()},
                          link=_url(application), channels=(NotificationChannel.SMS,))
        certification_events.publish(CertificationGranted(
            certificate_id=certificate.pk, certificate_number=certificate.number, profile_id=application.profile_id,
            talent_user_id=application.profile.user_id, track=application.track, tier=tier,
            valid_until=valid_until))
    return certificate


def certification_material_expire(*, application: CertificationApplication,
                                  today: date | None = None) -> bool:
    """A request for more material whose deadline (``material_due``, inclusive) passed unanswered: the application
    is treated as withdrawn (逾期未补正的，视为撤回申请 — docs/modules/talents.md). The workflow case is cancelled by
    the system (the paused task ends, nobody is escalated to), the talent is told why and may apply again.
    Returns whether it expired; answered or still-running requests are left alone."""
    from onestop.workflow.services import case_cancel

    day = today or wd.today()
    if application.status != ApplicationStatus.REVIEW or application.material_due is None \
            or day <= application.material_due:
        return False
    case = case_of(application)
    if case is None or not case.is_open or not case.tasks.filter(state=TaskState.INFO_REQUESTED).exists():
        return False
    reason = _("逾期未补充材料（期限 %(d)s），视为撤回申请。") % {"d": application.material_due.isoformat()}
    with transaction.atomic():
        if CertificationApplication.objects.filter(
                pk=application.pk, status=ApplicationStatus.REVIEW, material_due=application.material_due).update(
                status=ApplicationStatus.WITHDRAWN, decided_at=timezone.now()) != 1:
            return False
        case_cancel(case=case, reason=reason, actor=None)
        _event(application, CertEventKind.MATERIAL_EXPIRED, reason=reason,
               detail={"due": application.material_due.isoformat(), "today": day.isoformat()})
        audit_record(action="certification.material.expire", obj=application, actor_label="system",
                     before={"status": ApplicationStatus.REVIEW}, after={"status": ApplicationStatus.WITHDRAWN},
                     detail={"due": application.material_due.isoformat()})
        notification_send(recipient=application.profile.user, title=_("人才认定申请已视为撤回"),
                          body=reason + _("如仍需认定，请重新提交申请。"), link=_url(application),
                          channels=(NotificationChannel.SMS,))
    return True


def certification_tick(*, today: date | None = None) -> dict[str, int]:
    """What the scheduler runs (``manage.py certification_tick``, next to ``workflow_tick``): close every publicity
    period that has ended, and withdraw applications whose request for more material passed unanswered.
    Idempotent."""
    day = today or wd.today()
    issued = expired = 0
    for application in CertificationApplication.objects.select_related("profile__user").filter(
            status=ApplicationStatus.PUBLICITY, publicity_end__lt=day):
        if certification_publicity_close(application=application, today=day) is not None:
            issued += 1
    for application in CertificationApplication.objects.select_related("profile__user").filter(
            status=ApplicationStatus.REVIEW, material_due__lt=day):
        if certification_material_expire(application=application, today=day):
            expired += 1
    return {"issued": issued, "material_expired": expired}


def certificate_revoke(*, certificate: Certificate, actor: User, reason: str) -> Certificate:
    """The talent office head revokes a certificate with a reason; emits ``CertificationRevoked``."""
    if not (_is_office_staff(actor) and actor.has_role(Role.DEPT_HEAD)):
        audit_record(action="certification.certificate.revoke", actor=actor, obj=certificate,
                     result=AuditResult.DENIED)
        raise NotFound(_("证书不存在，或您无权撤销。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("提交的信息有误，请按提示修改。"),
                               field_errors={"reason": [_("撤销理由：请填写撤销理由。")]})
    now = timezone.now()
    with transaction.atomic():
        if Certificate.objects.filter(pk=certificate.pk, status=CertificateStatus.VALID).update(
                status=CertificateStatus.REVOKED, revoked_at=now, revoked_by=actor, revoke_reason=reason[:2000]) != 1:
            raise TransitionNotAllowed(_("只有有效的证书可以撤销。"))
        CertificationApplication.objects.filter(pk=certificate.application_id).update(status=ApplicationStatus.REVOKED)
        certificate.refresh_from_db()
        application = certificate.application
        _event(application, CertEventKind.REVOKED, actor=actor, reason=reason)
        audit_record(action="certification.certificate.revoke", actor=actor, obj=certificate,
                     before={"status": CertificateStatus.VALID}, after={"status": CertificateStatus.REVOKED},
                     detail={"reason": reason})
        notification_send(recipient=application.profile.user, title=_("人才认定已撤销"), body=reason,
                          link=_url(application), channels=(NotificationChannel.SMS,))
        certification_events.publish(CertificationRevoked(
            certificate_id=certificate.pk, certificate_number=certificate.number, profile_id=certificate.profile_id,
            talent_user_id=application.profile.user_id, track=certificate.track, tier=certificate.tier,
            reason=reason, revoked_at=now, actor_id=actor.pk))
    return certificate


# --- reads ---------------------------------------------------------------------------------------------------------

def applications_for_talent(*, user: User) -> Any:
    return (CertificationApplication.objects.filter(profile__user=user)
            .select_related("enterprise").prefetch_related("certificate"))


def applications_for_employer(*, user: User) -> Any:
    """Only applications about the employer's own employees (by the enterprise on the application)."""
    return (CertificationApplication.objects.filter(enterprise_id__in=user.enterprise_ids())
            .select_related("profile__user", "enterprise"))


def applications_for_reviewer(*, user: User, state: str = "open") -> Any:
    """Applications with a task in the reviewer's department queue (open tasks by default)."""
    tasks = Task.objects.filter(task_scope_q(user), case__definition__code=DEFINITION)
    if state == "open":
        tasks = tasks.filter(state__in=OPEN_TASK_STATES)
    ids = tasks.values_list("case__subject_id", flat=True)
    return (CertificationApplication.objects.filter(pk__in=ids)
            .select_related("profile__user", "enterprise").order_by("-created_at"))


def application_for(*, user: User, pk: int) -> CertificationApplication:
    """The application if the user is its talent, the submitting employer, or a reviewer with a task on it;
    everyone else gets NotFound (audited)."""
    application = (CertificationApplication.objects.select_related("profile__user", "enterprise", "applied_by")
                   .filter(pk=pk).first())
    allowed = False
    if application is not None and user.is_authenticated:
        allowed = (application.profile.user_id == user.pk
                   or (application.enterprise_id is not None and application.enterprise_id in user.enterprise_ids())
                   or applications_for_reviewer(user=user, state="all").filter(pk=pk).exists())
    if application is None or not allowed:
        audit_record(action="certification.view", actor=user if user.is_authenticated else None,
                     object_type="talents.certificationapplication", object_id=str(pk), result=AuditResult.DENIED)
        raise NotFound(_("认定申请不存在，或您无权访问。"))
    return application


def certificate_for(*, user: User, pk: int) -> Certificate:
    """A certificate for its holder, the talent office's reviewers, and reviewers who hold a task on one of the
    holder's certification cases; everyone else gets NotFound (audited). Staff reads are audited too."""
    from onestop.core.permissions import Capability, has_capability

    from .permissions import is_reviewer_of

    certificate = (Certificate.objects.select_related("profile__user", "application").filter(pk=pk).first()
                   if user.is_authenticated else None)
    holder = certificate is not None and certificate.profile.user_id == user.pk
    staff = certificate is not None and not holder and (
        (has_capability(user, Capability.CERT_REVIEW) and _is_office_staff(user))
        or is_reviewer_of(user, certificate.profile))
    if certificate is None or not (holder or staff):
        audit_record(action="certification.certificate.download", actor=user if user.is_authenticated else None,
                     object_type="talents.certificate", object_id=str(pk), result=AuditResult.DENIED)
        raise NotFound(_("证书不存在，或您无权访问。"))
    if staff:
        audit_record(action="certification.certificate.download", actor=user, obj=certificate)
    return certificate


def objection_for_resolver(*, user: User, pk: int) -> Objection:
    """An objection for the talent office's staff, who resolve objections; anyone else — and an unknown id — gets
    NotFound (audited as a refused resolution), before the form they sent is looked at."""
    objection = (Objection.objects.select_related("application").filter(pk=pk).first()
                 if user.is_authenticated else None)
    if objection is None or not _is_office_staff(user):
        audit_record(action="certification.objection.resolve", actor=user if user.is_authenticated else None,
                     object_type="talents.objection", object_id=str(pk), result=AuditResult.DENIED)
        raise NotFound(_("异议不存在，或您无权处理。"))
    return objection


def publicity_list(*, today: date | None = None) -> Any:
    day = today or wd.today()
    return (CertificationApplication.objects.filter(status=ApplicationStatus.PUBLICITY, publicity_end__gte=day)
            .select_related("profile__user", "enterprise").order_by("publicity_end", "pk"))


def can_act(user: User, application: CertificationApplication) -> list[str]:
    """The review actions the user may take on the application now (for buttons)."""
    try:
        case = case_of(application)
        task = (Task.objects.select_related("step", "case").filter(task_scope_q(user), case=case,
                                                                   state__in=OPEN_TASK_STATES).first()
                if case else None)
    except Exception:  # pragma: no cover - defensive: buttons only
        return []
    if task is None or not task_policy.is_actor(user, task):
        return []
    if task.state == TaskState.INFO_REQUESTED:
        return []
    if task.state != TaskState.PENDING and task.assignee_id != user.pk and not task_policy.is_supervisor(user, task):
        return []
    return ["approve", "reject", "request_info"] if task.step.code != "employer_confirm" else ["approve", "reject"]


def open_objections(*, application: CertificationApplication) -> Any:
    return application.objections.filter(Q(status=ObjectionStatus.OPEN))


