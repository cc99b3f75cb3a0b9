"""Writes of 人才一件事: the draft, the matters, the shared documents, submission into parallel sub-cases, dependent
matters released when their prerequisite is granted, withdrawal of the whole or of one matter.

Every service validates, checks who may act (the talent themself; anyone else gets "not found"), writes inside
``transaction.atomic()`` with conditional updates and records an audit event.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.exceptions import Conflict, NotFound, ValidationFailed
from onestop.core.models import User
from onestop.core.notifications import notification_send
from onestop.core.services import FieldErrors
from onestop.talents.facts import facts_for
from onestop.talents.models import Document, TalentProfile
from onestop.workflow import calendar as wd
from onestop.workflow.errors import TransitionNotAllowed

from .catalogue import CERTIFICATION, Precheck, document_types, matter_precheck, matter_spec
from .choices import (
    OPEN_MATTER_STATUSES,
    ApplicationStatus,
    HistoryKind,
    MatterStatus,
    Verdict,
)
from .models import Application, ApplicationDocument, ApplicationMatter, HistoryEntry, Matter


def _history(application: Application, kind: str, *, actor: User | None = None, matter: ApplicationMatter | None = None,
             note: str = "") -> None:
    HistoryEntry.objects.create(application=application, kind=kind, actor=actor, matter=matter, note=note)


def _url(application: Application) -> str:
    return reverse("onething:detail", args=[application.pk])


def _own_profile(actor: User) -> TalentProfile:
    profile = TalentProfile.objects.select_related("employer", "user").filter(user=actor).first()
    if profile is None:
        raise NotFound(_("人才档案不存在，请先完善人才档案。"))
    return profile


def _own_application(application: Application, actor: User) -> None:
    if application.applicant_id != actor.pk:
        raise NotFound(_("申请不存在，或您无权访问。"))


def _require_draft(application: Application) -> None:
    if application.status != ApplicationStatus.DRAFT:
        raise TransitionNotAllowed(_("申请已提交，不能再修改。"))


# --- the draft ------------------------------------------------------------------------------------------------------

def application_start(*, actor: User) -> Application:
    """The talent's draft (created on first use; one draft per talent by a DB constraint)."""
    profile = _own_profile(actor)
    draft = Application.objects.filter(profile=profile, status=ApplicationStatus.DRAFT).first()
    if draft is not None:
        return draft
    try:
        with transaction.atomic():
            draft = Application.objects.create(profile=profile, applicant=actor)
            _history(draft, HistoryKind.CREATED, actor=actor)
            audit_record(action="onething.application.create", actor=actor, obj=draft)
    except IntegrityError:
        draft = Application.objects.get(profile=profile, status=ApplicationStatus.DRAFT)
    return draft


def application_select_matters(*, application: Application, actor: User, codes: Sequence[str]) -> Application:
    """Set the matters of a draft (replaces the selection)."""
    _own_application(application, actor)
    _require_draft(application)
    wanted = list(dict.fromkeys(codes))
    matters = {m.code: m for m in Matter.objects.filter(code__in=wanted, active=True)}
    errors = FieldErrors()
    unknown = [c for c in wanted if c not in matters]
    if unknown:
        errors.add("matters", _("事项：%(c)s 不存在。") % {"c": "、".join(unknown)})
    if not wanted:
        errors.add("matters", _("事项：请至少选择一个事项。"))
    errors.raise_if_any()
    with transaction.atomic():
        current = {am.matter.code: am for am in application.matters.select_related("matter")}
        for code, am in current.items():
            if code not in matters:
                am.delete()
                _history(application, HistoryKind.MATTER_REMOVED, actor=actor, note=am.matter.name)
        for code in wanted:
            if code not in current:
                am = ApplicationMatter.objects.create(application=application, matter=matters[code])
                _history(application, HistoryKind.MATTER_ADDED, actor=actor, matter=am, note=matters[code].name)
        audit_record(action="onething.application.matters", actor=actor, obj=application,
                     before={"matters": sorted(current)}, after={"matters": sorted(wanted)})
    return application


