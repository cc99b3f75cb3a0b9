"""Authentication: mobile number or username + password, lockout through django-axes, audited outcomes."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.exceptions import ValidationError
from django.dispatch import receiver
from django.http import HttpRequest

from . import crypto
from .choices import AuditResult
from .models import User
from .validators import looks_like_phone, normalize_mobile


def normalize_identifier(identifier: str) -> tuple[str, str]:
    """('phone', digits) for a mobile number, ('username', name) otherwise."""
    identifier = (identifier or "").strip()
    if looks_like_phone(identifier):
        try:
            return "phone", normalize_mobile(identifier)
        except ValidationError:
            return "username", identifier
    return "username", identifier


def find_user(identifier: str) -> User | None:
    kind, value = normalize_identifier(identifier)
    try:
        if kind == "phone":
            return User.objects.get_by_phone(value)
        return User.objects.get(username=value)
    except User.DoesNotExist:
        return None


class PhoneOrUsernameBackend(ModelBackend):
    """Talents and employer users log in by mobile number (looked up through its blind index), staff by username."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None, password: str | None = None,
                     **kwargs: Any) -> User | None:
        if not username or password is None:
            return None
        user = find_user(username)
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle for unknown accounts
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """What django-axes stores as the 'username' of an attempt: a keyed hash, so no phone number lands in its tables."""
    raw = (credentials or {}).get("username") or request.POST.get("username", "")
    kind, value = normalize_identifier(str(raw))
    if kind == "phone":
        return "phone:" + crypto.blind_index(value, purpose="phone")[:24]
    return value[:150]


def _audit(**kwargs: Any) -> None:
    from .audit import audit_record

    audit_record(**kwargs)


@receiver(user_logged_in)
def on_login(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    _audit(action="auth.login", actor=user, obj=user, result=AuditResult.SUCCESS)


@receiver(user_logged_out)
def on_logout(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        _audit(action="auth.logout", actor=user, obj=user)


@receiver(user_login_failed)
def on_login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None,
                    **kwargs: Any) -> None:
    user = find_user(str(credentials.get("username", "")))
    _audit(action="auth.login_failed", actor=None, obj=user,
           actor_label=axes_username(request, credentials) if request is not None else "",
           result=AuditResult.FAILURE)


def _connect_axes_lockout() -> None:
    from axes.signals import user_locked_out

    @receiver(user_locked_out, weak=False)
    def on_locked_out(sender: Any, request: HttpRequest, username: str, ip_address: str, **kwargs: Any) -> None:
        _audit(action="auth.locked_out", actor=None, actor_label=str(username)[:128], source_ip=ip_address,
               result=AuditResult.DENIED)


_connect_axes_lockout()


def request_user(request: HttpRequest) -> User:
    """The signed-in user of a view behind ``login_required`` (typed; anonymous here is a programming error)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionError("view requires a signed-in user")
    return user
