"""Load the 人才一件事 matter catalogue (idempotent; run at deploy and by seed_demo)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from onestop.onething.catalogue import matter_catalogue_load


class Command(BaseCommand):
    help = "Create or update the one-thing matters from onestop/onething/catalogue.json."

    def handle(self, *args: Any, **opts: Any) -> None:
        result = matter_catalogue_load()
        self.stdout.write(self.style.SUCCESS(f"matters: {result['created']} created, {result['updated']} updated"))
