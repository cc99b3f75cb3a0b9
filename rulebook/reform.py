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

from rulebook.compile_polars import _OPT, BatchPlan, col_name
from rulebook.engine import CompileCache
from rulebook.errors import IssueCode, RuleSetError, make_issue
from rulebook.interpret import CompiledRuleSet
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
    """Evaluate ``baseline`` and the reform on ``df`` in one polars query and compare them.

    The baseline is evaluated once; on the reform side only the rules the reform changes (different rule
    text, different parameter values on the date, added or removed) and the rules whose exclusions depend
    on them are evaluated — every other rule has the same outputs by construction. All per-rule and total
    figures are aggregated in the same query (one ``group_by``/``agg`` when grouped)."""
    day = parse_date(as_of)
    reformed = reform.apply(baseline) if isinstance(reform, Reform) else reform
    cache = cache if cache is not None else CompileCache(4)
    base_c, base_plan = cache.get(baseline, day)
    ref_c, ref_plan = cache.get(reformed, day)
    for name in by:
        if name not in df.columns:
            raise RuleSetError([make_issue(IssueCode.DATA_MISSING_COLUMN, f"column {name}", name=name)])
    prepared = _prepare_union(df, base_plan, ref_plan, by)
    base_ids = [r.id for r in baseline.rules]
    ref_ids = [r.id for r in reformed.rules]
    changed = changed_rules(base_c, ref_c)
    ref_eval = [rid for rid in ref_ids if rid in changed]
    base_prof = base_plan.profile(prepared)
    ref_prof = ref_plan.profile(prepared)
    base_st = base_plan.stages(profile=base_prof)
    ref_st = ref_plan.stages(prefix="r:", profile=ref_prof, rules=ref_eval) if ref_eval else [[]]
    wanted = {col_name(r, w) for r in base_ids for w in ("eligible", "amount")}
    wanted |= {"r:" + col_name(r, w) for r in ref_eval for w in ("eligible", "amount")}
    lf = prepared.lazy()
    for stage in [*base_st[:-1], *ref_st[:-1]]:
        lf = lf.with_columns(stage)
    outs = [o for o in [*base_st[-1], *ref_st[-1]] if o.meta.output_name() in wanted]
    lf = lf.select([*(pl.col(b) for b in by), *outs])

    false = pl.lit(False)
    zero = pl.lit(0, dtype=pl.Int64)
    base_set, ref_set = set(base_ids), set(ref_ids)

    def be(rid: str) -> pl.Expr:
        return pl.col(col_name(rid, "eligible")) if rid in base_set else false

    def ba(rid: str) -> pl.Expr:
        return pl.col(col_name(rid, "amount")) if rid in base_set else zero

    def re_(rid: str) -> pl.Expr:
        if rid not in ref_set:
            return false
        return pl.col("r:" + col_name(rid, "eligible")) if rid in changed else be(rid)

    def ra(rid: str) -> pl.Expr:
        if rid not in ref_set:
            return zero
        return pl.col("r:" + col_name(rid, "amount")) if rid in changed else ba(rid)

    rule_ids = list(dict.fromkeys(base_ids + ref_ids))
    aggs: list[pl.Expr] = []
    n0 = pl.len().cast(pl.Int64) * 0
    for rid in rule_ids:
        b_e = be(rid).sum().cast(pl.Int64) if rid in base_set else n0
        b_a = ba(rid).sum() if rid in base_set else n0
        if rid in changed:
            gain = (ra(rid) > ba(rid)) | ((ra(rid) == ba(rid)) & re_(rid) & ~be(rid))
            lose = (ra(rid) < ba(rid)) | ((ra(rid) == ba(rid)) & be(rid) & ~re_(rid))
            r_e = re_(rid).sum().cast(pl.Int64) if rid in ref_set else n0
            r_a = ra(rid).sum() if rid in ref_set else n0
            aggs += [
                b_e.alias(f"{rid}|base_eligible"), r_e.alias(f"{rid}|reform_eligible"),
                b_a.alias(f"{rid}|base_cost"), r_a.alias(f"{rid}|reform_cost"),
                gain.sum().cast(pl.Int64).alias(f"{rid}|gainers"), lose.sum().cast(pl.Int64).alias(f"{rid}|losers"),
            ]  # fmt: skip
        else:  # identical outputs on both sides
            aggs += [
                b_e.alias(f"{rid}|base_eligible"), b_e.alias(f"{rid}|reform_eligible"),
                b_a.alias(f"{rid}|base_cost"), b_a.alias(f"{rid}|reform_cost"),
                n0.alias(f"{rid}|gainers"), n0.alias(f"{rid}|losers"),
            ]  # fmt: skip
    # TOTAL per person: only the changed rules can move a person's total, so the differences are summed
    # over those alone; costs are the sums of the per-rule costs (added after aggregation).
    ch = [rid for rid in rule_ids if rid in changed]
    any_b = pl.any_horizontal([be(rid) for rid in base_ids]) if base_ids else false
    any_r = pl.any_horizontal([re_(rid) for rid in ref_ids]) if ref_ids else false
    if ch:
        d_amt = pl.sum_horizontal([ra(rid) - ba(rid) for rid in ch])
        d_n = pl.sum_horizontal([re_(rid).cast(pl.Int32) - be(rid).cast(pl.Int32) for rid in ch])
        gain_t = ((d_amt > 0) | ((d_amt == 0) & (d_n > 0))).sum().cast(pl.Int64)
        lose_t = ((d_amt < 0) | ((d_amt == 0) & (d_n < 0))).sum().cast(pl.Int64)
    else:
        gain_t = lose_t = n0
    aggs += [
        any_b.sum().cast(pl.Int64).alias("TOTAL|base_eligible"),
        any_r.sum().cast(pl.Int64).alias("TOTAL|reform_eligible"),
        gain_t.alias("TOTAL|gainers"),
        lose_t.alias("TOTAL|losers"),
    ]
    # materialise the per-person outputs once, then aggregate (aggregating over the lazy outputs would let
    # the optimiser inline every output expression into each aggregation that reads it)
    outputs = lf.collect(optimizations=_OPT).lazy()
    wide = (outputs.group_by(list(by)).agg(aggs) if by else outputs.select(aggs)).collect()
    wide = wide.with_columns(
        pl.sum_horizontal([pl.col(f"{rid}|base_cost") for rid in rule_ids]).alias("TOTAL|base_cost"),
        pl.sum_horizontal([pl.col(f"{rid}|reform_cost") for rid in rule_ids]).alias("TOTAL|reform_cost"),
    )
    table = _long(wide, list(by), [*rule_ids, "TOTAL"])
    return ReformResult(baseline, reformed, day, tuple(by), table)


