"""Employment confirmation: an enterprise confirms or denies that a talent works there."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.choices import AuditResult
from onestop.core.exceptions import Conflict, NotFound
from onestop.core.models import User
from onestop.core.notifications import notification_send
from onestop.core.services import FieldErrors

from ..choices import (
    EmploymentDecisionKind,
)
from ..models import (
    EmploymentDecision,
)


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
