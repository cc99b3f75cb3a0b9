"""Import registry data from another system: `manage.py import_registry social_insurance months.csv`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onestop.core.exceptions import ApplicationError
from onestop.talents.choices import ImportKind, ImportSource
from onestop.talents.importer import registry_import


class Command(BaseCommand):
    help = "Import social-insurance months, degree verifications or employer confirmations (CSV or JSON)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("kind", choices=list(ImportKind.values))
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=["csv", "json"], default=None)

    def handle(self, *args: Any, **opts: Any) -> None:
        path: Path = opts["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        fmt = opts["format"] or ("json" if path.suffix.lower() == ".json" else "csv")
        try:
            run = registry_import(kind=opts["kind"], content=path.read_bytes(), fmt=fmt, actor=None,
                                  source=ImportSource.COMMAND, file_name=path.name)
        except ApplicationError as exc:
            raise CommandError(exc.message)
        self.stdout.write(f"import #{run.pk}: {run.total} rows, {run.created} created, {run.updated} updated, "
                          f"{run.unchanged} unchanged, {run.failed} failed")
        for error in run.errors:
            self.stdout.write(f"  line {error['line']}: {error['reason']}")
