"""The core part of the JSON API: who am I, my notifications, the departments, registration."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import django_auth

from .models import Department, Notification
from .notifications import notification_mark_read, notifications_for, unread_count
from .permissions import capabilities

router = Router(tags=["core"])


class MeOut(Schema):
    id: int
    account_type: str
    real_name: str
    phone_masked: str
    id_number_masked: str
    roles: list[str]
    capabilities: list[str]
    unread_notifications: int


class DepartmentOut(Schema):
    code: str
    name: str
    name_en: str


class NotificationOut(Schema):
    id: int
    title: str
    body: str
    link: str
    created_at: datetime
    read_at: datetime | None


@router.get("/me", response=MeOut, auth=django_auth, summary="当前用户 / The signed-in user")
def me(request: HttpRequest) -> MeOut:
    user = request.user
    return MeOut(
        id=int(user.pk or 0), account_type=user.account_type, real_name=user.real_name,  # type: ignore[union-attr]
        phone_masked=user.masked_phone, id_number_masked=user.masked_id_number,  # type: ignore[union-attr]
        roles=sorted(user.role_set()), capabilities=sorted(capabilities(user)),  # type: ignore[union-attr,arg-type]
        unread_notifications=unread_count(user=user),  # type: ignore[arg-type]
    )


@router.get("/departments", response=list[DepartmentOut], summary="部门列表 / Departments")
def departments(request: HttpRequest) -> list[Department]:
    return list(Department.objects.filter(is_active=True))


@router.get("/notifications", response=list[NotificationOut], auth=django_auth, summary="我的通知 / My notifications")
@paginate(LimitOffsetPagination)
def notifications(request: HttpRequest, unread: bool = False):  # type: ignore[no-untyped-def]
    return notifications_for(user=request.user, unread_only=unread)  # type: ignore[arg-type]


@router.post("/notifications/{notification_id}/read", response=NotificationOut, auth=django_auth,
             summary="标记已读 / Mark read")
def notification_read(request: HttpRequest, notification_id: int) -> Notification:
    get_object_or_404(Notification, pk=notification_id, recipient=request.user)
    return notification_mark_read(user=request.user, notification_id=notification_id)  # type: ignore[arg-type]