def application_attach_document(*, application: Application, actor: User, code: str, upload: Any = None,
                                document_id: int | None = None) -> ApplicationDocument:
    """Upload (or pick from the profile) the one document of ``code`` that every matter of the application shares."""
    from onestop.talents.services import document_upload

    _own_application(application, actor)
    _require_draft(application)
    types = document_types()
    errors = FieldErrors()
    if code not in types:
        errors.add("code", _("材料：请选择有效的材料类型。"))
    if upload is None and document_id is None:
        errors.add("file", _("文件：请选择要上传的文件，或选择档案中已有的材料。"))
    errors.raise_if_any()
    with transaction.atomic():
        if upload is not None:
            document = document_upload(actor=actor, kind=types[code]["kind"], upload=upload)
        else:
            found = Document.objects.filter(pk=int(document_id or 0), profile=application.profile).first()
            if found is None:
                raise ValidationFailed(_("提交的信息有误，请按提示修改。"),
                                       field_errors={"document_id": [_("材料：只能选择本人档案中的材料。")]})
            document = found
        slot, _created = ApplicationDocument.objects.update_or_create(
            application=application, code=code, defaults={"document": document, "attached_at": timezone.now()})
        _history(application, HistoryKind.DOCUMENT, actor=actor, note=types[code]["name"])
        audit_record(action="onething.application.document", actor=actor, obj=application,
                     after={"code": code, "document": document.pk})
    return slot


# --- pre-check ------------------------------------------------------------------------------------------------------

def application_precheck(*, application: Application, as_of: date | None = None) -> dict[int, Precheck]:
    """The pre-check of every selected matter (read-only). A matter whose prerequisite is chosen too is checked with
    the prerequisite's proposed result folded into the facts (e.g. the tier certification would likely grant)."""
    day = as_of or wd.today()
    facts = facts_for(application.profile, as_of=day)
    attached = set(application.documents.values_list("code", flat=True))
    selected = list(application.matters.select_related("matter", "matter__depends_on"))
    chosen = {am.matter.code for am in selected}
    out: dict[int, Precheck] = {}
    provided: dict[str, Any] = {}
    for am in sorted(selected, key=lambda a: a.matter.depends_on_id is not None):
        matter = am.matter
        prereq = matter.depends_on
        waiting = prereq.name if prereq is not None and prereq.code in chosen else ""
        view = dict(facts)
        if waiting:
            for name, value in provided.items():
                if view.get(name) is None:
                    view[name] = value
        result = matter_precheck(matter=matter, facts=view, as_of=day, attached=attached, waiting_for=waiting)
        for fact, rule_id in (matter_spec(matter.code).get("provides") or {}).items():
            if result.tier and rule_id in matter.rule_ids:
                provided[fact] = result.tier
        out[am.pk] = result
    return out


# --- submit ---------------------------------------------------------------------------------------------------------

def _start_matter(am: ApplicationMatter, *, actor: User | None) -> None:
    """Hand one matter to its department: certification through the registry's own service (its case is the
    sub-case), every other matter as a case of the matter's workflow definition."""
    from onestop.workflow.services import case_start

    application = am.application
    profile = application.profile
    applicant = application.applicant
    if am.matter.code == CERTIFICATION:
        from onestop.talents.certification import case_of, certification_apply

        tier = (am.precheck or {}).get("tier") or ""
        doc_ids = list(application.documents.values_list("document_id", flat=True))
        cert_app = certification_apply(actor=applicant, track="standard", claimed_tier=tier,
                                       document_ids=doc_ids, is_demo=application.is_demo)
        case = case_of(cert_app)
        if case is None:  # pragma: no cover - certification_apply always starts its case
            raise Conflict(_("人才认定办件未能创建。"))
    else:
        case = case_start(definition_code=am.matter.definition_code, subject=am, applicant=applicant,
                          enterprise=profile.employer, actor=actor,
                          title=_("人才一件事：%(m)s（%(ref)s）") % {"m": am.matter.name, "ref": application.reference},
                          context={"matter": am.matter.code, "foreign": (profile.nationality or "中国") != "中国"})
    changed = ApplicationMatter.objects.filter(
        pk=am.pk, status__in=[MatterStatus.SELECTED, MatterStatus.WAITING]).update(
        status=MatterStatus.RUNNING, case=case, started_at=timezone.now())
    if changed != 1:
        raise TransitionNotAllowed(_("事项状态已被更改，请刷新后重试。"))
    am.status, am.case = MatterStatus.RUNNING, case
    _history(application, HistoryKind.MATTER_STARTED, actor=actor, matter=am,
             note=_("%(m)s 已转交%(d)s办理") % {"m": am.matter.name, "d": am.matter.department.name})


