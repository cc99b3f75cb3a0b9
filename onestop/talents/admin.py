from django.contrib import admin

from onestop.core.admin import CapabilityAdmin

from .models import TalentProfile


@admin.register(TalentProfile)
class TalentProfileAdmin(CapabilityAdmin):
    """Read-only for the system admin: talents keep their own profile; departments work through cases."""

    list_display = ("user", "education", "industry", "employer")
    list_filter = ("education", "industry")
    raw_id_fields = ("user", "employer")
    allow_add = False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
