"""Recompute a round's allocation from its published files and compare with the published result, byte for byte.

    manage.py housing_recompute 2026-01                 # the files as the platform publishes them
    manage.py housing_recompute 2026-01 --dir ./files   # files downloaded by anyone (applicants.json, preferences.json,
                                                        # seed.txt, result.json)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onestop.housing import lottery
from onestop.housing.models import AllocationRound, Publication

NAMES = ("applicants.json", "preferences.json", "seed.txt", "result.json")


class Command(BaseCommand):
    help = "Recompute a round's lottery from the published files; exit 1 unless it reproduces result.json exactly."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("round", help="批次编号 / round code")
        parser.add_argument("--dir", help="read the four published files from this directory instead")
        parser.add_argument("--print", action="store_true", help="write the recomputed result to stdout")

    def handle(self, *args: Any, **opts: Any) -> None:
        files = self._files(opts["round"], opts.get("dir"))
        try:
            recomputed = lottery.recompute(applicants_doc=json.loads(files["applicants.json"]),
                                           preferences_bytes=files["preferences.json"],
                                           seed=files["seed.txt"].decode("utf-8"))
        except lottery.PublicationMismatch as exc:
            raise CommandError(f"published files are inconsistent: {exc}")
        if opts["print"]:
            sys.stdout.buffer.write(recomputed)
            sys.stdout.flush()
        if recomputed != files["result.json"]:
            self.stderr.write(self.style.ERROR("MISMATCH: the recomputed allocation differs from result.json"))
            sys.exit(1)
        self.stderr.write(self.style.SUCCESS(
            f"OK: result.json reproduced byte for byte (sha256 {lottery.sha256_hex(recomputed)})"))

    def _files(self, code: str, directory: str | None) -> dict[str, bytes]:
        if directory:
            base = Path(directory)
            missing = [n for n in NAMES if not (base / n).exists()]
            if missing:
                raise CommandError(f"missing files in {directory}: {', '.join(missing)}")
            return {n: (base / n).read_bytes() for n in NAMES}
        rnd = AllocationRound.objects.filter(code=code).first()
        if rnd is None:
            raise CommandError(f"no round {code}")
        pubs = {p.name: p.content.encode("utf-8") for p in Publication.objects.filter(round=rnd)}
        missing = [n for n in NAMES if n not in pubs]
        if missing:
            raise CommandError(f"round {code} has not published: {', '.join(missing)} (has the draw run?)")
        return pubs
