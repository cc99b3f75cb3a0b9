"""``manage.py backup [--to DIR]``: one archive with the database, every stored file and a manifest."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from onestop.core.backup import backup_create


class Command(BaseCommand):
    help = "Back up the database (online) and the stored files into one archive with a manifest of checksums."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--to", default=str(Path(settings.BASE_DIR) / "var" / "backups"),
                            help="directory for the archive (default var/backups)")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        archive = backup_create(Path(options["to"]))
        size = archive.stat().st_size
        self.stdout.write(self.style.SUCCESS(
            f"backup written: {archive} ({size / 1_048_576:.1f} MiB, {time.monotonic() - started:.1f} s)"))
