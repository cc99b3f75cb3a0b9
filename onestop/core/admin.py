from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Announcement, Department, PartnerOrganization, RoleAssignment, User
from .permissions import Capability, has_capability


class CapabilityAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Admin access decided by platform capabilities, not Django's per-model permission table."""

    view_capability: Capability = Capability.USERS_MANAGE
    change_capability: Capability = Capability.USERS_MANAGE
    allow_add = True
    allow_delete = False

    def _can(self, request: HttpRequest, cap: Capability) -> bool:
        return bool(request.user.is_authenticated and has_capability(request.user, cap))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._can(request, self.view_capability) or self._can(request, self.change_capability)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._can(request, self.change_capability)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.allow_add and self._can(request, self.change_capability)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.allow_delete and self._can(request, self.change_capability)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from .audit import audit_record

        before = {k: str(form.initial.get(k)) for k in form.changed_data} if change else None
        super().save_model(request, obj, form, change)
        audit_record(action=f"admin.{'change' if change else 'add'}", actor=request.user, obj=obj,  # type: ignore[arg-type]
                     before=before, after={k: str(form.cleaned_data.get(k)) for k in form.changed_data})


@admin.register(Department)
class DepartmentAdmin(CapabilityAdmin):
    list_display = ("code", "name", "name_en", "sort_order", "is_active")
    search_fields = ("code", "name", "name_en")


@admin.register(PartnerOrganization)
class PartnerAdmin(CapabilityAdmin):
    list_display = ("code", "name", "kind", "is_active")
    list_filter = ("kind",)


@admin.register(Announcement)
class AnnouncementAdmin(CapabilityAdmin):
    list_display = ("title", "published_at", "is_published")


@admin.register(User)
class UserAdmin(CapabilityAdmin):
    """The system admin manages accounts; personal numbers are shown masked and cannot be edited here."""

    list_display = ("id", "username", "real_name", "masked_phone", "account_type", "is_active", "date_joined")
    list_filter = ("account_type", "is_active")
    search_fields = ("username", "real_name")
    fields = ("username", "real_name", "account_type", "email", "masked_phone", "masked_id_number", "is_active",
              "date_joined", "last_login")
    readonly_fields = ("masked_phone", "masked_id_number", "account_type", "date_joined", "last_login")
    allow_add = False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if "is_active" in form.changed_data:
            from .services import user_set_active

            active = obj.is_active
            obj.is_active = not active
            other = [f for f in form.changed_data if f != "is_active"]
            if other:
                super().save_model(request, obj, form, change)
            user_set_active(user=obj, active=active, actor=request.user)  # type: ignore[arg-type]
            return
        super().save_model(request, obj, form, change)


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(CapabilityAdmin):
    """Only the security admin grants and revokes roles, through the services that keep 三员 separated."""

    view_capability = Capability.ROLES_MANAGE
    change_capability = Capability.ROLES_MANAGE
    list_display = ("user", "role", "department", "enterprise", "partner", "granted_at")
    list_filter = ("role", "department")
    raw_id_fields = ("user", "enterprise", "granted_by")
    readonly_fields = ("granted_by", "granted_at")
    allow_delete = True

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from .services import role_assign

        role_assign(user=obj.user, role=obj.role, actor=request.user,  # type: ignore[arg-type]
                    department=obj.department, enterprise=obj.enterprise, partner=obj.partner)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        from .services import role_revoke

        role_revoke(assignment=obj, actor=request.user)  # type: ignore[arg-type]


def _register_axes() -> None:
    """Lockouts: the security admin sees attempts and lifts a lockout by deleting it."""
    from axes.models import AccessAttempt, AccessFailureLog

    for model in (AccessAttempt, AccessFailureLog):
        if admin.site.is_registered(model):
            admin.site.unregister(model)

    @admin.register(AccessAttempt)
    class AccessAttemptAdmin(CapabilityAdmin):
        view_capability = Capability.SECURITY_MANAGE
        change_capability = Capability.SECURITY_MANAGE
        list_display = ("attempt_time", "ip_address", "username", "failures_since_start")
        allow_add = False
        allow_delete = True

        def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
            return False

    @admin.register(AccessFailureLog)
    class AccessFailureLogAdmin(CapabilityAdmin):
        view_capability = Capability.SECURITY_MANAGE
        change_capability = Capability.SECURITY_MANAGE
        list_display = ("attempt_time", "ip_address", "username", "locked_out")
        allow_add = False

        def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
            return False


_register_axes()
