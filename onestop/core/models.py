"""Identity, organisation, audit trail and notifications: the core every module builds on."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import crypto
from .choices import (
    ADMIN_ROLES,
    DEPARTMENT_ROLES,
    EMPLOYER_ROLES,
    PARTNER_ROLES,
    UNSCOPED_ROLES,
    AccountType,
    AuditResult,
    IdType,
    NotificationChannel,
    PartnerKind,
    Role,
)
from .fields import EncryptedTextField
from .masking import mask_id_number, mask_phone

OTP_ACCOUNT_TYPES = (AccountType.STAFF, AccountType.ADMIN, AccountType.PARTNER)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, username: str | None = None, password: str | None = None, **extra: Any) -> User:
        user = self.model(username=username or None, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **extra: Any) -> User:
        """Only for emergencies: the platform's administrators are the three separated roles (三员)."""
        extra.setdefault("account_type", AccountType.ADMIN)
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("real_name", username)
        return self.create_user(username, password, **extra)

    def get_by_phone(self, phone: str) -> User:
        return self.get(phone_index=crypto.blind_index(phone, purpose="phone"))


class User(AbstractBaseUser, PermissionsMixin):
    """One account per person. Talents and employer users log in by mobile number, staff by username."""

    username = models.CharField(_("用户名"), max_length=64, unique=True, null=True, blank=True)
    account_type = models.CharField(_("账号类型"), max_length=16, choices=AccountType.choices)
    real_name = models.CharField(_("姓名"), max_length=64)
    phone = EncryptedTextField(_("手机号"), null=True, blank=True)
    phone_index = models.CharField(max_length=40, null=True, blank=True, unique=True, editable=False)
    id_type = models.CharField(_("证件类型"), max_length=16, choices=IdType.choices, blank=True)
    id_number = EncryptedTextField(_("证件号码"), null=True, blank=True)
    id_number_index = models.CharField(max_length=40, null=True, blank=True, unique=True, editable=False)
    email = models.EmailField(_("电子邮箱"), blank=True)
    preferred_language = models.CharField(_("语言"), max_length=8, default="zh-hans")
    is_active = models.BooleanField(_("启用"), default=True)
    is_staff = models.BooleanField(_("可进入管理后台"), default=False)
    is_demo = models.BooleanField(_("演示数据"), default=False)
    date_joined = models.DateTimeField(_("注册时间"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=Q(account_type__in=[c.value for c in AccountType]), name="user_account_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(username__isnull=False) | Q(phone_index__isnull=False),
                name="user_has_login_identifier",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.real_name or self.username or mask_phone(self.phone)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def needs_second_factor(self) -> bool:
        return self.account_type in OTP_ACCOUNT_TYPES

    def set_phone(self, phone: str | None) -> None:
        self.phone = phone or None
        self.phone_index = crypto.blind_index(phone, purpose="phone") if phone else None

    def set_id_number(self, id_type: str, number: str | None) -> None:
        self.id_type = id_type if number else ""
        self.id_number = number or None
        self.id_number_index = crypto.blind_index(f"{id_type}:{number}", purpose="id") if number else None

    # Role helpers: tiny predicates, the policies live in permissions.py.
    def role_set(self) -> set[str]:
        cache = getattr(self, "_role_cache", None)
        if cache is None:
            cache = list(self.role_assignments.values_list("role", "department_id", "enterprise_id", "partner_id"))
            self._role_cache = cache
        return {row[0] for row in cache}

    def role_rows(self) -> list[tuple[str, int | None, int | None, int | None]]:
        self.role_set()
        return list(self._role_cache)

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_set() & set(roles))

    def department_ids(self, *roles: str) -> set[int]:
        wanted = set(roles or DEPARTMENT_ROLES)
        return {d for r, d, _e, _p in self.role_rows() if r in wanted and d is not None}

    def enterprise_ids(self, *roles: str) -> set[int]:
        wanted = set(roles or EMPLOYER_ROLES)
        return {e for r, _d, e, _p in self.role_rows() if r in wanted and e is not None}

    def partner_ids(self) -> set[int]:
        return {p for r, _d, _e, p in self.role_rows() if r in PARTNER_ROLES and p is not None}

    def forget_roles(self) -> None:
        self.__dict__.pop("_role_cache", None)


class Department(models.Model):
    """A zone department. Departments are data: adding one needs no code."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    name_en = models.CharField(_("英文名称"), max_length=128)
    short_name = models.CharField(_("简称"), max_length=16, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("部门")
        verbose_name_plural = _("部门")

    def __str__(self) -> str:
        return self.name


class PartnerOrganization(models.Model):
    """A hospital, school, bank or park desk that checks green cards."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=128)
    name_en = models.CharField(_("英文名称"), max_length=128, blank=True)
    kind = models.CharField(_("类型"), max_length=16, choices=PartnerKind.choices)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("合作服务机构")
        verbose_name_plural = _("合作服务机构")

    def __str__(self) -> str:
        return self.name


def _in(roles: tuple[str, ...]) -> Q:
    return Q(role__in=[str(r) for r in roles])


class RoleAssignment(models.Model):
    """A role held by a user, scoped to a department, an enterprise or a partner organisation where it needs one.

    The database carries the invariants: the scope matches the role, nobody holds the same role twice in one scope,
    and nobody holds two of the three separated administrator roles (三员).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("角色"), max_length=24, choices=Role.choices)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT)
    enterprise = models.ForeignKey("employers.Enterprise", null=True, blank=True, on_delete=models.CASCADE)
    partner = models.ForeignKey(PartnerOrganization, null=True, blank=True, on_delete=models.PROTECT)
    granted_at = models.DateTimeField(default=timezone.now)
    granted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            models.CheckConstraint(
                name="role_scope_matches",
                condition=(
                    (_in(DEPARTMENT_ROLES) & Q(department__isnull=False, enterprise__isnull=True, partner__isnull=True))
                    | (_in(EMPLOYER_ROLES) & Q(department__isnull=True, enterprise__isnull=False, partner__isnull=True))
                    | (_in(PARTNER_ROLES) & Q(department__isnull=True, enterprise__isnull=True, partner__isnull=False))
                    | (_in(UNSCOPED_ROLES) & Q(department__isnull=True, enterprise__isnull=True, partner__isnull=True))
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "department"], condition=Q(department__isnull=False), name="role_once_per_dept"
            ),
            models.UniqueConstraint(
                fields=["user", "role", "enterprise"], condition=Q(enterprise__isnull=False), name="role_once_per_ent"
            ),
            models.UniqueConstraint(
                fields=["user", "role", "partner"], condition=Q(partner__isnull=False), name="role_once_per_partner"
            ),
            models.UniqueConstraint(fields=["user", "role"], condition=_in(UNSCOPED_ROLES), name="role_once_unscoped"),
            # The three administrators and the auditor: at most one of these roles per account (三员分立).
            models.UniqueConstraint(fields=["user"], condition=_in((*ADMIN_ROLES, Role.AUDITOR)),
                                    name="one_admin_role_per_user"),
        ]

    def __str__(self) -> str:
        scope = self.department or self.enterprise or self.partner
        return f"{self.get_role_display()}" + (f" · {scope}" if scope else "")


class AuditEvent(models.Model):
    """An append-only, hash-chained record of a sensitive action. Never updated, never deleted.

    ``hash = sha256(prev_hash || canonical JSON of the event)``; ``prev_hash`` is unique, so the chain cannot fork even
    under concurrent writers. On PostgreSQL a trigger refuses UPDATE and DELETE; on SQLite a trigger refuses UPDATE.
    """

    seq = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
                              related_name="+")
    actor_label = models.CharField(_("操作人"), max_length=128, blank=True)
    role = models.CharField(_("角色"), max_length=64, blank=True)
    department = models.CharField(_("部门"), max_length=64, blank=True)
    source_ip = models.GenericIPAddressField(_("来源 IP"), null=True, blank=True)
    action = models.CharField(_("动作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    result = models.CharField(_("结果"), max_length=16, choices=AuditResult.choices, default=AuditResult.SUCCESS)
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)
    detail = models.JSONField(_("详情"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64, unique=True)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        indexes = [models.Index(fields=["actor", "occurred_at"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"


class AuditChainHead(models.Model):
    """The single row that serialises appends and remembers the last link (so a deleted tail is detected too)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="audit_head_singleton")]

    def __str__(self) -> str:
        return f"audit head #{self.last_seq}"


class Notification(models.Model):
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.title


class NotificationDelivery(models.Model):
    """One attempt to deliver a notification outside the inbox (SMS, email)."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=8, choices=NotificationChannel.choices)
    status = models.CharField(max_length=12, default="pending")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notification", "channel"], name="one_delivery_per_channel")]

    def __str__(self) -> str:
        return f"{self.notification_id}:{self.channel}:{self.status}"


class WorkerHeartbeat(models.Model):
    """Written by every task worker every few seconds; /healthz reads it."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=128, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return self.worker_id


class Announcement(models.Model):
    """News on the public home page (policy releases, events). Managed by the system administrator."""

    title = models.CharField(_("标题"), max_length=200)
    title_en = models.CharField(_("英文标题"), max_length=200, blank=True)
    summary = models.TextField(_("摘要"), blank=True)
    summary_en = models.TextField(_("英文摘要"), blank=True)
    published_at = models.DateTimeField(_("发布时间"), default=timezone.now, db_index=True)
    is_published = models.BooleanField(_("已发布"), default=True)

    class Meta:
        ordering = ["-published_at"]
        verbose_name = _("公告")
        verbose_name_plural = _("公告")

    def __str__(self) -> str:
        return self.title