def application_submit(*, application: Application, actor: User) -> Application:
    """Submit once: every matter without a pending prerequisite becomes a sub-case of its department at the same
    time; a matter whose prerequisite is in the same application waits for it."""
    _own_application(application, actor)
    _require_draft(application)
    checks = application_precheck(application=application)
    matters = list(application.matters.select_related("matter", "matter__department", "matter__depends_on"))
    errors = FieldErrors()
    if not matters:
        errors.add("matters", _("事项：请至少选择一个事项。"))
    for am in matters:
        check = checks[am.pk]
        if check.verdict != Verdict.LIKELY:
            errors.add(f"matter_{am.matter.code}", _("%(m)s：%(r)s") % {
                "m": am.matter.name, "r": "；".join(check.reasons) or str(Verdict(check.verdict).label)})
    errors.raise_if_any()
    chosen = {am.matter.code for am in matters}
    with transaction.atomic():
        if Application.objects.filter(pk=application.pk, status=ApplicationStatus.DRAFT).update(
                status=ApplicationStatus.SUBMITTED, submitted_at=timezone.now()) != 1:
            raise TransitionNotAllowed(_("申请已提交，请勿重复提交。"))
        application.status = ApplicationStatus.SUBMITTED
        _history(application, HistoryKind.SUBMITTED, actor=actor,
                 note="、".join(am.matter.name for am in matters))
        for am in matters:
            am.precheck = checks[am.pk].to_dict()
            am.save(update_fields=["precheck"])
        for am in matters:
            prereq = am.matter.depends_on
            if prereq is not None and prereq.code in chosen:
                ApplicationMatter.objects.filter(pk=am.pk, status=MatterStatus.SELECTED).update(
                    status=MatterStatus.WAITING)
                am.status = MatterStatus.WAITING
                _history(application, HistoryKind.MATTER_WAITING, actor=actor, matter=am,
                         note=_("等待“%(p)s”通过后办理") % {"p": prereq.name})
            else:
                _start_matter(am, actor=actor)
        audit_record(action="onething.application.submit", actor=actor, obj=application,
                     after={"matters": sorted(chosen)})
        notification_send(recipient=application.applicant, title=_("人才一件事已提交：%(r)s") % {
            "r": application.reference}, body=_("各事项已同时转交责任部门，您可以在一个页面查看全部进度。"),
            link=_url(application))
    return application


# --- outcomes (called by the workflow outcome handlers and the certification event) --------------------------------

def _finish_if_done(application: Application) -> None:
    if application.matters.filter(status__in=OPEN_MATTER_STATUSES).exists():
        return
    if Application.objects.filter(pk=application.pk, status=ApplicationStatus.SUBMITTED).update(
            status=ApplicationStatus.COMPLETED, closed_at=timezone.now()) == 1:
        _history(application, HistoryKind.COMPLETED)
        notification_send(recipient=application.applicant, title=_("人才一件事已全部办结：%(r)s") % {
            "r": application.reference}, link=_url(application))


def _cancel_dependents(am: ApplicationMatter, *, actor: User | None, why: str) -> None:
    for dep in ApplicationMatter.objects.filter(application=am.application, matter__depends_on=am.matter,
                                                status=MatterStatus.WAITING).select_related("matter"):
        if ApplicationMatter.objects.filter(pk=dep.pk, status=MatterStatus.WAITING).update(
                status=MatterStatus.CANCELLED, decided_at=timezone.now()) == 1:
            _history(am.application, HistoryKind.MATTER_DECIDED, actor=actor, matter=dep,
                     note=_("%(m)s 已取消：%(w)s") % {"m": dep.matter.name, "w": why})


def matter_record_outcome(*, matter: ApplicationMatter, status: str, actor: User | None, reason: str = "") -> None:
    """A sub-case ended (or certification was granted): record it, release or cancel the dependent matters."""
    with transaction.atomic():
        if ApplicationMatter.objects.filter(pk=matter.pk, status=MatterStatus.RUNNING).update(
                status=status, decided_at=timezone.now()) != 1:
            return  # already recorded (idempotent)
        matter.status = status
        label = MatterStatus(status).label
        _history(matter.application, HistoryKind.MATTER_DECIDED, actor=actor, matter=matter,
                 note=_("%(m)s：%(s)s") % {"m": matter.matter.name, "s": label} + (f"（{reason}）" if reason else ""))
        audit_record(action="onething.matter.outcome", actor=actor, obj=matter.application,
                     after={"matter": matter.matter.code, "status": status})
        if status == MatterStatus.APPROVED:
            for dep in ApplicationMatter.objects.filter(application=matter.application, matter__depends_on=matter.matter,
                                                        status=MatterStatus.WAITING).select_related(
                    "matter", "matter__department", "application__profile__employer", "application__applicant"):
                _start_matter(dep, actor=actor)
        else:
            _cancel_dependents(matter, actor=actor, why=_("前置事项“%(p)s”%(s)s") % {"p": matter.matter.name, "s": label})
        if status != MatterStatus.WITHDRAWN:  # a withdrawal finishes through the withdrawing service
            _finish_if_done(matter.application)


