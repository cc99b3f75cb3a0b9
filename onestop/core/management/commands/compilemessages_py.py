"""Compile every .po catalog under LOCALE_PATHS to .mo with polib, so set-up needs no system gettext."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile .po message catalogs to .mo without GNU gettext (pure Python, polib)."

    def handle(self, *args: Any, **opts: Any) -> None:
        count = 0
        for base in settings.LOCALE_PATHS:
            for po_path in sorted(Path(base).glob("*/LC_MESSAGES/*.po")):
                try:
                    catalog = polib.pofile(str(po_path))
                except (OSError, ValueError) as exc:
                    raise CommandError(f"{po_path}: {exc}") from exc
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                catalog.save_as_mofile(str(mo_path))
                count += 1
        if opts.get("verbosity", 1) > 0:
            self.stdout.write(f"compiled {count} catalog(s)")
