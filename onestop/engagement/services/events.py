"""Events: plan → publish → register (talents and employers, capacity held by a conditional UPDATE) → QR check-in
→ finish. Counts per kind and year feed the targets (≥ 10 recruitment events, ≥ 20 publicity events in 2024)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.choices import Role
from onestop.core.exceptions import Conflict, NotFound
from onestop.core.models import Department, User
from onestop.core.notifications import notification_send
from onestop.core.permissions import Capability, has_capability
from onestop.core.services import FieldErrors

from ..choices import EventKind, EventStatus, EventVenue
from ..models import Event, EventRegistration


def _staff_of_event(actor: User, event: Event) -> bool:
    return event.department_id in actor.department_ids()


def event_create(*, actor: User, kind: str, title: str, venue_kind: str, location: str, starts_at: datetime | None,
                 ends_at: datetime | None, capacity: int | None, description: str = "",
                 department: Department | None = None, is_demo: bool = False) -> Event:
    """Plan an event (筹备中) in one of the actor's departments."""
    if not has_capability(actor, Capability.ENGAGEMENT_STAFF):
        raise NotFound(_("页面不存在。"))
    errors = FieldErrors()
    if kind not in EventKind.values:
        errors.add("kind", _("活动类型：请选择有效的选项。"))
    title = (title or "").strip()
    if not title:
        errors.add("title", _("活动名称：请填写活动名称。"))
    elif len(title) > 120:
        errors.add("title", _("活动名称：不能超过 120 个字符。"))
    if venue_kind not in EventVenue.values:
        errors.add("venue_kind", _("举办地：请选择有效的选项。"))
    if not (location or "").strip():
        errors.add("location", _("地点：请填写地点。"))
    if starts_at is None:
        errors.add("starts_at", _("开始时间：请填写开始时间。"))
    if ends_at is None:
        errors.add("ends_at", _("结束时间：请填写结束时间。"))
    elif starts_at is not None and ends_at <= starts_at:
        errors.add("ends_at", _("结束时间：应晚于开始时间。"))
    if capacity is None or capacity < 1:
        errors.add("capacity", _("名额：至少 1 人。"))
    department = department or Department.objects.filter(pk__in=actor.department_ids()).order_by("pk").first()
    if department is None or department.pk not in actor.department_ids():
        errors.add("department", _("主办部门：只能选择您所在的部门。"))
    errors.raise_if_any()
    assert starts_at is not None and ends_at is not None and capacity is not None and department is not None
    with transaction.atomic():
        event = Event.objects.create(kind=kind, title=title, venue_kind=venue_kind, location=location.strip(),
                                     starts_at=starts_at, ends_at=ends_at, capacity=capacity,
                                     description=(description or "").strip(), department=department,
                                     created_by=actor, is_demo=is_demo)
        audit_record(action="event.create", actor=actor, obj=event, after={"kind": kind, "title": title})
    return event


def _transition(actor: User, event: Event, to: str, allowed: list[str], action: str) -> Event:
    if not _staff_of_event(actor, event):
        raise NotFound(_("活动不存在，或您无权操作。"))
    values: dict[str, Any] = {"status": to}
    if to == EventStatus.PUBLISHED:
        values["published_at"] = timezone.now()
    with transaction.atomic():
        changed = Event.objects.filter(pk=event.pk, status__in=allowed).update(**values)
        if changed != 1:
            raise Conflict(_("活动当前状态（%(s)s）不允许该操作。") % {"s": event.get_status_display()})
        audit_record(action=f"event.{action}", actor=actor, obj=event, before={"status": event.status},
                     after={"status": to})
    event.refresh_from_db()
    return event


def event_publish(*, actor: User, event: Event) -> Event:
    return _transition(actor, event, EventStatus.PUBLISHED, [EventStatus.PLANNED], "publish")


def event_finish(*, actor: User, event: Event) -> Event:
    return _transition(actor, event, EventStatus.FINISHED, [EventStatus.PUBLISHED], "finish")


def event_cancel(*, actor: User, event: Event) -> Event:
    event = _transition(actor, event, EventStatus.CANCELLED, [EventStatus.PLANNED, EventStatus.PUBLISHED], "cancel")
    for reg in event.registrations.select_related("user"):
        notification_send(recipient=reg.user, title=_("活动已取消：%(t)s") % {"t": event.title})
    return event


def event_register(*, actor: User, event: Event, enterprise_id: int | None = None,
                   is_demo: bool = False) -> EventRegistration:
    """A talent, or an employer user on behalf of their enterprise, registers. Capacity is one conditional UPDATE
    (``registered_count < capacity``) and a check constraint, so the last seat cannot be sold twice."""
    roles = actor.role_set()
    if Role.TALENT not in roles and not actor.enterprise_ids():
        raise NotFound(_("活动不存在，或您无权报名。"))
    if enterprise_id is not None and enterprise_id not in actor.enterprise_ids():
        raise NotFound(_("单位不存在，或您无权操作。"))
    if enterprise_id is None and Role.TALENT not in roles:
        enterprise_id = min(actor.enterprise_ids())
    with transaction.atomic():
        if event.status != EventStatus.PUBLISHED or event.starts_at <= timezone.now():
            raise Conflict(_("该活动当前不在报名期。"))
        changed = Event.objects.filter(pk=event.pk, status=EventStatus.PUBLISHED,
                                       registered_count__lt=F("capacity")).update(
            registered_count=F("registered_count") + 1)
        if changed != 1:
            raise Conflict(_("名额已满。"))
        try:
            with transaction.atomic():
                registration = EventRegistration.objects.create(event=event, user=actor, enterprise_id=enterprise_id,
                                                                token=secrets.token_urlsafe(24), is_demo=is_demo)
        except IntegrityError:
            raise Conflict(_("您已报名该活动。"))
        audit_record(action="event.register", actor=actor, obj=event, after={"enterprise": enterprise_id})
    return registration


def event_checkin(*, actor: User, token: str) -> EventRegistration:
    """Staff of the organising department scan the registrant's QR code; a second scan is reported, not counted."""
    registration = EventRegistration.objects.select_related("event", "user").filter(token=token or "").first()
    if registration is None or not _staff_of_event(actor, registration.event):
        raise NotFound(_("签到码无效。"))
    if registration.event.status not in (EventStatus.PUBLISHED, EventStatus.FINISHED):
        raise Conflict(_("该活动不在签到期。"))
    with transaction.atomic():
        changed = EventRegistration.objects.filter(pk=registration.pk, checked_in_at__isnull=True).update(
            checked_in_at=timezone.now(), checked_in_by=actor)
        if changed != 1:
            raise Conflict(_("%(n)s 已签到，无需重复签到。") % {"n": registration.user.display_name})
        audit_record(action="event.checkin", actor=actor, obj=registration.event,
                     after={"registration": registration.pk})
    registration.refresh_from_db()
    return registration