# --- withdrawal -----------------------------------------------------------------------------------------------------

def _withdraw_one(am: ApplicationMatter, *, actor: User, reason: str) -> None:
    from onestop.workflow.services import case_withdraw

    if am.status == MatterStatus.RUNNING and am.case is not None and am.case.is_open:
        case_withdraw(case=am.case, actor=actor, reason=reason)  # the outcome handler records the matter
        am.refresh_from_db()
    if am.status in OPEN_MATTER_STATUSES:
        ApplicationMatter.objects.filter(pk=am.pk, status=am.status).update(
            status=MatterStatus.WITHDRAWN, decided_at=timezone.now())
        am.status = MatterStatus.WITHDRAWN
    _history(am.application, HistoryKind.MATTER_WITHDRAWN, actor=actor, matter=am, note=reason or am.matter.name)
    _cancel_dependents(am, actor=actor, why=_("前置事项已撤回"))


def matter_withdraw(*, matter: ApplicationMatter, actor: User, reason: str = "") -> ApplicationMatter:
    """Withdraw one matter of a submitted application (its sub-case is withdrawn; dependent matters are cancelled)."""
    application = matter.application
    _own_application(application, actor)
    if application.status != ApplicationStatus.SUBMITTED or matter.status not in OPEN_MATTER_STATUSES:
        raise TransitionNotAllowed(_("该事项已办结或申请未提交，不能撤回。"))
    with transaction.atomic():
        _withdraw_one(matter, actor=actor, reason=reason.strip())
        audit_record(action="onething.matter.withdraw", actor=actor, obj=application,
                     after={"matter": matter.matter.code})
        _finish_if_done(application)
    return matter


def application_withdraw(*, application: Application, actor: User, reason: str = "") -> Application:
    """Withdraw the whole application: every open matter is withdrawn; decided matters keep their result."""
    _own_application(application, actor)
    if application.status not in (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED):
        raise TransitionNotAllowed(_("申请已办结，不能撤回。"))
    with transaction.atomic():
        open_matters = list(application.matters.filter(status__in=OPEN_MATTER_STATUSES)
                            .select_related("matter", "case")
                            .order_by(F("matter__depends_on_id").desc(nulls_last=True)))  # dependents first
        for am in open_matters:
            am.refresh_from_db()
            if am.status in OPEN_MATTER_STATUSES:
                _withdraw_one(am, actor=actor, reason=reason.strip())
        if Application.objects.filter(pk=application.pk, status=application.status).update(
                status=ApplicationStatus.WITHDRAWN, closed_at=timezone.now()) != 1:
            raise TransitionNotAllowed(_("申请状态已被更改，请刷新后重试。"))
        application.status = ApplicationStatus.WITHDRAWN
        _history(application, HistoryKind.WITHDRAWN, actor=actor, note=reason.strip())
        audit_record(action="onething.application.withdraw", actor=actor, obj=application,
                     after={"withdrawn": [am.matter.code for am in open_matters]})
    return application


def matters_of_cases(case_ids: Iterable[int]) -> list[ApplicationMatter]:
    return list(ApplicationMatter.objects.filter(case_id__in=list(case_ids)).select_related(
        "matter", "application"))


def running_certification_matters(*, profile_id: int, application_id: int | None = None) -> list[ApplicationMatter]:
    """The talent's running certification matters; with ``application_id``, only the one whose sub-case is that
    certification application's case."""
    qs = ApplicationMatter.objects.filter(
        Q(application__profile_id=profile_id), matter__code=CERTIFICATION, status=MatterStatus.RUNNING)
    if application_id is not None:
        from django.contrib.contenttypes.models import ContentType

        from onestop.talents.models import CertificationApplication

        qs = qs.filter(case__subject_type=ContentType.objects.get_for_model(CertificationApplication),
                       case__subject_id=application_id)
    return list(qs.select_related("matter", "application"))


