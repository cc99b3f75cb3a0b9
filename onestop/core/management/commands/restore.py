"""``manage.py restore ARCHIVE --yes``: replace the database and files by a backup, then verify the result."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onestop.core.backup import BackupError, backup_restore, verify_restored


class Command(BaseCommand):
    help = "Restore a backup archive (checksums verified first), then compare row counts and the audit chain."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("archive")
        parser.add_argument("--yes", action="store_true", help="confirm: the current data is replaced")
        parser.add_argument("--no-files", action="store_true", help="restore the database only")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["yes"]:
            raise CommandError("restore replaces the current database and files; run again with --yes")
        started = time.monotonic()
        try:
            manifest = backup_restore(Path(options["archive"]), files=not options["no_files"])
        except BackupError as exc:
            raise CommandError(f"restore refused: {exc}") from exc
        report = verify_restored(manifest)
        if not report.ok:
            raise CommandError("restored, but it does not match the backup:\n" + "\n".join(report.mismatches))
        self.stdout.write(self.style.SUCCESS(
            f"restored and verified: {report.tables} tables, {report.rows} rows, {report.files} files, "
            f"{report.audit_events} audit events in an intact chain ({time.monotonic() - started:.1f} s)"))
