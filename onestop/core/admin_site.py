"""The Django admin is the back office of the system admin (accounts, organisation data) and the security admin
(roles, lockouts). It needs the second factor and one of those roles; the audit admin has the audit pages instead."""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .permissions import Capability, has_capability

ADMIN_CAPABILITIES = (Capability.USERS_MANAGE, Capability.ROLES_MANAGE, Capability.SECURITY_MANAGE)


def admin_has_permission(self: AdminSite, request: HttpRequest) -> bool:
    user = request.user
    return bool(
        user.is_active
        and user.is_authenticated
        and getattr(user, "is_verified", lambda: False)()
        and any(has_capability(user, cap) for cap in ADMIN_CAPABILITIES)
    )


def configure_admin(site: AdminSite) -> None:
    site.site_header = _("OneStop 管理后台")
    site.site_title = _("OneStop 管理后台")
    site.index_title = _("系统与安全管理")
    site.has_permission = admin_has_permission.__get__(site, AdminSite)  # type: ignore[method-assign]