# --- 免申即享: settings, one-click confirmation, notifications -------------------------------------------------------

def benefit_setting_set(*, policy: Any, actor: User, mode: str) -> Any:
    """Mark a policy 免申即享 (grant outright, or offer for confirmation) or not. Heads of the policy's department."""
    from onestop.core.choices import Role
    from onestop.core.permissions import Capability, has_capability

    from .choices import BenefitMode
    from .models import BenefitSetting

    if not has_capability(actor, Capability.BENEFITS_MANAGE) or policy.department_id not in actor.department_ids(
            Role.DEPT_HEAD):
        raise NotFound(_("政策不存在，或您无权访问。"))
    if mode not in BenefitMode.values:
        raise ValidationFailed(_("提交的信息有误，请按提示修改。"),
                               field_errors={"mode": [_("免申即享方式：请选择有效的选项。")]})
    with transaction.atomic():
        setting, _created = BenefitSetting.objects.get_or_create(policy=policy)
        before = setting.mode
        BenefitSetting.objects.filter(pk=setting.pk).update(mode=mode, updated_by=actor, updated_at=timezone.now())
        setting.refresh_from_db()
        audit_record(action="onething.benefit.setting", actor=actor, obj=policy, before={"mode": before},
                     after={"mode": mode})
    return setting


def _own_offer(offer_id: int, actor: User) -> Any:
    from .models import BenefitOffer

    offer = BenefitOffer.objects.select_related("policy", "profile").filter(pk=offer_id, profile__user=actor).first()
    if offer is None:
        raise NotFound(_("待遇不存在，或您无权访问。"))
    return offer


def offer_accept(*, offer_id: int, actor: User) -> Any:
    """One click: the talent confirms an offered benefit."""
    from .choices import OfferStatus
    from .models import BenefitOffer

    offer = _own_offer(offer_id, actor)
    if offer.ineligible_since is not None:
        raise TransitionNotAllowed(_("根据最新数据您已不符合该政策条件，请联系主管部门核实。"))
    with transaction.atomic():
        if BenefitOffer.objects.filter(pk=offer.pk, status=OfferStatus.OFFERED, ineligible_since__isnull=True).update(
                status=OfferStatus.ACCEPTED, decided_at=timezone.now()) != 1:
            raise TransitionNotAllowed(_("该待遇已确认或已放弃。"))
        audit_record(action="onething.offer.accept", actor=actor, obj=offer, before={"status": offer.status},
                     after={"status": OfferStatus.ACCEPTED})
    offer.refresh_from_db()
    return offer


def offer_decline(*, offer_id: int, actor: User) -> Any:
    from .choices import OfferStatus
    from .models import BenefitOffer

    offer = _own_offer(offer_id, actor)
    with transaction.atomic():
        if BenefitOffer.objects.filter(pk=offer.pk, status=OfferStatus.OFFERED).update(
                status=OfferStatus.DECLINED, decided_at=timezone.now()) != 1:
            raise TransitionNotAllowed(_("该待遇已确认或已放弃。"))
        audit_record(action="onething.offer.decline", actor=actor, obj=offer, before={"status": offer.status},
                     after={"status": OfferStatus.DECLINED})
    offer.refresh_from_db()
    return offer


def benefit_offers_notify(*, batch: int = 500) -> int:
    """Tell every talent about new grants and offers (inbox; SMS for grants). Idempotent: ``notified_at``."""
    from onestop.core.choices import NotificationChannel

    from .choices import OfferStatus
    from .models import BenefitOffer

    sent = 0
    while True:
        chunk = list(BenefitOffer.objects.filter(notified_at__isnull=True, status__in=[
            OfferStatus.GRANTED, OfferStatus.OFFERED]).select_related("policy", "profile__user").order_by("id")[:batch])
        if not chunk:
            return sent
        with transaction.atomic():
            for offer in chunk:
                if BenefitOffer.objects.filter(pk=offer.pk, notified_at__isnull=True).update(
                        notified_at=timezone.now()) != 1:
                    continue
                granted = offer.status == OfferStatus.GRANTED
                notification_send(
                    recipient=offer.profile.user,
                    title=(_("免申即享：您已获得“%(p)s”") if granted else _("免申即享：您符合“%(p)s”，请一键确认")) % {
                        "p": offer.policy.title},
                    body=_("根据您的档案数据自动匹配，无需提交申请。"), link=reverse("onething:benefits"),
                    channels=(NotificationChannel.SMS,) if granted else ())
                sent += 1
