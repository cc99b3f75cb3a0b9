"""Publish workflow definitions: the JSON specs shipped by the apps (``<app>/workflow_definitions/*.json``) or the
files given. A changed spec becomes a new version; running cases keep theirs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onestop.core.exceptions import ValidationFailed
from onestop.workflow.definitions import read_spec, shipped_spec_files
from onestop.workflow.services import definition_publish


class Command(BaseCommand):
    help = "Publish workflow definitions from JSON specs (default: every app's workflow_definitions/*.json)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("files", nargs="*", help="spec files; default: the specs shipped by the apps")

    def handle(self, *args: Any, **opts: Any) -> None:
        files = [Path(f) for f in opts["files"]] or shipped_spec_files()
        for path in files:
            try:
                definition, created = definition_publish(spec=read_spec(path))
            except (OSError, ValueError) as exc:
                raise CommandError(f"{path}: {exc}")
            except ValidationFailed as exc:
                raise CommandError(f"{path}: " + "; ".join(exc.field_errors.get("spec", [exc.message])))
            state = "published" if created else "unchanged"
            self.stdout.write(f"{definition.code} v{definition.version}: {state}")
