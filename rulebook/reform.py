"""Reform simulation (政策沙盘): parameter overrides and/or rule patches, baseline vs reform in one pass.

A reform document::

    {"id": "raise-2025", "title": {"zh": "…", "en": "…"},
     "parameters": {"allowance_doctor": 600000,                       # a constant from now on, or
                    "allowance_master": [{"from": "2024-01-01", "value": 250000}]},   # a new dated series
     "patches": [{"op": "replace", "path": "/rules/living_allowance/when/all/4/>=/1", "value": 3},
                 {"op": "remove", "path": "/rules/settling_grant"},
                 {"op": "add", "path": "/rules/-", "value": {…a rule…}}]}

Patches are JSON Patch (RFC 6902: add / remove / replace) on the rule-set document; inside ``/rules`` a
rule may be addressed by its id instead of its index.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from rulebook.compile_polars import BatchPlan, col_name
from rulebook.engine import CompileCache
from rulebook.errors import IssueCode, RuleSetError, make_issue
from rulebook.model import RuleSet, Text, load_json, load_json_file
from rulebook.values import parse_date


class Reform:
    """A named set of parameter overrides and rule patches (see the module docstring)."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        if not isinstance(document, Mapping):
            raise RuleSetError([make_issue(IssueCode.STRUCTURE, "$", detail="a reform is a JSON object")])
        self.document = document
        self.id = str(document.get("id", "reform"))
        t = document.get("title", self.id)
        self.title = (
            Text(t, t) if isinstance(t, str) else Text(str(t.get("zh", self.id)), str(t.get("en", self.id)))
        )
        params = document.get("parameters", {})
        patches = document.get("patches", [])
        if not isinstance(params, Mapping):
            raise RuleSetError([make_issue(IssueCode.STRUCTURE, "$.parameters", detail="expected an object")])
        if not isinstance(patches, list):
            raise RuleSetError([make_issue(IssueCode.STRUCTURE, "$.patches", detail="expected a list")])
        self.parameters: Mapping[str, Any] = params
        self.patches: list[Any] = patches

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> Reform:
        return cls(document)

    @classmethod
    def from_json(cls, text: str | bytes) -> Reform:
        return cls(load_json(text))

    @classmethod
    def from_file(cls, path: str | Path) -> Reform:
        return cls(load_json_file(path))

    def apply(self, baseline: RuleSet) -> RuleSet:
        """The reformed rule set (a new :class:`RuleSet`; the baseline is untouched).

        Raises :class:`RuleSetError` with the reform's JSON path for an unknown parameter or a bad patch.
        """
        doc: dict[str, Any] = copy.deepcopy(dict(baseline.document))
        doc["version"] = f"{baseline.version}+{self.id}"
        params = doc.setdefault("parameters", {})
        for name, override in self.parameters.items():
            path = f"$.parameters.{name}"
            if name not in params:
                raise RuleSetError([make_issue(IssueCode.UNKNOWN_PARAMETER, path, name=name)])
            if isinstance(override, list):
                params[name] = {**params[name], "values": override}
            else:
                params[name] = {**params[name], "values": [{"from": "1900-01-01", "value": override}]}
        for i, patch in enumerate(self.patches):
            _apply_patch(doc, patch, f"$.patches[{i}]")
        return RuleSet(doc)


def _pointer(doc: Any, pointer: str, where: str) -> tuple[Any, str | int]:
    """Resolve all but the last segment of a JSON pointer; rules may be named by id."""
    if not isinstance(pointer, str) or not pointer.startswith("/"):
        raise RuleSetError(
            [make_issue(IssueCode.STRUCTURE, f"{where}.path", detail="expected a JSON pointer like /rules/0")]
        )
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]
    node = doc
    resolved: list[Any] = []
    for depth, part in enumerate(parts):
        key: str | int = part
        if isinstance(node, list):
            if part == "-" and depth == len(parts) - 1:
                key = len(node)
            elif part.isdigit():
                key = int(part)
            elif resolved == ["rules"]:
                ids = [r.get("id") if isinstance(r, Mapping) else None for r in node]
                if part not in ids:
                    raise RuleSetError([make_issue(IssueCode.UNKNOWN_RULE, f"{where}.path", name=part)])
                key = ids.index(part)
            else:
                raise RuleSetError(
                    [make_issue(IssueCode.STRUCTURE, f"{where}.path", detail=f"'{part}' is not an index")]
                )
        if depth == len(parts) - 1:
            return node, key
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            raise RuleSetError(
                [make_issue(IssueCode.STRUCTURE, f"{where}.path", detail=f"'{pointer}' does not exist")]
            ) from None
        resolved.append(part)
    raise RuleSetError([make_issue(IssueCode.STRUCTURE, f"{where}.path", detail="empty pointer")])


