"""The batch compiler: a compiled rule set → polars expressions over a columnar table of persons.

One ``select`` evaluates every rule for every row: per rule ``<id>.eligible`` (Boolean), ``<id>.amount``
(Int64 fen), ``<id>.points`` / ``<id>.tier`` where the rule has them, and with ``masks=True`` the
failed-condition bitmask ``<id>.mask`` (bit *i* = leaf condition *i* of the rule is not met as required).

The expressions mirror :mod:`rulebook.interpret` node for node (same internal representation, same Kleene
logic, same integer rounding), which the hypothesis differential tests check. Trees stay n-ary
(``all_horizontal``/``any_horizontal``/``sum_horizontal``) so deep binary chains never arise. Comparisons
of a derived date value (age, months since …) with a constant are folded at compile time into a direct
comparison of the date column with precomputed boundary dates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import polars as pl

from rulebook.errors import DataError, IssueCode, make_issue
from rulebook.interpret import CompiledRuleSet, const_value, is_constant
from rulebook.model import (
    AllOf,
    AnyOf,
    AnyRule,
    Arith,
    AsOf,
    AttrRef,
    Between,
    Case,
    Cmp,
    Cond,
    Const,
    DateFn,
    DecisionTable,
    InSet,
    Known,
    Literal,
    Not,
    ParamRef,
    Rule,
    Scale,
    ScoredTable,
    SetTest,
    Truth,
    Value,
    VType,
)
from rulebook.values import DATE_FUNCTIONS, MAX_DAY, MIN_DAY, days_to_date

I64 = pl.Int64
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def col_name(rule_id: str, what: str) -> str:
    """Output column name, e.g. ``living_allowance.eligible``."""
    return f"{rule_id}.{what}"


# --------------------------------------------------------------------------------------------- values


def _lit(vt: VType, value: Any) -> pl.Expr:
    if value is None:
        return pl.lit(None, dtype=_dtype(vt))
    if vt.kind == "bool":
        return pl.lit(bool(value), dtype=pl.Boolean)
    if vt.kind == "date":
        return pl.lit(days_to_date(int(value)), dtype=pl.Date)
    return pl.lit(int(value), dtype=I64)


def _dtype(vt: VType) -> pl.DataType:
    if vt.kind == "bool":
        return pl.Boolean()
    if vt.kind == "date":
        return pl.Date()
    return pl.Int64()


def _round_div_const(e: pl.Expr, d: int) -> pl.Expr:
    """``e / d`` rounded half away from zero, ``d > 0`` constant (see values.round_div)."""
    if d == 1:
        return e
    return pl.when(e >= 0).then((e * 2 + d) // (2 * d)).otherwise(-((-e * 2 + d) // (2 * d)))


def _round_div(n: pl.Expr, d: pl.Expr) -> pl.Expr:
    q = (n.abs() * 2 + d.abs()) // (d.abs() * 2)
    return pl.when(d == 0).then(pl.lit(None, dtype=I64)).when((n >= 0) == (d > 0)).then(q).otherwise(-q)


def _ymd(c: CompiledRuleSet, node: Value, months: bool) -> pl.Expr:
    """A date as ``y*10000 + m*100 + d`` (years) or ``(y*12 + m)*100 + d`` (months), monotone in the date."""
    if is_constant(node):
        d = days_to_date(const_value(c, node))
        v = d.year * 10000 + d.month * 100 + d.day if not months else (d.year * 12 + d.month) * 100 + d.day
        return pl.lit(v, dtype=I64)
    e = value_expr(c, node)
    y = e.dt.year().cast(I64)
    m = e.dt.month().cast(I64)
    day = e.dt.day().cast(I64)
    return y * 10000 + m * 100 + day if not months else (y * 12 + m) * 100 + day


def value_expr(c: CompiledRuleSet, node: Value) -> pl.Expr:
    """Compile a value node to a polars expression over the prepared frame."""
    if isinstance(node, AttrRef):
        return pl.col(node.name)
    if isinstance(node, Const | ParamRef | AsOf):
        return _lit(node.type, const_value(c, node))
    if isinstance(node, Scale):
        if is_constant(node):
            return _lit(node.type, const_value(c, node))
        return value_expr(c, node.child) * node.factor
    if isinstance(node, Arith):
        args = [value_expr(c, a) for a in node.args]
        variable = [value_expr(c, a) for a in node.args if not is_constant(a)]
        if node.op == "add":
            return args[0] + args[1] if len(args) == 2 else pl.sum_horizontal(args, ignore_nulls=False)
        if node.op == "sub":
            return args[0] - args[1]
        if node.op in ("min", "max"):
            combined = pl.min_horizontal(args) if node.op == "min" else pl.max_horizontal(args)
            if not variable:
                return combined
            return pl.when(pl.any_horizontal([v.is_null() for v in variable])).then(None).otherwise(combined)
        if node.op == "mul":
            product = args[0]
            for a in args[1:]:
                product = product * a
            return _round_div_const(product, node.post_div)
        num = args[0] * node.num_mul if node.num_mul != 1 else args[0]
        den = args[1] * node.den_mul if node.den_mul != 1 else args[1]
        return _round_div(num, den)
    if isinstance(node, DateFn):
        na, nb = node.args
        if node.fn == "days_between":
            ea = value_expr(c, na).cast(pl.Int32).cast(I64)
            eb = value_expr(c, nb).cast(pl.Int32).cast(I64)
            return eb - ea
        months = node.fn == "months_between"
        return (_ymd(c, nb, months) - _ymd(c, na, months)) // (100 if months else 10000)
    if isinstance(node, Case):
        chain: Any = pl
        for cond, val in node.branches:
            chain = chain.when(cond_expr(c, cond)).then(value_expr(c, val))
        result: pl.Expr = chain.otherwise(value_expr(c, node.default))
        return result
    raise TypeError(f"unknown value node {type(node).__name__}")


# --------------------------------------------------------------------------------------------- conditions


def _first_true(pred: Callable[[int], bool], lo: int, hi: int) -> int:
    """Smallest x in [lo, hi] with pred(x) for a monotone False…True predicate; hi + 1 if none."""
    while lo <= hi:
        mid = (lo + hi) // 2
        if pred(mid):
            hi = mid - 1
        else:
            lo = mid + 1
    return lo


def _date_fold(c: CompiledRuleSet, fn_node: DateFn, vlo: int | None, vhi: int | None) -> pl.Expr | None:
    """``vlo <= f(x) <= vhi`` for a date function with one constant argument, as a range test on ``x``."""
    a, b = fn_node.args
    if is_constant(a) == is_constant(b):
        return None
    fn = DATE_FUNCTIONS[fn_node.fn]
    if is_constant(b):
        k = const_value(c, b)
        x_node = a

        def g(x: int) -> int:
            return -fn(x, k)  # f non-increasing in x → g non-decreasing

        glo = None if vhi is None else -vhi
        ghi = None if vlo is None else -vlo
    else:
        k = const_value(c, a)
        x_node = b

        def g(x: int) -> int:
            return fn(k, x)

        glo, ghi = vlo, vhi
    lo_day = MIN_DAY if glo is None else _first_true(lambda x: g(x) >= glo, MIN_DAY, MAX_DAY)
    hi_day = MAX_DAY if ghi is None else _first_true(lambda x: g(x) > ghi, MIN_DAY, MAX_DAY) - 1
    x = value_expr(c, x_node)
    if lo_day > hi_day:
        return pl.when(x.is_not_null()).then(False).otherwise(None)
    parts = []
    if lo_day > MIN_DAY:
        parts.append(x >= pl.lit(days_to_date(lo_day), dtype=pl.Date))
    if hi_day < MAX_DAY:
        parts.append(x <= pl.lit(days_to_date(hi_day), dtype=pl.Date))
    if not parts:
        return pl.when(x.is_not_null()).then(True).otherwise(None)
    return parts[0] if len(parts) == 1 else parts[0] & parts[1]


def _cmp_interval(op: str, k: int) -> tuple[int | None, int | None]:
    return {
        "==": (k, k),
        "<": (None, k - 1),
        "<=": (None, k),
        ">": (k + 1, None),
        ">=": (k, None),
    }[op]


def cond_expr(c: CompiledRuleSet, node: Cond) -> pl.Expr:
    """Compile a condition to a nullable Boolean expression (Kleene logic)."""
    if isinstance(node, AllOf):
        return pl.all_horizontal([cond_expr(c, ch) for ch in node.children])
    if isinstance(node, AnyOf):
        return pl.any_horizontal([cond_expr(c, ch) for ch in node.children])
    if isinstance(node, Not):
        return ~cond_expr(c, node.child)
    if isinstance(node, Cmp):
        left, right, op = node.left, node.right, node.op
        if is_constant(left) and not is_constant(right):
            left, right, op = right, left, _FLIP[op]
        if isinstance(left, DateFn) and is_constant(right):
            k = const_value(c, right)
            if op == "!=":
                folded = _date_fold(c, left, k, k)
                if folded is not None:
                    return ~folded
            else:
                folded = _date_fold(c, left, *_cmp_interval(op, k))
                if folded is not None:
                    return folded
        le, re_ = value_expr(c, left), value_expr(c, right)
        return {
            "==": le == re_, "!=": le != re_, "<": le < re_, "<=": le <= re_, ">": le > re_, ">=": le >= re_,
        }[op]  # fmt: skip
    if isinstance(node, InSet):
        x = value_expr(c, node.value)
        codes = sorted(node.codes)
        if node.value.type.kind == "date":
            test = x.is_in([days_to_date(v) for v in codes])
        elif len(codes) == 1:
            test = x == pl.lit(codes[0], dtype=I64)
        else:
            test = x.is_in(pl.Series(codes, dtype=I64).implode())
        return ~test if node.negate else test
    if isinstance(node, Between):
        if isinstance(node.value, DateFn) and is_constant(node.lo) and is_constant(node.hi):
            lo, hi = const_value(c, node.lo), const_value(c, node.hi)
            folded = _date_fold(c, node.value, lo if node.lo_incl else lo + 1, hi if node.hi_incl else hi - 1)
            if folded is not None:
                return folded
        x = value_expr(c, node.value)
        lo_e, hi_e = value_expr(c, node.lo), value_expr(c, node.hi)
        a = (lo_e <= x) if node.lo_incl else (lo_e < x)
        b = (x <= hi_e) if node.hi_incl else (x < hi_e)
        return a & b
    if isinstance(node, SetTest):
        x = value_expr(c, node.value)
        m = pl.lit(node.mask, dtype=I64)
        if node.mode == "has_any":
            return (x & m) != 0
        if node.mode == "has_all":
            return (x & m) == m
        return (x & m) == 0
    if isinstance(node, Truth):
        return value_expr(c, node.value)
    if isinstance(node, Known):
        return value_expr(c, node.value).is_not_null()
    if isinstance(node, Literal):
        return pl.lit(node.value, dtype=pl.Boolean)
    raise TypeError(f"unknown condition node {type(node).__name__}")


# --------------------------------------------------------------------------------------------- rules


def _mask_dtype(bits: int) -> pl.DataType:
    if bits <= 8:
        return pl.UInt8()
    if bits <= 16:
        return pl.UInt16()
    if bits <= 32:
        return pl.UInt32()
    return pl.UInt64()


def _conjunctive(node: Cond | None) -> bool:
    """An ``all`` of leaves (or negated leaves): true exactly when no leaf fails."""
    if not isinstance(node, AllOf):
        return False
    return all(
        (isinstance(ch, Not) and not isinstance(ch.child, AllOf | AnyOf | Not))
        or not isinstance(ch, AllOf | AnyOf | Not)
        for ch in node.children
    )


class _RuleExprs:
    """Raw (pre-exclusion) expressions of one rule."""

    def __init__(self, c: CompiledRuleSet, rule: AnyRule, masks: bool) -> None:
        self.rule = rule
        self.elig0: pl.Expr
        self.amount: pl.Expr = pl.lit(0, dtype=I64)
        self.points: pl.Expr | None = None
        self.tier: pl.Expr | None = None
        self.mask: pl.Expr | None = None
        false = pl.lit(False, dtype=pl.Boolean)
        mask_bits = len(rule.leaves) + (1 if isinstance(rule, ScoredTable) else 0)
        if not c.in_force[rule.id]:
            self.elig0 = false
            self.points = pl.lit(0, dtype=I64) if rule.has_points else None
            self.tier = pl.lit(None, dtype=pl.String) if rule.has_tier else None
            if masks and mask_bits:
                self.mask = pl.lit(0, dtype=_mask_dtype(mask_bits))
            return
        leaf_bits: list[pl.Expr] = []
        if masks:
            for leaf in rule.leaves:
                e = cond_expr(c, leaf)
                failed = ~e.fill_null(False) if leaf.polarity else e.fill_null(True)
                leaf_bits.append(pl.when(failed).then(pl.lit(1 << leaf.leaf, dtype=I64)).otherwise(0))
        if isinstance(rule, Rule):
            cond = cond_expr(c, rule.when) if rule.when is not None else pl.lit(True)
            if masks and leaf_bits and _conjunctive(rule.when):
                # TRUE iff every leaf is as required iff no failed bit: evaluate the leaves once
                packed = leaf_bits[0] if len(leaf_bits) == 1 else pl.sum_horizontal(leaf_bits)
                self.mask = packed.cast(_mask_dtype(mask_bits))
                cond = self.mask == 0
                leaf_bits = []
            parts = [cond]
            if rule.amount is not None:
                self.amount = value_expr(c, rule.amount)
                parts.append(self.amount.is_not_null())
            if rule.points is not None:
                self.points = value_expr(c, rule.points)
                parts.append(self.points.is_not_null())
            self.elig0 = (pl.all_horizontal(parts) if len(parts) > 1 else cond).fill_null(False)
            if rule.tier is not None:
                self.tier = pl.lit(rule.tier, dtype=pl.String)
        elif isinstance(rule, ScoredTable):
            per: list[pl.Expr] = []
            groups: dict[str, list[pl.Expr]] = {g.id: [] for g in rule.groups}
            for ind in rule.indicators:
                chain: Any = pl
                for band in ind.bands:
                    chain = chain.when(cond_expr(c, band.cond)).then(pl.lit(band.points, dtype=I64))
                pts = chain.otherwise(pl.lit(0, dtype=I64)) if ind.bands else pl.lit(0, dtype=I64)
                per.append(pts)
                if ind.group is not None:
                    groups[ind.group].append(pts)
            total = pl.sum_horizontal(per) if per else pl.lit(0, dtype=I64)
            score_parts = [total >= rule.threshold] + [
                (pl.sum_horizontal(groups[g.id]) if groups[g.id] else pl.lit(0, dtype=I64)) >= g.min
                for g in rule.groups
            ]
            score_ok = pl.all_horizontal(score_parts) if len(score_parts) > 1 else score_parts[0]
            routes = [cond_expr(c, r.when) for r in rule.routes]
            route_ok = pl.any_horizontal([*routes, pl.lit(False)]) if routes else pl.lit(False)
            pre = cond_expr(c, rule.prerequisites) if rule.prerequisites is not None else pl.lit(True)
            parts = [pre, route_ok | score_ok]
            if rule.amount is not None:
                self.amount = value_expr(c, rule.amount)
                parts.append(self.amount.is_not_null())
            self.elig0 = pl.all_horizontal(parts).fill_null(False)
            self.points = total
            if rule.tier is not None:
                self.tier = pl.lit(rule.tier, dtype=pl.String)
            if masks:
                bit = 1 << len(rule.leaves)
                leaf_bits.append(
                    pl.when(score_ok | route_ok.fill_null(False)).then(pl.lit(0, dtype=I64)).otherwise(bit)
                )
        else:
            self._table(c, rule)
        if masks and leaf_bits:
            summed = leaf_bits[0] if len(leaf_bits) == 1 else pl.sum_horizontal(leaf_bits)
            self.mask = summed.cast(_mask_dtype(mask_bits))

    def _table(self, c: CompiledRuleSet, rule: DecisionTable) -> None:
        rows = [cond_expr(c, row.cond) for row in rule.rows]
        zero = pl.lit(0, dtype=I64)
        if not rows:
            self.elig0 = pl.lit(False)
            return
        if rule.hit_policy == "first":
            amount: Any = pl
            points: Any = pl
            tier: Any = pl
            for row, rc in zip(rule.rows, rows, strict=True):
                amount = amount.when(rc).then(value_expr(c, row.amount) if row.amount is not None else zero)
                points = points.when(rc).then(value_expr(c, row.points) if row.points is not None else zero)
                tier = tier.when(rc).then(pl.lit(row.tier, dtype=pl.String))
            self.amount = amount.otherwise(zero)
            pts = points.otherwise(zero)
            self.tier = tier.otherwise(pl.lit(None, dtype=pl.String)) if rule.has_tier else None
        else:
            amounts = [
                pl.when(rc).then(value_expr(c, row.amount)).otherwise(zero)
                for row, rc in zip(rule.rows, rows, strict=True)
                if row.amount is not None
            ]
            pts_list = [
                pl.when(rc).then(value_expr(c, row.points)).otherwise(zero)
                for row, rc in zip(rule.rows, rows, strict=True)
                if row.points is not None
            ]
            self.amount = pl.sum_horizontal(amounts, ignore_nulls=False) if amounts else zero
            pts = pl.sum_horizontal(pts_list, ignore_nulls=False) if pts_list else zero
            if rule.has_tier:
                tier_chain: Any = pl
                for row, rc in zip(rule.rows, rows, strict=True):
                    tier_chain = tier_chain.when(rc).then(pl.lit(row.tier, dtype=pl.String))
                self.tier = tier_chain.otherwise(pl.lit(None, dtype=pl.String))
        matched = pl.any_horizontal([r.fill_null(False) for r in rows])
        self.elig0 = matched & self.amount.is_not_null() & pts.is_not_null()
        self.points = pts if rule.has_points else None


class BatchPlan:
    """The batch evaluator of one :class:`CompiledRuleSet` (cached with it by the engine)."""

    def __init__(self, compiled: CompiledRuleSet) -> None:
        self.compiled = compiled
        rs = compiled.ruleset
        self.columns: dict[str, VType] = {}
        for rule in rs.rules:
            if compiled.in_force[rule.id]:
                for name in sorted(rule.attributes):
                    self.columns[name] = rs.attributes[name].type
        self._cache: dict[tuple[bool, str], tuple[list[pl.Expr], list[pl.Expr]]] = {}

    # ---- load
    def prepare(self, df: pl.DataFrame) -> pl.DataFrame:
        """Check and convert the attribute columns to the internal representation (see rulebook.values).

        Raises :class:`DataError` naming the column (and the first bad row) on a missing column, a wrong
        type or a value outside an enumeration.
        """
        exprs = []
        for name, vt in self.columns.items():
            if name not in df.columns:
                raise DataError([make_issue(IssueCode.DATA_MISSING_COLUMN, f"column {name}", name=name)])
            exprs.append(_convert(df, name, vt).alias(name))
        try:
            return df.select(exprs)
        except pl.exceptions.PolarsError:
            for name, vt in self.columns.items():
                _diagnose(df, name, vt)
            raise

    # ---- evaluate
    def expressions(self, *, masks: bool = False, prefix: str = "") -> tuple[list[pl.Expr], list[pl.Expr]]:
        """``(stage1, outputs)``: temporaries (raw decisions) and the output columns, named with ``prefix``."""
        key = (masks, prefix)
        if key in self._cache:
            return self._cache[key]
        c = self.compiled
        rules = c.ruleset.rules
        raw = {r.id: _RuleExprs(c, r, masks) for r in rules}
        stage1: list[pl.Expr] = []

        def t(kind: str, rid: str) -> str:
            return f"__{prefix}{kind}.{rid}"

        for r in rules:
            x = raw[r.id]
            stage1.append(x.elig0.alias(t("e", r.id)))
            stage1.append(x.amount.alias(t("a", r.id)))
        elig: dict[str, pl.Expr] = {}
        for rid in c.order:
            e = pl.col(t("e", rid))
            winners = c.override_winners[rid]
            if winners:
                e = e & ~pl.any_horizontal([elig[w] for w in winners])
            elig[rid] = e
        final = dict(elig)
        for group in c.together_groups:
            for rid in group:
                mine = pl.col(t("a", rid)).fill_null(0)
                pos = c.ruleset.rules_by_id[rid].position
                conds = [final[rid]]
                for other in group:
                    if other == rid:
                        continue
                    theirs = pl.col(t("a", other)).fill_null(0)
                    other_pos = c.ruleset.rules_by_id[other].position
                    beats = (theirs < mine) if other_pos < pos else (theirs <= mine)
                    conds.append(~elig[other] | beats)
                final[rid] = pl.all_horizontal(conds)
        outputs: list[pl.Expr] = []
        zero = pl.lit(0, dtype=I64)
        for r in rules:
            x = raw[r.id]
            e = final[r.id]
            outputs.append(e.alias(prefix + col_name(r.id, "eligible")))
            outputs.append(
                pl.when(e).then(pl.col(t("a", r.id))).otherwise(zero).alias(prefix + col_name(r.id, "amount"))
            )
            if x.points is not None:
                pts = x.points if isinstance(r, ScoredTable) else pl.when(e).then(x.points).otherwise(zero)
                outputs.append(pts.alias(prefix + col_name(r.id, "points")))
            if x.tier is not None:
                outputs.append(pl.when(e).then(x.tier).otherwise(None).alias(prefix + col_name(r.id, "tier")))
            if x.mask is not None:
                outputs.append(x.mask.alias(prefix + col_name(r.id, "mask")))
        self._cache[key] = (stage1, outputs)
        return stage1, outputs

    def evaluate_prepared(
        self, prepared: pl.DataFrame | pl.LazyFrame, *, masks: bool = False
    ) -> pl.DataFrame:
        """Evaluate on a frame returned by :meth:`prepare`."""
        stage1, outputs = self.expressions(masks=masks)
        return prepared.lazy().with_columns(stage1).select(outputs).collect()

    def evaluate(self, df: pl.DataFrame, *, masks: bool = False, keep: Sequence[str] = ()) -> pl.DataFrame:
        """Prepare and evaluate; ``keep`` names input columns copied in front of the results."""
        out = self.evaluate_prepared(self.prepare(df), masks=masks)
        if keep:
            out = pl.concat([df.select(list(keep)), out], how="horizontal")
        return out


# --------------------------------------------------------------------------------------------- loading


def _bad(name: str, detail: str, row: int | None = None) -> DataError:
    where = f"column {name}" + (f", row {row + 1}" if row is not None else "")
    return DataError([make_issue(IssueCode.DATA_BAD_VALUE, where, detail=detail)])


def _bad_type(name: str, dtype: pl.DataType, vt: VType) -> DataError:
    return DataError(
        [
            make_issue(
                IssueCode.DATA_BAD_TYPE,
                f"column {name}",
                detail=f"{name} is {dtype}, expected {vt.describe()}",
            )
        ]
    )


def _convert(df: pl.DataFrame, name: str, vt: VType) -> pl.Expr:
    dtype = df.schema[name]
    col = pl.col(name)
    kind = vt.kind
    if dtype == pl.Null:
        return pl.lit(None, dtype=_dtype(vt))
    if kind == "bool":
        if dtype == pl.Boolean:
            return col
        raise _bad_type(name, dtype, vt)
    if kind in ("int", "money"):
        if dtype.is_integer():
            return col.cast(I64)
        if dtype.is_float():
            bad = df.select((col != col.round(0)).arg_true().first()).item()
            if bad is not None:
                raise _bad(
                    name,
                    f"{df[name][bad]!r} is not an integer" + (" number of fen" if kind == "money" else ""),
                    bad,
                )
            return col.cast(I64)
        raise _bad_type(name, dtype, vt)
    if kind == "decimal":
        factor = 10**vt.scale
        if dtype.is_integer():
            return col.cast(I64) * factor
        if dtype.is_float() or isinstance(dtype, pl.Decimal):
            f = col.cast(pl.Float64)
            mag = (f.abs() * float(factor) + 0.5).floor().cast(I64)
            return pl.when(f < 0).then(-mag).otherwise(mag)
        raise _bad_type(name, dtype, vt)
    if kind == "date":
        if dtype == pl.Date:
            return col
        if isinstance(dtype, pl.Datetime):
            return col.dt.date()
        if dtype == pl.String:
            return col.str.strip_chars().str.to_date("%Y-%m-%d", strict=True)
        raise _bad_type(name, dtype, vt)
    enum = pl.Enum(list(vt.values))
    if kind in ("enum", "ordered_enum"):
        if isinstance(dtype, pl.Enum) and list(dtype.categories) == list(vt.values):
            return col.to_physical().cast(I64)  # already coded in the declared order: zero conversion
        if dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum):
            return col.cast(pl.String).cast(enum, strict=True).to_physical().cast(I64)
        raise _bad_type(name, dtype, vt)
    if dtype == pl.String:  # CSV: members separated by "|"
        col = col.str.split("|").list.eval(pl.element().str.strip_chars().filter(pl.element() != ""))
        dtype = pl.List(pl.String)
    if isinstance(dtype, pl.List):
        bits = [1 << i for i in range(len(vt.values))]
        return (
            col.list.eval(
                pl.element().cast(pl.String).replace_strict(list(vt.values), bits, return_dtype=I64)
            )
            .list.unique()
            .list.sum()
        )
    raise _bad_type(name, dtype, vt)


def _diagnose(df: pl.DataFrame, name: str, vt: VType) -> None:
    """Find the first offending row of a column whose conversion failed (slow path, errors only)."""
    s = df[name]
    if vt.kind == "date" and s.dtype == pl.String:
        parsed = s.str.strip_chars().str.to_date("%Y-%m-%d", strict=False)
        bad = (parsed.is_null() & s.is_not_null()).arg_true()
        if len(bad):
            i = int(bad[0])
            raise _bad(name, f"{s[i]!r} is not a date YYYY-MM-DD", i)
    if vt.kind in ("enum", "ordered_enum"):
        st = s.cast(pl.String)
        bad = (~st.is_in(list(vt.values)) & st.is_not_null()).arg_true()
        if len(bad):
            i = int(bad[0])
            raise _bad(name, f"{st[i]!r} is not one of {', '.join(vt.values)}", i)
    if vt.kind == "enum_set":
        if s.dtype == pl.String:
            s = s.str.split("|").list.eval(pl.element().str.strip_chars().filter(pl.element() != ""))
        for i, items in enumerate(s.to_list()):
            for item in items or []:
                if item not in vt.values:
                    raise _bad(name, f"{item!r} is not one of {', '.join(vt.values)}", i)


def summarise(result: pl.DataFrame, compiled: CompiledRuleSet, *, prefix: str = "") -> pl.DataFrame:
    """Per rule: eligible count and total amount (fen) of an :meth:`BatchPlan.evaluate` result."""
    rows = []
    for r in compiled.ruleset.rules:
        e = result[prefix + col_name(r.id, "eligible")]
        a = result[prefix + col_name(r.id, "amount")]
        rows.append({"rule": r.id, "eligible": int(e.sum()), "amount_fen": int(a.sum())})
    return pl.DataFrame(rows, schema={"rule": pl.String, "eligible": pl.Int64, "amount_fen": pl.Int64})
