"""Load the zone's 2024 policy package into the catalogue (idempotent; run by `make setup` and seed_demo)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from onestop.policies.services import policy_load_package


class Command(BaseCommand):
    help = "Load the policy package fixtures (default: the 2024 package). Existing policies are left alone."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--file", type=Path, default=None)

    def handle(self, *args: Any, **opts: Any) -> None:
        result = policy_load_package(path=opts["file"])
        self.stdout.write(self.style.SUCCESS(
            f"policies: {result['created']} created, {result['skipped']} already present"))
