"""需求榜: enterprises publish key technology needs (reviewed before publication), researchers from the zone or
outside apply with a proposal, the enterprise selects one, a contract with milestones follows (兼职兼薪、按劳取酬).
The researcher's IP and conflict-of-interest declarations are required before signing (service check and check
constraint); each milestone accepted by the enterprise releases exactly one payment record."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.choices import Role
from onestop.core.exceptions import Conflict, NotFound
from onestop.core.models import User
from onestop.core.notifications import notification_send
from onestop.core.services import FieldErrors
from onestop.employers.choices import EnterpriseStatus, Industry
from onestop.employers.models import Enterprise
from onestop.employers.services import in_department, own_enterprise

from .. import matching
from ..choices import ApplicationStatus, ContractStatus, MilestoneStatus, NeedStatus
from ..models import ExpertContract, Milestone, MilestonePayment, Need, NeedApplication, ResearcherProfile

REVIEW_DEPARTMENTS = ("talent_office", "industry_it")


def need_submit(*, actor: User, enterprise: Enterprise, title: str, field: str, description: str,
                budget_fen: int | None, deadline: date | None, today: date | None = None,
                is_demo: bool = False) -> Need:
    """The enterprise submits a need; it waits for review before anyone sees it."""
    own_enterprise(actor, enterprise)
    today = today or timezone.localdate()
    errors = FieldErrors()
    title = (title or "").strip()
    if not title:
        errors.add("title", _("需求名称：请填写需求名称。"))
    elif len(title) > 120:
        errors.add("title", _("需求名称：不能超过 120 个字符。"))
    if field not in Industry.values:
        errors.add("field", _("技术领域：请选择有效的选项。"))
    description = (description or "").strip()
    if len(description) < 20:
        errors.add("description", _("需求描述：请具体描述技术需求（至少 20 个字）。"))
    if budget_fen is None or budget_fen <= 0:
        errors.add("budget", _("预算：请填写大于 0 的金额。"))
    if deadline is None:
        errors.add("deadline", _("揭榜截止日期：请填写日期。"))
    elif deadline <= today:
        errors.add("deadline", _("揭榜截止日期：应晚于今天。"))
    errors.raise_if_any()
    if enterprise.status != EnterpriseStatus.ACTIVE:
        raise Conflict(_("单位核验通过后才能发布技术需求。"))
    assert budget_fen is not None and deadline is not None
    with transaction.atomic():
        need = Need.objects.create(enterprise=enterprise, title=title, field=field, description=description,
                                   budget_fen=budget_fen, deadline=deadline, created_by=actor, is_demo=is_demo,
                                   keywords=matching.keywords(f"{title} {description}"))
        audit_record(action="need.submit", actor=actor, obj=need, after={"title": title, "budget_fen": budget_fen})
    return need


def need_review(*, actor: User, need: Need, approve: bool, reason: str = "") -> Need:
    if not in_department(actor, *REVIEW_DEPARTMENTS):
        raise NotFound(_("需求不存在，或您无权操作。"))
    reason = (reason or "").strip()
    if not approve and not reason:
        errors = FieldErrors()
        errors.add("reason", _("审核意见：退回时请写明理由。"))
        errors.raise_if_any()
    target = NeedStatus.PUBLISHED if approve else NeedStatus.REJECTED
    with transaction.atomic():
        changed = Need.objects.filter(pk=need.pk, status=NeedStatus.PENDING).update(
            status=target, review_note=reason, reviewed_by=actor, reviewed_at=timezone.now(),
            published_at=timezone.now() if approve else None)
        if changed != 1:
            raise Conflict(_("该需求不在待审核状态（可能已被他人处理）。"))
        audit_record(action="need.review", actor=actor, obj=need, after={"status": target, "reason": reason})
    need.refresh_from_db()
    return need


def researcher_profile_save(*, actor: User, institution: str, expertise: str, title: str = "",
                            is_external: bool = False) -> ResearcherProfile:
    """A talent account (from the zone or outside) declares itself a researcher who may take on needs."""
    if Role.TALENT not in actor.role_set():
        raise NotFound(_("页面不存在。"))
    errors = FieldErrors()
    if not (institution or "").strip():
        errors.add("institution", _("所在单位：请填写所在高校、院所或企业。"))
    if len((expertise or "").strip()) < 10:
        errors.add("expertise", _("研究方向与专长：请具体填写（至少 10 个字）。"))
    errors.raise_if_any()
    with transaction.atomic():
        profile, _created = ResearcherProfile.objects.update_or_create(user=actor, defaults={
            "institution": institution.strip(), "expertise": expertise.strip(), "title": (title or "").strip(),
            "is_external": is_external, "keywords": matching.keywords(expertise), "updated_at": timezone.now()})
        audit_record(action="researcher.save", actor=actor, obj=profile, after={"external": is_external})
    return profile


def need_apply(*, actor: User, need: Need, proposal: str, quote_fen: int | None,
               today: date | None = None, is_demo: bool = False) -> NeedApplication:
    researcher = ResearcherProfile.objects.filter(user=actor).first()
    if researcher is None:
        raise NotFound(_("请先完善科研人员信息。"))
    today = today or timezone.localdate()
    errors = FieldErrors()
    if len((proposal or "").strip()) < 20:
        errors.add("proposal", _("揭榜方案：请写明技术路线与计划（至少 20 个字）。"))
    if quote_fen is None or quote_fen <= 0:
        errors.add("quote", _("报价：请填写大于 0 的金额。"))
    elif quote_fen > need.budget_fen:
        errors.add("quote", _("报价：不能超过需求预算。"))
    errors.raise_if_any()
    if need.status != NeedStatus.PUBLISHED or need.deadline < today:
        raise Conflict(_("该需求不在揭榜期。"))
    assert quote_fen is not None
    try:
        with transaction.atomic():
            application = NeedApplication.objects.create(need=need, researcher=researcher, proposal=proposal.strip(),
                                                         quote_fen=quote_fen, is_demo=is_demo)
            audit_record(action="need.apply", actor=actor, obj=need, after={"quote_fen": quote_fen})
    except IntegrityError:
        raise Conflict(_("您已提交过该需求的揭榜申请。"))
    return application


def need_select(*, actor: User, application: NeedApplication) -> ExpertContract:
    """The enterprise selects one applicant; the others are told; a draft contract is opened at the quote."""
    need = application.need
    own_enterprise(actor, need.enterprise_id)
    try:
        with transaction.atomic():
            changed = Need.objects.filter(pk=need.pk, status=NeedStatus.PUBLISHED).update(
                status=NeedStatus.CONTRACTED)
            if changed != 1:
                raise Conflict(_("该需求已选定揭榜方或不在揭榜期。"))
            NeedApplication.objects.filter(pk=application.pk, status=ApplicationStatus.SUBMITTED).update(
                status=ApplicationStatus.SELECTED)
            NeedApplication.objects.filter(need=need, status=ApplicationStatus.SUBMITTED).update(
                status=ApplicationStatus.NOT_SELECTED)
            contract = ExpertContract.objects.create(need=need, application=application,
                                                     total_fen=application.quote_fen)
            audit_record(action="need.select", actor=actor, obj=need, after={"application": application.pk})
            notification_send(recipient=application.researcher.user, title=_("您已被选定为揭榜方：%(t)s")
                              % {"t": need.title}, link=f"/engagement/contracts/{contract.pk}/")
    except IntegrityError:
        raise Conflict(_("该需求已选定揭榜方。"))
    return contract


def contract_set_milestones(*, actor: User, contract: ExpertContract,
                            milestones: Sequence[dict[str, Any]]) -> list[Milestone]:
    """The enterprise sets the milestones before signing; their amounts add up to the contract amount."""
    own_enterprise(actor, contract.need.enterprise_id)
    errors = FieldErrors()
    if not milestones:
        errors.add("milestones", _("里程碑：至少设置一个里程碑。"))
    total = 0
    for i, m in enumerate(milestones, start=1):
        if not str(m.get("title") or "").strip():
            errors.add("milestones", _("里程碑：第 %(i)d 项缺少名称。") % {"i": i})
        if not str(m.get("deliverable") or "").strip():
            errors.add("milestones", _("里程碑：第 %(i)d 项缺少交付成果要求。") % {"i": i})
        amount = m.get("amount_fen")
        if not isinstance(amount, int) or amount <= 0:
            errors.add("milestones", _("里程碑：第 %(i)d 项金额应大于 0。") % {"i": i})
        else:
            total += amount
        if not isinstance(m.get("due_date"), date):
            errors.add("milestones", _("里程碑：第 %(i)d 项缺少计划完成日期。") % {"i": i})
    if milestones and "milestones" not in errors.errors and total != contract.total_fen:
        errors.add("milestones", _("里程碑：金额合计 %(t)s 元应等于合同金额 %(c)s 元。") % {
            "t": f"{total / 100:,.2f}", "c": f"{contract.total_fen / 100:,.2f}"})
    errors.raise_if_any()
    with transaction.atomic():
        if ExpertContract.objects.filter(pk=contract.pk, status=ContractStatus.DRAFT).update(
                created_at=contract.created_at) != 1:
            raise Conflict(_("合同已签约，里程碑不能再修改。"))
        contract.milestones.all().delete()
        rows = [Milestone.objects.create(contract=contract, seq=i, title=str(m["title"]).strip(),
                                         deliverable=str(m["deliverable"]).strip(), amount_fen=m["amount_fen"],
                                         due_date=m["due_date"])
                for i, m in enumerate(milestones, start=1)]
        audit_record(action="contract.milestones", actor=actor, obj=contract.need, after={"count": len(rows)})
    return rows


def contract_declare(*, actor: User, contract: ExpertContract, ip_declaration: str,
                     coi_declaration: str) -> ExpertContract:
    """The selected researcher declares IP ownership and conflicts of interest (both required before signing)."""
    if contract.application.researcher.user_id != actor.pk:
        raise NotFound(_("合同不存在，或您无权操作。"))
    errors = FieldErrors()
    if len((ip_declaration or "").strip()) < 10:
        errors.add("ip_declaration", _("知识产权归属声明：请写明成果知识产权的归属（至少 10 个字）。"))
    if len((coi_declaration or "").strip()) < 4:
        errors.add("coi_declaration", _("利益冲突声明：请如实声明（无利益冲突也请写明“无”及理由）。"))
    errors.raise_if_any()
    now = timezone.now()
    with transaction.atomic():
        changed = ExpertContract.objects.filter(pk=contract.pk, status=ContractStatus.DRAFT).update(
            ip_declaration=ip_declaration.strip(), ip_declared_at=now, coi_declaration=coi_declaration.strip(),
            coi_declared_at=now)
        if changed != 1:
            raise Conflict(_("合同已签约，声明不能再修改。"))
        audit_record(action="contract.declare", actor=actor, obj=contract.need)
    contract.refresh_from_db()
    return contract


def contract_sign(*, actor: User, contract: ExpertContract) -> ExpertContract:
    own_enterprise(actor, contract.need.enterprise_id)
    errors = FieldErrors()
    if contract.ip_declared_at is None:
        errors.add("ip_declaration", _("知识产权归属声明：揭榜方尚未声明，不能签约。"))
    if contract.coi_declared_at is None:
        errors.add("coi_declaration", _("利益冲突声明：揭榜方尚未声明，不能签约。"))
    if not contract.milestones.exists():
        errors.add("milestones", _("里程碑：请先设置里程碑。"))
    errors.raise_if_any()
    with transaction.atomic():
        changed = ExpertContract.objects.filter(pk=contract.pk, status=ContractStatus.DRAFT,
                                                ip_declared_at__isnull=False, coi_declared_at__isnull=False).update(
            status=ContractStatus.SIGNED, signed_at=timezone.now(), signed_by=actor)
        if changed != 1:
            raise Conflict(_("合同已签约或声明不完整。"))
        audit_record(action="contract.sign", actor=actor, obj=contract.need, after={"total_fen": contract.total_fen})
        notification_send(recipient=contract.application.researcher.user, title=_("揭榜合同已签约：%(t)s")
                          % {"t": contract.need.title}, link=f"/engagement/contracts/{contract.pk}/")
    contract.refresh_from_db()
    return contract


def milestone_submit(*, actor: User, milestone: Milestone, submission: str) -> Milestone:
    contract = milestone.contract
    if contract.application.researcher.user_id != actor.pk:
        raise NotFound(_("合同不存在，或您无权操作。"))
    errors = FieldErrors()
    if len((submission or "").strip()) < 10:
        errors.add("submission", _("成果说明：请说明交付的成果（至少 10 个字）。"))
    errors.raise_if_any()
    if contract.status != ContractStatus.SIGNED:
        raise Conflict(_("合同未签约或已完成。"))
    with transaction.atomic():
        changed = Milestone.objects.filter(pk=milestone.pk, status=MilestoneStatus.PENDING).update(
            status=MilestoneStatus.SUBMITTED, submission=submission.strip(), submitted_at=timezone.now())
        if changed != 1:
            raise Conflict(_("该里程碑已提交或已验收。"))
        audit_record(action="milestone.submit", actor=actor, obj=contract.need, after={"seq": milestone.seq})
    milestone.refresh_from_db()
    return milestone


def milestone_accept(*, actor: User, milestone: Milestone) -> MilestonePayment:
    """The enterprise signs off the deliverable: the milestone is accepted and its payment record released, once."""
    contract = milestone.contract
    own_enterprise(actor, contract.need.enterprise_id)
    with transaction.atomic():
        changed = Milestone.objects.filter(pk=milestone.pk, status=MilestoneStatus.SUBMITTED).update(
            status=MilestoneStatus.ACCEPTED, accepted_at=timezone.now(), accepted_by=actor)
        if changed != 1:
            raise Conflict(_("该里程碑尚未提交成果或已验收。"))
        payment = MilestonePayment.objects.create(milestone=milestone, amount_fen=milestone.amount_fen,
                                                  released_by=actor)
        if not contract.milestones.exclude(status=MilestoneStatus.ACCEPTED).exists():
            ExpertContract.objects.filter(pk=contract.pk, status=ContractStatus.SIGNED).update(
                status=ContractStatus.COMPLETED)
        paid = MilestonePayment.objects.filter(milestone__contract=contract).aggregate(s=Sum("amount_fen"))["s"]
        if paid > contract.total_fen:
            raise Conflict(_("付款合计超过合同金额。"))
        audit_record(action="milestone.accept", actor=actor, obj=contract.need,
                     after={"seq": milestone.seq, "amount_fen": milestone.amount_fen})
        notification_send(recipient=contract.application.researcher.user,
                          title=_("里程碑已验收，付款记录已生成：%(t)s") % {"t": milestone.title},
                          link=f"/engagement/contracts/{contract.pk}/")
    return payment
