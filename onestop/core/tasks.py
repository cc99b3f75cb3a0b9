"""Background work of the core app (Django Tasks API; the django-tasks-db worker runs it)."""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from .choices import NotificationChannel
from .models import NotificationDelivery
from .sms import get_sms_backend

logger = logging.getLogger(__name__)


@task()
def deliver_notification(notification_id: int) -> dict[str, int]:
    """Send the SMS/email copies of one notification. Idempotent: a delivery already sent is skipped."""
    sent = failed = 0
    deliveries = NotificationDelivery.objects.select_related("notification__recipient").filter(
        notification_id=notification_id, status__in=["pending", "failed"]
    )
    for delivery in deliveries:
        note = delivery.notification
        user = note.recipient
        try:
            if delivery.channel == NotificationChannel.SMS:
                if not user.phone:
                    raise ValueError("recipient has no phone number")
                get_sms_backend().send(phone=user.phone, text=f"【OneStop】{note.title}")
            elif delivery.channel == NotificationChannel.EMAIL:
                if not user.email:
                    raise ValueError("recipient has no email address")
                send_mail(note.title, note.body or note.title, None, [user.email])
            with transaction.atomic():
                NotificationDelivery.objects.filter(pk=delivery.pk).update(
                    status="sent", sent_at=timezone.now(), attempts=delivery.attempts + 1, last_error="")
            sent += 1
        except Exception as exc:  # a failed gateway must not lose the inbox copy
            logger.warning("delivery %s failed: %s", delivery.pk, exc)
            NotificationDelivery.objects.filter(pk=delivery.pk).update(
                status="failed", attempts=delivery.attempts + 1, last_error=str(exc)[:300])
            failed += 1
    return {"sent": sent, "failed": failed}


@task()
def retention_task() -> dict[str, int]:
    """The daily retention run (onestop/core/retention.py), enqueued by ``platform_tick``. Checks again that no run
    is recorded today, so a slow worker and two ticks never make two runs."""
    from .retention import retention_due, retention_run

    if not retention_due():
        return {}
    return retention_run().counts
