"""Load the shipped 2024 targets, the monitoring indicators and the 2023 results (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load the 2024 targets and the 2023 results (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--carry-forward", type=int, metavar="YEAR",
                            help="also start YEAR's targets as a copy of 2024's (for the departments to adjust)")

    def handle(self, *args: Any, **opts: Any) -> None:
        from onestop.targets.services import targets_carry_forward, targets_load

        result = targets_load(year=2024)
        self.stdout.write(f"targets 2024: {result['created']} created, {result['updated']} updated; "
                          f"2023 results: {result['history']}")
        if opts.get("carry_forward"):
            made = targets_carry_forward(from_year=2024, to_year=opts["carry_forward"])
            self.stdout.write(f"targets {opts['carry_forward']}: {made} carried forward from 2024")
