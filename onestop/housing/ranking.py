"""From rule outputs to published ranks — pure Python + polars, no Django (the benchmark runs exactly this code).

``assess_frame`` reads the batch output of the apartment rule set (``<rule>.eligible`` / ``<rule>.points``, one row per
applicant) and the rule set's ``ranking`` block: eligible = every base rule granted and some group rule granted; the
group is the first granted group rule. ``dense_ranks`` orders by group, then by the group's tie-breakers, and gives
equal keys the same rank (1, 2, 2, 3 …): only those are left to the lottery.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

MISSING_LAST = "9999-12-31"


@dataclass
class Assessed:
    key: Any
    eligible: bool
    group_order: int | None = None
    points: int = 0
    cert_batch: str = ""
    pension_start: str = ""
    applied_on: str = ""
    applied_at: str = ""


def assess_frame(frame: pl.DataFrame, ranking: Mapping[str, Any], *, key: str = "person_id") -> dict[Any, Assessed]:
    base = [pl.col(f"{r}.eligible").fill_null(False) for r in ranking.get("eligibility", [])]
    groups = ranking.get("groups", [])
    group_expr: pl.Expr = pl.lit(None, dtype=pl.Int64)
    for index in reversed(range(len(groups))):
        group_expr = pl.when(pl.col(f"{groups[index]['rule']}.eligible").fill_null(False)).then(pl.lit(index)) \
            .otherwise(group_expr)
    points_rule = ranking.get("points_rule")
    points = pl.col(f"{points_rule}.points").fill_null(0) if points_rule else pl.lit(0)
    out = frame.select(
        pl.col(key).alias("key"),
        (pl.all_horizontal(base) if base else pl.lit(True)).alias("base"),
        group_expr.alias("group"),
        points.cast(pl.Int64).alias("points"),
    )
    result = {}
    for k, ok, group, pts in out.iter_rows():
        result[k] = Assessed(key=k, eligible=bool(ok) and group is not None, group_order=group, points=int(pts))
    return result


def sort_key(item: Assessed, order: Sequence[str]) -> tuple[Any, ...]:
    parts: list[Any] = [item.group_order]
    for name in order:
        if name == "-points":
            parts.append(-item.points)
        elif name == "points":
            parts.append(item.points)
        elif name in ("applied_on", "applied_at", "cert_batch", "pension_start"):
            parts.append(getattr(item, name) or MISSING_LAST)
        else:
            raise ValueError(f"unknown tie-breaker {name!r}")
    return tuple(parts)


def dense_ranks(items: Iterable[Assessed], groups: Sequence[Mapping[str, Any]]) -> dict[Any, int]:
    """Rank eligible items: group order, then the group's ``order`` keys; equal keys share a rank."""
    keyed = sorted(((sort_key(i, groups[i.group_order or 0].get("order", [])), i.key) for i in items if i.eligible),
                   key=lambda t: t[0])
    ranks: dict[Any, int] = {}
    rank, previous = 0, None
    for k, item_key in keyed:
        if k != previous:
            rank += 1
            previous = k
        ranks[item_key] = rank
    return ranks