def changed_rules(base: CompiledRuleSet, reformed: CompiledRuleSet) -> set[str]:
    """Rules whose outputs can differ between the two compiled sets (same evaluation date).

    A rule is unchanged when its document text is identical, it is in force on both sides, every parameter
    it reads has the same value on the date, the attribute catalogue is the same, and no rule its
    eligibility depends on through exclusions (winners, not-together partners) changed."""
    b_rs, r_rs = base.ruleset, reformed.ruleset
    b_doc = {str(r.get("id")): r for r in b_rs.document.get("rules", []) if isinstance(r, Mapping)}
    r_doc = {str(r.get("id")): r for r in r_rs.document.get("rules", []) if isinstance(r, Mapping)}
    all_ids = [r.id for r in b_rs.rules] + [r.id for r in r_rs.rules]
    if b_rs.document.get("attributes") != r_rs.document.get("attributes"):
        return set(all_ids)
    changed: set[str] = set()
    for rid in dict.fromkeys(all_ids):
        b, r = b_rs.rules_by_id.get(rid), r_rs.rules_by_id.get(rid)
        if b is None or r is None or b_doc.get(rid) != r_doc.get(rid) or b.position != r.position:
            changed.add(rid)
            continue
        if base.in_force[rid] != reformed.in_force[rid]:
            changed.add(rid)
            continue
        for name in b.parameters:
            pb, pr = base.params.get(name), reformed.params.get(name)
            if (pb.value if pb else None) != (pr.value if pr else None):
                changed.add(rid)
                break
    deps: dict[str, set[str]] = {}
    for c in (base, reformed):
        for rid, winners in c.override_winners.items():
            deps.setdefault(rid, set()).update(winners)
        for group in c.together_groups:
            for rid in group:
                deps.setdefault(rid, set()).update(g for g in group if g != rid)
    grew = True
    while grew:
        grew = False
        for rid, ds in deps.items():
            if rid not in changed and ds & changed:
                changed.add(rid)
                grew = True
    return changed


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