def _apply_patch(doc: dict[str, Any], patch: Any, where: str) -> None:
    if not isinstance(patch, Mapping) or patch.get("op") not in ("add", "remove", "replace"):
        raise RuleSetError(
            [make_issue(IssueCode.STRUCTURE, f"{where}.op", detail="op is add|remove|replace")]
        )
    op = patch["op"]
    parent, key = _pointer(doc, patch.get("path", ""), where)
    if op != "remove" and "value" not in patch:
        raise RuleSetError([make_issue(IssueCode.STRUCTURE, where, detail="'value' is required")])
    try:
        if op == "add" and isinstance(parent, list):
            assert isinstance(key, int)
            parent.insert(key, copy.deepcopy(patch["value"]))
        elif op == "remove":
            del parent[key]
        else:
            if op == "replace" and (
                (isinstance(parent, list) and not (isinstance(key, int) and key < len(parent)))
                or (isinstance(parent, Mapping) and key not in parent)
            ):
                raise KeyError(key)
            parent[key] = copy.deepcopy(patch["value"])
    except (KeyError, IndexError, TypeError):
        raise RuleSetError(
            [make_issue(IssueCode.STRUCTURE, f"{where}.path", detail=f"cannot {op} {patch.get('path')}")]
        ) from None


@dataclass(slots=True)
class ReformResult:
    """Baseline vs reform, per rule (and ``rule == "TOTAL"`` per person over all rules), by group.

    ``table`` columns: the ``by`` columns, ``rule``, ``base_eligible``, ``reform_eligible``, ``base_cost``,
    ``reform_cost`` (fen), ``delta_cost``, ``gainers``, ``losers``. A gainer gets more money under the
    reform, or the same money and a rule newly granted; a loser the opposite.
    """

    baseline: RuleSet
    reformed: RuleSet
    as_of: dt.date
    by: tuple[str, ...]
    table: pl.DataFrame

    def total(self) -> pl.DataFrame:
        """The TOTAL rows summed over groups."""
        t = self.table.filter(pl.col("rule") == "TOTAL")
        return t.select(pl.exclude(*self.by, "rule").sum())


