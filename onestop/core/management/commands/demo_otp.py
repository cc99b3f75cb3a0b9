"""Print the current one-time code of a demo staff/admin account (their TOTP secrets are derived from DEMO_OTP_SEED)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from onestop.core.demo.accounts import demo_totp_key


class Command(BaseCommand):
    help = "Show the current TOTP code of a demo account (development only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **opts: Any) -> None:
        if settings.SETTINGS_MODULE.endswith(".production"):
            raise CommandError("demo_otp never runs under production settings")
        username = opts["username"]
        device = TOTPDevice.objects.filter(user__username=username, user__is_demo=True, confirmed=True).first()
        if device is None or device.key != demo_totp_key(username):
            raise CommandError(f"{username} is not a demo account with a demo TOTP device")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{totp.token():0{device.digits}d}")
