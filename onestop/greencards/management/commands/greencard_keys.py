"""Green card signing keys: list, rotate, mark compromised. Run by the security operator; every change is audited."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onestop.core.exceptions import ApplicationError
from onestop.greencards.models import SigningKey
from onestop.greencards.services import signing_key_compromise, signing_key_rotate


class Command(BaseCommand):
    help = "List, rotate or revoke (compromised) the Ed25519 keys that sign green cards."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="op", required=True)
        sub.add_parser("list")
        sub.add_parser("rotate")
        bad = sub.add_parser("compromise")
        bad.add_argument("kid")
        bad.add_argument("--reason", required=True)

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            if opts["op"] == "rotate":
                key = signing_key_rotate()
                self.stdout.write(self.style.SUCCESS(f"new signing key {key.kid}"))
            elif opts["op"] == "compromise":
                key = signing_key_compromise(kid=opts["kid"], reason=opts["reason"])
                self.stdout.write(self.style.WARNING(f"{key.kid} revoked; its current cards were re-signed"))
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        for key in SigningKey.objects.order_by("created_at"):
            self.stdout.write(f"{key.kid}\t{key.status}\tcreated {key.created_at:%Y-%m-%d}\t"
                              f"verify_until {key.verify_until:%Y-%m-%d}" if key.verify_until else
                              f"{key.kid}\t{key.status}\tcreated {key.created_at:%Y-%m-%d}")
