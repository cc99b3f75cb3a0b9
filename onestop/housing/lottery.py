"""The allocation of a talent-apartment round: a pure, documented function of the published files.

Nothing here touches Django or the database, and nothing depends on the machine, the time or the order of a dict:
anyone holding the four published files of a round recomputes the same bytes (docs/housing.md carries a standalone
copy of this algorithm; ``tests/test_lottery.py`` runs that copy in a subprocess and compares byte for byte).

Algorithm ``onestop-housing-lottery/1``
---------------------------------------
Inputs: ``applicants`` (code, rank, guaranteed), ``units`` (code, layout), ``preferences`` (code → ordered layouts),
``seed`` (64 hex characters, revealed after the draw; its SHA-256 was published before).

1. Draw key of an applicant: ``sha256(seed + ":" + code)`` as lowercase hex.
2. Order: ascending ``rank`` (ranks come from the rules: group, points, tie-breakers; equal ranks are true ties),
   then ascending draw key. The lottery therefore only decides between applicants of equal rank.
3. Units are grouped by layout; within a layout they are handed out in ascending unit code.
4. In that order each applicant receives a unit of the first preferred layout that still has one. An applicant of a
   guaranteed group (应保尽保) whose preferred layouts are exhausted receives a unit of the remaining layout that
   sorts first (by layout code). Everyone else whose preferences are exhausted goes on the waiting list in order.
5. The result lists every applicant with position, rank, draw key and unit (``null`` = waiting list).

Canonical bytes: JSON, UTF-8, keys sorted, separators ``,`` and ``:``, non-ASCII kept, one trailing newline.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ALGORITHM = "onestop-housing-lottery/1"


@dataclass(frozen=True)
class Candidate:
    code: str
    rank: int
    guaranteed: bool = False


@dataclass(frozen=True)
class Placement:
    position: int
    code: str
    rank: int
    draw: str
    unit: str | None


def canonical_bytes(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")


def sha256_hex(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def draw_key(seed: str, code: str) -> str:
    return hashlib.sha256(f"{seed}:{code}".encode()).hexdigest()


def allocate(*, applicants: Sequence[Candidate], units: Iterable[tuple[str, str]],
             preferences: Mapping[str, Sequence[str]], seed: str) -> list[Placement]:
    """Serial allocation in (rank, draw key) order over the applicants' preferred layouts. Pure and total."""
    keyed = sorted(((a.rank, draw_key(seed, a.code), a) for a in applicants), key=lambda t: (t[0], t[1]))
    free: dict[str, list[str]] = {}
    for code, layout in sorted(units):
        free.setdefault(layout, []).append(code)
    for codes in free.values():
        codes.reverse()  # pop() from the end hands out the smallest code first
    out: list[Placement] = []
    for position, (rank, key, applicant) in enumerate(keyed, start=1):
        unit = None
        for layout in preferences.get(applicant.code, ()):
            if free.get(layout):
                unit = free[layout].pop()
                break
        if unit is None and applicant.guaranteed:
            for layout in sorted(free):
                if free[layout]:
                    unit = free[layout].pop()
                    break
        out.append(Placement(position=position, code=applicant.code, rank=rank, draw=key, unit=unit))
    return out


def result_document(*, round_code: str, seed: str, placements: Sequence[Placement]) -> dict[str, Any]:
    return {
        "algorithm": ALGORITHM,
        "round": round_code,
        "seed_sha256": sha256_hex(seed),
        "allocated": sum(1 for p in placements if p.unit is not None),
        "waitlisted": sum(1 for p in placements if p.unit is None),
        "order": [{"position": p.position, "code": p.code, "rank": p.rank, "draw": p.draw, "unit": p.unit}
                  for p in placements],
    }


class PublicationMismatch(ValueError):
    """A published file does not match the digest published before the draw."""


def recompute(*, applicants_doc: Mapping[str, Any], preferences_bytes: bytes, seed: str) -> bytes:
    """The result file's bytes from the published files: checks both digests first."""
    if sha256_hex(seed) != applicants_doc["seed_sha256"]:
        raise PublicationMismatch("seed does not match seed_sha256")
    if sha256_hex(preferences_bytes) != applicants_doc["preferences_sha256"]:
        raise PublicationMismatch("preferences.json does not match preferences_sha256")
    prefs = json.loads(preferences_bytes.decode("utf-8"))["preferences"]
    candidates = [Candidate(code=a["code"], rank=int(a["rank"]), guaranteed=bool(a["guaranteed"]))
                  for a in applicants_doc["applicants"]]
    units = [(u["code"], u["layout"]) for u in applicants_doc["units"]]
    placements = allocate(applicants=candidates, units=units, preferences=prefs, seed=seed)
    return canonical_bytes(result_document(round_code=applicants_doc["round"], seed=seed, placements=placements))
