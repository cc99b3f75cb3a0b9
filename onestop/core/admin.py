from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import password_validation
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from . import crypto
from .choices import AccountType
from .exceptions import ApplicationError
from .models import Announcement, Department, PartnerOrganization, RoleAssignment, User
from .permissions import Capability, has_capability

SECRET_FORM_FIELDS = frozenset({"password", "password1", "password2"})


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

    def changeform_view(self, request: HttpRequest, object_id: str | None = None, form_url: str = "",
                        extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """A change a service refuses (三员, disabling oneself) is rolled back and shown as a message, not a 500."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request: HttpRequest, object_id: str,
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except ApplicationError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from .audit import audit_record

        # Passwords never enter the audit trail: it is append-only, so a leaked value could never be removed.
        changed = [k for k in form.changed_data if k not in SECRET_FORM_FIELDS]
        before = {k: str(form.initial.get(k)) for k in changed} if change else None
        super().save_model(request, obj, form, change)
        audit_record(action=f"admin.{'change' if change else 'add'}", actor=request.user, obj=obj,  # type: ignore[arg-type]
                     before=before, after={k: str(form.cleaned_data.get(k)) for k in changed})


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


class StaffAccountCreationForm(forms.ModelForm):  # type: ignore[type-arg]
    """The system admin opens staff, partner and admin accounts; talents and employers register themselves."""

    password1 = forms.CharField(label=_("初始密码"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("确认初始密码"), widget=forms.PasswordInput, strip=False)

    class Meta:
        model = User
        fields = ("username", "real_name", "account_type", "email")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].required = True
        field = self.fields["account_type"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(v, label) for v, label in AccountType.choices
                         if v in (AccountType.STAFF, AccountType.PARTNER, AccountType.ADMIN)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("确认初始密码：两次输入的密码不一致。"))
        elif p1:
            try:
                password_validation.validate_password(p1, User(username=data.get("username"),
                                                               real_name=data.get("real_name", "")))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data

    def save(self, commit: bool = True) -> User:
        user: User = super().save(commit=False)
        user.set_password(self.cleaned_data["password1"])
        if commit:
            user.save()
        return user


@admin.register(User)
class UserAdmin(CapabilityAdmin):
    """The system admin manages accounts; personal numbers are shown masked and cannot be edited here."""

    add_form = StaffAccountCreationForm
    add_fields = ("username", "real_name", "account_type", "email", "password1", "password2")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = self.add_form
            kwargs["fields"] = self.add_fields
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.add_fields if obj is None else super().get_fields(request, obj)

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        """A mobile number or ID number is found through its blind index (the columns are encrypted)."""
        from .auth import normalize_identifier

        kind, value = normalize_identifier(search_term)
        if kind == "phone":
            return queryset.filter(phone_index=crypto.blind_index(value, purpose="phone")), False
        term = search_term.strip().upper()
        if len(term) == 18 and term[:17].isdigit():
            return queryset.filter(id_number_index=crypto.blind_index(f"resident_id:{term}", purpose="id")), False
        return super().get_search_results(request, queryset, search_term)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else super().get_readonly_fields(request, obj)

    list_display = ("id", "username", "real_name", "masked_phone", "account_type", "is_active", "date_joined")
    list_filter = ("account_type", "is_active")
    search_fields = ("username", "real_name")
    fields = ("username", "real_name", "account_type", "email", "masked_phone", "masked_id_number", "is_active",
              "date_joined", "last_login")
    readonly_fields = ("masked_phone", "masked_id_number", "account_type", "date_joined", "last_login")

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