def simulate_reform(
    baseline: RuleSet,
    reform: Reform | RuleSet,
    df: pl.DataFrame,
    *,
    as_of: dt.date | str,
    by: Sequence[str] = (),
    cache: CompileCache | None = None,
) -> ReformResult:
    """Evaluate ``baseline`` and the reform on ``df`` in one polars query and compare them."""
    day = parse_date(as_of)
    reformed = reform.apply(baseline) if isinstance(reform, Reform) else reform
    cache = cache if cache is not None else CompileCache(4)
    _base_c, base_plan = cache.get(baseline, day)
    _ref_c, ref_plan = cache.get(reformed, day)
    for name in by:
        if name not in df.columns:
            raise RuleSetError([make_issue(IssueCode.DATA_MISSING_COLUMN, f"column {name}", name=name)])
    prepared = _prepare_union(df, base_plan, ref_plan, by)
    s1b, _ = base_plan.expressions(prefix="b:")
    s1r, _ = ref_plan.expressions(prefix="r:")
    outs_b = _money_outputs(base_plan, "b:")
    outs_r = _money_outputs(ref_plan, "r:")
    rule_ids = list(dict.fromkeys([r.id for r in baseline.rules] + [r.id for r in reformed.rules]))
    base_ids = {r.id for r in baseline.rules}
    ref_ids = {r.id for r in reformed.rules}
    false = pl.lit(False)
    zero = pl.lit(0, dtype=pl.Int64)

    def e(prefix: str, rid: str, present: set[str]) -> pl.Expr:
        return pl.col(prefix + col_name(rid, "eligible")) if rid in present else false

    def a(prefix: str, rid: str, present: set[str]) -> pl.Expr:
        return pl.col(prefix + col_name(rid, "amount")) if rid in present else zero

    aggs: list[pl.Expr] = []
    for rid in rule_ids:
        be, re_ = e("b:", rid, base_ids), e("r:", rid, ref_ids)
        ba, ra = a("b:", rid, base_ids), a("r:", rid, ref_ids)
        gain = (ra > ba) | ((ra == ba) & re_ & ~be)
        lose = (ra < ba) | ((ra == ba) & be & ~re_)
        aggs += [
            be.sum().cast(pl.Int64).alias(f"{rid}|base_eligible"),
            re_.sum().cast(pl.Int64).alias(f"{rid}|reform_eligible"),
            ba.sum().alias(f"{rid}|base_cost"),
            ra.sum().alias(f"{rid}|reform_cost"),
            gain.sum().cast(pl.Int64).alias(f"{rid}|gainers"),
            lose.sum().cast(pl.Int64).alias(f"{rid}|losers"),
        ]
    tb = pl.sum_horizontal([a("b:", rid, base_ids) for rid in rule_ids])
    tr = pl.sum_horizontal([a("r:", rid, ref_ids) for rid in rule_ids])
    nb = pl.sum_horizontal([e("b:", rid, base_ids).cast(pl.Int32) for rid in rule_ids])
    nr = pl.sum_horizontal([e("r:", rid, ref_ids).cast(pl.Int32) for rid in rule_ids])
    aggs += [
        (nb > 0).sum().cast(pl.Int64).alias("TOTAL|base_eligible"),
        (nr > 0).sum().cast(pl.Int64).alias("TOTAL|reform_eligible"),
        tb.sum().alias("TOTAL|base_cost"),
        tr.sum().alias("TOTAL|reform_cost"),
        ((tr > tb) | ((tr == tb) & (nr > nb))).sum().cast(pl.Int64).alias("TOTAL|gainers"),
        ((tr < tb) | ((tr == tb) & (nr < nb))).sum().cast(pl.Int64).alias("TOTAL|losers"),
    ]
    lf = prepared.lazy().with_columns(s1b + s1r).select([*(pl.col(b) for b in by), *outs_b, *outs_r])
    wide = (lf.group_by(list(by)).agg(aggs) if by else lf.select(aggs)).collect()
    table = _long(wide, list(by), [*rule_ids, "TOTAL"])
    return ReformResult(baseline, reformed, day, tuple(by), table)


def _money_outputs(plan: BatchPlan, prefix: str) -> list[pl.Expr]:
    _s1, outs = plan.expressions(prefix=prefix)
    keep = {prefix + col_name(r.id, w) for r in plan.compiled.ruleset.rules for w in ("eligible", "amount")}
    return [o for o in outs if o.meta.output_name() in keep]


def _prepare_union(df: pl.DataFrame, a: BatchPlan, b: BatchPlan, by: Sequence[str]) -> pl.DataFrame:
    pa = a.prepare(df)
    extra = [c for c in b.columns if c not in a.columns]
    parts = [pa]
    if extra:
        parts.append(b.prepare(df).select(extra))
    keep_by = [c for c in by if c not in pa.columns and c not in extra]
    if keep_by:
        parts.append(df.select(keep_by))
    return pl.concat(parts, how="horizontal") if len(parts) > 1 else pa


def _long(wide: pl.DataFrame, by: list[str], rules: list[str]) -> pl.DataFrame:
    metrics = ["base_eligible", "reform_eligible", "base_cost", "reform_cost", "gainers", "losers"]
    frames = []
    for rid in rules:
        frames.append(
            wide.select(
                *[pl.col(b) for b in by],
                pl.lit(rid).alias("rule"),
                *[pl.col(f"{rid}|{m}").cast(pl.Int64).alias(m) for m in metrics],
            )
        )
    out = pl.concat(frames)
    out = out.with_columns((pl.col("reform_cost") - pl.col("base_cost")).alias("delta_cost"))
    return out.sort([*by, "rule"]) if by else out
