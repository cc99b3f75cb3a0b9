"""Load the official holiday calendar from the chinese-calendar package into the database::

    manage.py load_holidays --years 2024-2026      # a range
    manage.py load_holidays --years 2025            # one year
    manage.py load_holidays                         # every year the package knows from last year on

A year the package does not know (it raises for years after its release) is reported, not fatal: the system admin
enters it from the State Council's announcement at /workflow/calendar/. A year entered by the admin is kept unless
``--replace-admin``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from onestop.workflow.calendar import package_years
from onestop.workflow.services import calendar_year_load_package


def parse_years(text: str) -> list[int]:
    years: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            first, last = (int(p) for p in part.split("-", 1))
            if last < first:
                raise ValueError(part)
            years.extend(range(first, last + 1))
        else:
            years.append(int(part))
    return years


class Command(BaseCommand):
    help = "Load holidays and make-up workdays from the chinese-calendar package (e.g. --years 2024-2026)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--years", help="YYYY, YYYY-YYYY or a comma-separated list")
        parser.add_argument("--replace-admin", action="store_true",
                            help="also replace years an administrator entered by hand")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["years"]:
            try:
                years = parse_years(opts["years"])
            except ValueError:
                raise CommandError("--years: use YYYY, YYYY-YYYY or a comma-separated list")
        else:
            years = [y for y in package_years() if y >= timezone.localdate().year - 1]
        missing = []
        for year in years:
            loaded = calendar_year_load_package(year=year, replace_admin=opts["replace_admin"])
            if loaded is None:
                missing.append(year)
            else:
                self.stdout.write(f"{year}: {loaded.days.count()} days ({loaded.get_source_display()})")
        if missing:
            self.stdout.write(self.style.WARNING(
                "not in the chinese-calendar package: " + ", ".join(map(str, missing))
                + " — enter them from the State Council announcement at /workflow/calendar/ ; until then they are"
                  " counted Monday–Friday"))
