"""Reads used by views, always scoped to the user asking."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import Announcement, AuditEvent, Department, User
from .permissions import Capability, has_capability


def announcements_public(*, limit: int = 6) -> QuerySet[Announcement]:
    return Announcement.objects.filter(is_published=True, published_at__lte=timezone.now())[:limit]


def departments_for_staff(*, user: User) -> QuerySet[Department]:
    return Department.objects.filter(pk__in=user.department_ids(), is_active=True)


def audit_events_for(*, user: User, q: str = "", action: str = "", result: str = "",
                     date_from: date | None = None, date_to: date | None = None) -> QuerySet[AuditEvent]:
    """Audit events for the audit admin and auditors only; everybody else gets nothing."""
    if not has_capability(user, Capability.AUDIT_READ):
        return AuditEvent.objects.none()
    qs = AuditEvent.objects.all()
    if q:
        qs = qs.filter(Q(action__icontains=q) | Q(object_repr__icontains=q) | Q(actor_label__icontains=q)
                       | Q(object_id=q))
    if action:
        qs = qs.filter(action=action)
    if result:
        qs = qs.filter(result=result)
    tz = timezone.get_current_timezone()
    if date_from:
        qs = qs.filter(occurred_at__gte=datetime.combine(date_from, time.min, tzinfo=tz))
    if date_to:
        qs = qs.filter(occurred_at__lt=datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz))
    return qs.order_by("-seq")


def registrations_by_day(*, days: int = 30) -> dict[str, Any]:
    """Accounts registered per day and account type over the last ``days`` days (the staff home chart)."""
    tz = timezone.get_current_timezone()
    start = timezone.localdate() - timedelta(days=days - 1)
    rows = (
        User.objects.filter(date_joined__gte=datetime.combine(start, time.min, tzinfo=tz),
                            account_type__in=["talent", "employer"])
        .annotate(day=TruncDate("date_joined", tzinfo=tz))
        .values("day", "account_type")
        .annotate(n=Count("id"))
    )
    labels = [(start + timedelta(days=i)).isoformat() for i in range(days)]
    series: dict[str, list[int]] = {"talent": [0] * days, "employer": [0] * days}
    index = {d: i for i, d in enumerate(labels)}
    for row in rows:
        key = row["day"].isoformat() if row["day"] else None
        if key in index:
            series[row["account_type"]][index[key]] = row["n"]
    return {"labels": labels, "series": series}


def platform_counts() -> dict[str, int]:
    from onestop.employers.models import Enterprise

    by_type = dict(User.objects.values_list("account_type").annotate(n=Count("id")))
    return {
        "talents": by_type.get("talent", 0),
        "employer_users": by_type.get("employer", 0),
        "enterprises": Enterprise.objects.count(),
        "departments": Department.objects.filter(is_active=True).count(),
    }
