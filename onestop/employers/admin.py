from django.contrib import admin

from onestop.core.admin import CapabilityAdmin

from .models import Enterprise


@admin.register(Enterprise)
class EnterpriseAdmin(CapabilityAdmin):
    list_display = ("name", "uscc", "industry", "status", "registered_at")
    list_filter = ("industry", "status")
    search_fields = ("name", "uscc")
