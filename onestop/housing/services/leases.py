"""Leases: renewal, move-out, review after a revoked certification."""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.exceptions import ValidationFailed
from onestop.core.models import User
from onestop.core.notifications import notification_send
from onestop.core.services import FieldErrors
from onestop.workflow import calendar as wd

from .. import rules
from ..choices import (
    LeaseStatus,
    RuleSetKind,
    UnitStatus,
)
from ..errors import TransitionNotAllowed
from ..models import (
    Lease,
    Unit,
)
from ..permissions import housing_staff_users
from .common import _require_staff, _transition

# --- leases ----------------------------------------------------------------------------------------------------------

def lease_renew(*, lease: Lease, actor: User, today: date | None = None) -> Lease:
    _require_staff(actor, action="housing.lease.renew", obj=lease)
    day = today or wd.today()
    rule_set = (lease.offer.application.round.rule_set if lease.offer is not None
                else rules.active(RuleSetKind.APARTMENT))
    months = int(rules.param(rule_set, "lease_months", as_of=day))
    max_renewals = int(rules.param(rule_set, "max_renewals", as_of=day))
    if lease.review_flag:
        raise TransitionNotAllowed(_("该合同待复核（人才认定已撤销），复核完成前不能续租。"))
    if lease.renewals >= max_renewals:
        raise TransitionNotAllowed(_("已续租 %(n)d 次，达到上限。") % {"n": lease.renewals})
    with transaction.atomic():
        if Lease.objects.filter(pk=lease.pk, status=LeaseStatus.ACTIVE, renewals=lease.renewals,
                                review_flag=False).update(end_date=lease.end_date + relativedelta(months=months),
                                                          renewals=F("renewals") + 1) != 1:
            raise TransitionNotAllowed(_("状态已变化，请刷新页面后重试。"))
        lease.refresh_from_db()
        audit_record(action="housing.lease.renew", actor=actor, obj=lease,
                     after={"end_date": lease.end_date.isoformat(), "renewals": lease.renewals})
        notification_send(recipient=lease.tenant, title=_("人才公寓已续租"),
                          body=_("新的到期日：%(d)s。") % {"d": lease.end_date.isoformat()},
                          link=reverse("housing:lease_detail", kwargs={"pk": lease.pk}))
    return lease


def lease_move_out(*, lease: Lease, actor: User, moved_out_on: date, deposit_returned_fen: int,
                   deposit_note: str = "") -> Lease:
    _require_staff(actor, action="housing.lease.move_out", obj=lease)
    errors = FieldErrors()
    if moved_out_on < lease.start_date:
        errors.add("moved_out_on", _("退租日：不能早于起租日。"))
    if not 0 <= deposit_returned_fen <= lease.deposit_fen:
        errors.add("deposit_returned_fen", _("退还押金：应在 0 至押金金额之间。"))
    if deposit_returned_fen < lease.deposit_fen and not deposit_note.strip():
        errors.add("deposit_note", _("押金扣减说明：扣减押金时请说明原因。"))
    errors.raise_if_any()
    with transaction.atomic():
        _transition(Lease, lease.pk, sources=(LeaseStatus.ACTIVE,), status=LeaseStatus.ENDED,
                    moved_out_on=moved_out_on, deposit_returned_fen=deposit_returned_fen,
                    deposit_note=deposit_note.strip()[:200])
        Unit.objects.filter(pk=lease.unit_id).update(status=UnitStatus.VACANT)
        lease.refresh_from_db()
        audit_record(action="housing.lease.move_out", actor=actor, obj=lease,
                     after={"moved_out_on": moved_out_on.isoformat(), "deposit_returned_fen": deposit_returned_fen})
        notification_send(recipient=lease.tenant, title=_("人才公寓退租已办结"),
                          body=_("退还押金 %(m)s 元。%(n)s") % {"m": f"{deposit_returned_fen / 100:.2f}",
                                                            "n": deposit_note},
                          link=reverse("housing:lease_detail", kwargs={"pk": lease.pk}))
    return lease


def lease_review_clear(*, lease: Lease, actor: User, note: str) -> Lease:
    _require_staff(actor, action="housing.lease.review", obj=lease)
    if not note.strip():
        raise ValidationFailed(_("提交的信息有误，请按提示修改。"), field_errors={"note": [_("复核意见：请填写。")]})
    with transaction.atomic():
        _transition(Lease, lease.pk, field="review_flag", sources=(True,), review_flag=False,  # type: ignore[arg-type]
                    review_reason=f"{lease.review_reason}\n{_('复核意见')}：{note.strip()}"[:2000])
        audit_record(action="housing.lease.review", actor=actor, obj=lease, detail={"note": note})
    lease.refresh_from_db()
    return lease


def leases_flag_for_revocation(*, talent_user_id: int, certificate_number: str, reason: str) -> int:
    """The talent's certification was revoked: active leases are flagged for review (never ended automatically:
    a person decides), housing staff are told."""
    flagged = 0
    text = _("人才认定（证书 %(n)s）已撤销：%(r)s") % {"n": certificate_number, "r": reason}
    for lease in Lease.objects.filter(tenant_id=talent_user_id, status=LeaseStatus.ACTIVE):
        Lease.objects.filter(pk=lease.pk).update(review_flag=True, review_reason=text[:2000])
        audit_record(action="housing.lease.flag", obj=lease, detail={"certificate": certificate_number})
        flagged += 1
        for staff in housing_staff_users():
            notification_send(recipient=staff, title=_("人才公寓合同待复核：%(u)s") % {"u": lease.unit.code},
                              body=text, link=reverse("housing:lease_detail", kwargs={"pk": lease.pk}))
    return flagged
