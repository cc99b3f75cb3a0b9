"""Back office: the system admin configures entitlements and which card class carries which (data, not code); keys
and cards are shown read-only (their changes go through services: rotation command, lifecycle handlers)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from onestop.core.admin import CapabilityAdmin

from .models import ClassEntitlement, Entitlement, GreenCard, SigningKey


@admin.register(Entitlement)
class EntitlementAdmin(CapabilityAdmin):
    list_display = ("name", "code", "sort_order", "is_active")
    list_filter = ("is_active",)


@admin.register(ClassEntitlement)
class ClassEntitlementAdmin(CapabilityAdmin):
    list_display = ("card_class", "entitlement")
    list_filter = ("card_class",)
    allow_delete = True


class ReadOnlyAdmin(CapabilityAdmin):
    allow_add = False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SigningKey)
class SigningKeyAdmin(ReadOnlyAdmin):
    list_display = ("kid", "status", "created_at", "retired_at", "verify_until")
    exclude = ("private_key",)


@admin.register(GreenCard)
class GreenCardAdmin(ReadOnlyAdmin):
    list_display = ("card_id", "card_class", "status", "valid_from", "valid_until", "issued_at")
    list_filter = ("status", "card_class")
    search_fields = ("card_id",)
    exclude = ("token", "photo")
