"""Shared by the housing services: who may act, and the conditional status update."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.choices import AuditResult
from onestop.core.exceptions import NotFound
from onestop.core.models import User

from ..errors import TransitionNotAllowed
from ..models import (
    StayBooking,
)
from ..permissions import is_housing_staff


def _require_staff(actor: User, *, action: str, obj: Any = None) -> None:
    """Housing staff only; anyone else is told the thing does not exist (and the attempt is audited)."""
    if not is_housing_staff(actor):
        audit_record(action=action, actor=actor if actor.is_authenticated else None, obj=obj,
                     object_type="" if obj is not None else "housing", result=AuditResult.DENIED)
        raise NotFound(_("记录不存在，或您无权操作。"))


def _transition(model: Any, pk: int, *, field: str = "status", sources: tuple[str, ...], **changes: Any) -> None:
    if model.objects.filter(pk=pk, **{f"{field}__in": [str(s) for s in sources]}).update(**changes) != 1:
        raise TransitionNotAllowed(_("状态已变化，请刷新页面后重试。"))


def _station_url(booking: StayBooking) -> str:
    return reverse("housing:stay_detail", kwargs={"pk": booking.pk})
