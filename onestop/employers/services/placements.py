"""区聘企用: the talent office or HRSS places a zone-hired talent in an enterprise, which evaluates them quarterly;
renewal and early end."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.exceptions import Conflict, NotFound
from onestop.core.models import User
from onestop.core.services import FieldErrors
from onestop.core.validators import normalize_uscc

from ..choices import (
    EvaluationGrade,
    PlacementStatus,
)
from ..models import (
    Enterprise,
    Placement,
    PlacementEvaluation,
)
from .common import PLACEMENT_DEPARTMENTS, _notify_enterprise, in_department, own_enterprise


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
