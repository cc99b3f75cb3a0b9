"""Employer funding (引才育才工作经费): the quote from the published rule set, the application reviewed on the
workflow, the annual cap held by a conditional UPDATE, the workflow outcome handlers and the payments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.exceptions import Conflict, NotFound
from onestop.core.models import User
from onestop.core.services import FieldErrors

from ..choices import (
    EnterpriseStatus,
    FundingStatus,
)
from ..models import (
    Enterprise,
    FundingApplication,
    FundingLedger,
    FundingPayment,
)
from .common import REVIEW_DEPARTMENT, _notify_enterprise, in_department, own_enterprise

FUNDING_POLICY = "employer-talent-funding"
FUNDING_RULE = "employer_funding"
FUNDING_CAP_PARAM = "funding_cap"
FUNDING_DEFINITION = "employer_funding"


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
