"""In-app notifications with SMS/email delivery after the transaction commits."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from django.db import transaction
from django.utils import timezone

from .choices import NotificationChannel
from .exceptions import NotFound
from .models import Notification, NotificationDelivery, User


def notification_send(*, recipient: User, title: str, body: str = "", link: str = "",
                      channels: Iterable[str] = ()) -> Notification:
    """Put a message in the inbox; SMS/email copies are sent by a background task once the change commits."""
    with transaction.atomic():
        note = Notification.objects.create(recipient=recipient, title=title[:200], body=body, link=link)
        wanted = [c for c in channels if c in (NotificationChannel.SMS, NotificationChannel.EMAIL)]
        for channel in wanted:
            NotificationDelivery.objects.create(notification=note, channel=channel)
        if wanted:
            from .tasks import deliver_notification

            transaction.on_commit(partial(deliver_notification.enqueue, note.pk))
    return note


def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    updated = Notification.objects.filter(pk=notification_id, recipient=user, read_at__isnull=True).update(
        read_at=timezone.now())
    note = Notification.objects.filter(pk=notification_id, recipient=user).first()
    if note is None:
        raise NotFound("通知不存在。")
    del updated
    return note


def notification_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


def notifications_for(*, user: User, unread_only: bool = False):  # type: ignore[no-untyped-def]
    qs = Notification.objects.filter(recipient=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
