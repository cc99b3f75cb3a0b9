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

import math
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from rulebook.errors import DataError, IssueCode, make_issue
from rulebook.interpret import CompiledRuleSet, const_value, is_constant
from rulebook.model import (
    DATE,
    INT,
    MAX_LEAVES,
    MONEY,
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
    Leaf,
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
from rulebook.values import DATE_FUNCTIONS, MAX_DAY, MIN_DAY, days_to_date, float_to_scaled, round_div

I64 = pl.Int64
# Conditions known at compile time are these two objects: conjunctions and disjunctions drop or absorb them
# (a literal in an ``all_horizontal`` is broadcast to a column and costs a full pass), shared leaves that fold
# to one of them are not materialised.
TRUE = pl.lit(True)
FALSE = pl.lit(False)
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_NUMERIC_KINDS = ("int", "money", "decimal")


def col_name(rule_id: str, what: str) -> str:
    """Output column name, e.g. ``living_allowance.eligible``."""
    return f"{rule_id}.{what}"


@dataclass(frozen=True, slots=True)
class Profile:
    """What the data allow the compiler to assume, read from the prepared frame in O(columns).

    ``nulls``: columns holding at least one missing value; ``signed``: columns among those feeding a
    rounded product or quotient that hold a negative value. Expressions built for a profile are exact for
    every frame with that profile (no missing values → plain Boolean logic, no null guards; non-negative
    numerators → a single half-up integer division). ``None`` means "assume anything".
    """

    nulls: frozenset[str]
    signed: frozenset[str]
    floats: frozenset[str] = frozenset()  # decimal attributes kept as their float input (see prepare)
    # (column, bit length of its maximum) for the non-negative columns among ``signed``'s candidates: an
    # upper bound 2^bits − 1 that keeps the key stable across data of the same magnitude
    bits: frozenset[tuple[str, int]] = frozenset()


class _Ctx:
    """Compilation context: the compiled rule set, the data profile and literal/leaf memos."""

    def __init__(self, c: CompiledRuleSet, profile: Profile | None) -> None:
        self.c = c
        self.profile = profile
        self._lits: dict[tuple[str, Any], pl.Expr] = {}
        self.shared: dict[Any, pl.Expr] = {}  # leaf key → column of a leaf materialised once for all rules
        self.temps: dict[str, pl.Expr] = {}  # helper columns materialised once (e.g. narrowed inputs)
        self.prefix = ""
        self.nullable_memo: dict[int, bool] = {}  # node id → nullable (asked many times per node)
        self.leaf_keys: dict[int, Any] = {}
        self.clamps: dict[tuple[int, bool], Any] = {}  # (amount node id, narrow_ok) → _clamp_fold result

    def typed(self, value: Any, dtype: pl.DataType) -> pl.Expr:
        """A literal of ``dtype`` (memoised: a typed ``pl.lit`` builds a Series, ≈ 15 µs)."""
        key = (repr(dtype), value)
        e = self._lits.get(key)
        if e is None:
            e = self._lits[key] = pl.lit(value, dtype=dtype)
        return e

    def leaf_key(self, leaf: Leaf) -> Any:
        """:func:`leaf_key`, memoised per node."""
        try:
            return self.leaf_keys[leaf.nid]
        except KeyError:
            k = self.leaf_keys[leaf.nid] = leaf_key(self.c, leaf)
            return k

    def temp(self, key: str, expr: pl.Expr) -> pl.Expr:
        name = f"__{self.prefix}t.{key}"
        self.temps.setdefault(name, expr.alias(name))
        return pl.col(name)

    def lit(self, vt: VType, value: Any) -> pl.Expr:
        """A literal typed like the internal representation of ``vt`` (memoised: ``pl.lit`` is slow)."""
        key = (vt.kind, value)
        e = self._lits.get(key)
        if e is None:
            e = self._lits[key] = _lit(vt, value)
        return e

    def narrow(self, name: str) -> pl.Expr | None:
        """The UInt32 copy of an integer column when the amounts read one anyway and it is exact on data of
        this profile (no missing value, 0 <= x < 2^32): comparisons read it (half the memory traffic)."""
        tname = f"__{self.prefix}t.u32.{name}"
        if tname not in self.temps or not self.attr_nonneg(name):
            return None
        top = self.attr_max(name)
        return pl.col(tname) if top is not None and top < 2**32 else None

    def attr_nullable(self, name: str) -> bool:
        return self.profile is None or name in self.profile.nulls

    def raw_float(self, node: Value) -> bool:
        """A decimal attribute held as its float input (comparisons fold to float thresholds)."""
        p = self.profile
        return p is not None and isinstance(node, AttrRef) and node.name in p.floats

    def attr_nonneg(self, name: str) -> bool:
        p = self.profile
        return p is not None and name not in p.signed and name not in p.nulls

    def attr_max(self, name: str) -> int | None:
        """An upper bound of a non-negative column's values on data of this profile (``None``: unknown)."""
        p = self.profile
        if p is None:
            return None
        for n, bits in p.bits:
            if n == name:
                return int(2**bits - 1)
        return None


# --------------------------------------------------------------------------------------------- values


def _lit(vt: VType, value: Any) -> pl.Expr:
    if value is None:
        return pl.lit(None, dtype=_dtype(vt))
    if vt.kind == "bool":
        return pl.lit(bool(value))  # Boolean (a bool literal needs no dtype, which would cost a Series)
    if vt.kind == "date":
        return pl.lit(days_to_date(int(value)), dtype=pl.Date)
    return pl.lit(int(value), dtype=I64)


def _dtype(vt: VType) -> pl.DataType:
    if vt.kind == "bool":
        return pl.Boolean()
    if vt.kind == "date":
        return pl.Date()
    return pl.Int64()


def _raw(vt: VType, value: Any) -> Any:
    """A constant as a plain Python value for comparisons with a column (polars types it like the column)."""
    if vt.kind == "date":
        return days_to_date(int(value))
    if vt.kind == "bool":
        return bool(value)
    return int(value)


def nullable(ctx: _Ctx, node: Value | Cond) -> bool:
    """Whether ``node`` can be missing on data of the context's profile (conservative; memoised per node)."""
    memo = ctx.nullable_memo
    got = memo.get(node.nid)
    if got is None:
        got = memo[node.nid] = _nullable(ctx, node)
    return got


def _nullable(ctx: _Ctx, node: Value | Cond) -> bool:
    if isinstance(node, AttrRef):
        return ctx.attr_nullable(node.name)
    if isinstance(node, Const | ParamRef | AsOf):
        return const_value(ctx.c, node) is None
    if isinstance(node, Scale):
        return nullable(ctx, node.child)
    if isinstance(node, Arith):
        if node.op == "div":
            den = node.args[1]
            if not (is_constant(den) and const_value(ctx.c, den) not in (None, 0)):
                return True
        return any(nullable(ctx, a) for a in node.args)
    if isinstance(node, DateFn):
        return any(nullable(ctx, a) for a in node.args)
    if isinstance(node, Case):
        return any(nullable(ctx, v) for _c, v in node.branches) or nullable(ctx, node.default)
    if isinstance(node, AllOf | AnyOf):
        return any(nullable(ctx, ch) for ch in node.children)
    if isinstance(node, Not):
        return nullable(ctx, node.child)
    if isinstance(node, Cmp):
        return nullable(ctx, node.left) or nullable(ctx, node.right)
    if isinstance(node, InSet | SetTest | Truth):
        return nullable(ctx, node.value)
    if isinstance(node, Between):
        return nullable(ctx, node.value) or nullable(ctx, node.lo) or nullable(ctx, node.hi)
    return False  # Known, Literal


def nonneg(ctx: _Ctx, node: Value) -> bool:
    """Whether ``node`` is known to be ≥ 0 (and present) on data of the context's profile."""
    if isinstance(node, AttrRef):
        return node.type.kind in _NUMERIC_KINDS and ctx.attr_nonneg(node.name)
    if isinstance(node, Const | ParamRef | AsOf):
        v = const_value(ctx.c, node)
        return v is not None and v >= 0
    if isinstance(node, Scale):
        return node.factor >= 0 and nonneg(ctx, node.child)
    if isinstance(node, Arith) and node.op in ("add", "mul", "min", "max", "div"):
        return all(nonneg(ctx, a) for a in node.args)
    return False


def _round_div_const(e: pl.Expr, d: int, positive: bool = False) -> pl.Expr:
    """``e / d`` rounded half away from zero, ``d > 0`` constant (see values.round_div)."""
    if d == 1:
        return e
    if positive:
        return (e * 2 + d) // (2 * d)
    return pl.when(e >= 0).then((e * 2 + d) // (2 * d)).otherwise(-((-e * 2 + d) // (2 * d)))


def _round_div(n: pl.Expr, d: pl.Expr) -> pl.Expr:
    q = (n.abs() * 2 + d.abs()) // (d.abs() * 2)
    return pl.when(d == 0).then(pl.lit(None, dtype=I64)).when((n >= 0) == (d > 0)).then(q).otherwise(-q)


def _ymd(ctx: _Ctx, node: Value, months: bool) -> pl.Expr:
    """A date as ``y*10000 + m*100 + d`` (years) or ``(y*12 + m)*100 + d`` (months), monotone in the date."""
    if is_constant(node):
        d = days_to_date(const_value(ctx.c, node))
        v = d.year * 10000 + d.month * 100 + d.day if not months else (d.year * 12 + d.month) * 100 + d.day
        return pl.lit(v, dtype=I64)
    e = value_expr(ctx, node)
    y = e.dt.year().cast(I64)
    m = e.dt.month().cast(I64)
    day = e.dt.day().cast(I64)
    return y * 10000 + m * 100 + day if not months else (y * 12 + m) * 100 + day


def value_expr(ctx: _Ctx | CompiledRuleSet, node: Value) -> pl.Expr:
    """Compile a value node to a polars expression over the prepared frame (Int64 for numbers)."""
    if not isinstance(ctx, _Ctx):
        ctx = _Ctx(ctx, None)
    c = ctx.c
    if isinstance(node, AttrRef):
        if node.type.kind in ("enum", "ordered_enum"):
            return pl.col(node.name).cast(I64)  # physical codes may be narrow: widen for arithmetic
        if ctx.raw_float(node):
            return _scaled_from_float(pl.col(node.name), node.type.scale)
        return pl.col(node.name)
    if isinstance(node, Const | ParamRef | AsOf):
        return ctx.lit(node.type, const_value(c, node))
    if isinstance(node, Scale):
        if is_constant(node):
            return ctx.lit(node.type, const_value(c, node))
        return value_expr(ctx, node.child) * node.factor
    if isinstance(node, Arith):
        if node.op == "mul":
            k = 1
            var: list[pl.Expr] = []
            for a in node.args:
                if is_constant(a):
                    v = const_value(c, a)
                    if v is None:
                        return pl.lit(None, dtype=I64)
                    k *= v
                else:
                    var.append(value_expr(ctx, a))
            if not var:
                return ctx.lit(node.type, round_div(k, node.post_div))
            product = var[0]
            for x in var[1:]:
                product = product * x
            if node.post_div != 1 and nonneg(ctx, node):
                # exact half-up for non-negative numerators: one multiply, one add, one division
                return (product * (2 * k) + node.post_div) // (2 * node.post_div)
            if k != 1:
                product = product * k
            return _round_div_const(product, node.post_div)
        args = [value_expr(ctx, a) for a in node.args]
        variable = [a for a in node.args if not is_constant(a)]
        if node.op == "add":
            return args[0] + args[1] if len(args) == 2 else pl.sum_horizontal(args, ignore_nulls=False)
        if node.op == "sub":
            return args[0] - args[1]
        if node.op in ("min", "max"):
            folded = _clamp_fold(ctx, node)
            if folded is not None:
                return folded[0]()
            combined = pl.min_horizontal(args) if node.op == "min" else pl.max_horizontal(args)
            if not variable or not any(nullable(ctx, a) for a in variable):
                return combined
            guard = [value_expr(ctx, a).is_null() for a in variable if nullable(ctx, a)]
            return pl.when(pl.any_horizontal(guard)).then(None).otherwise(combined)
        num = args[0] * node.num_mul if node.num_mul != 1 else args[0]
        den = args[1] * node.den_mul if node.den_mul != 1 else args[1]
        return _round_div(num, den)
    if isinstance(node, DateFn):
        na, nb = node.args
        if node.fn == "days_between":
            ea = value_expr(ctx, na).cast(pl.Int32).cast(I64)
            eb = value_expr(ctx, nb).cast(pl.Int32).cast(I64)
            return eb - ea
        months = node.fn == "months_between"
        return (_ymd(ctx, nb, months) - _ymd(ctx, na, months)) // (100 if months else 10000)
    if isinstance(node, Case):
        chain: Any = pl
        for cond, val in node.branches:
            chain = chain.when(cond_expr(ctx, cond)).then(value_expr(ctx, val))
        result: pl.Expr = chain.otherwise(value_expr(ctx, node.default))
        return result
    raise TypeError(f"unknown value node {type(node).__name__}")


Masked = Callable[[pl.Expr], pl.Expr]


Clamp = tuple[Callable[[], pl.Expr], bool, Masked | None]


def _clamp_fold(ctx: _Ctx, node: Arith, narrow_ok: bool = False) -> Clamp | None:
    """:func:`_clamp_fold_new`, memoised per node (the batch plan asks once before building the leaves)."""
    key = (node.nid, narrow_ok)
    if key not in ctx.clamps:
        ctx.clamps[key] = _clamp_fold_new(ctx, node, narrow_ok)
    got: Clamp | None = ctx.clamps[key]
    return got


def _clamp_fold_new(ctx: _Ctx, node: Arith, narrow_ok: bool = False) -> Clamp | None:
    """``min(f(x), cap)`` / ``max(f(x), floor)`` with ``f`` a rounded non-negative product of one column:
    ``f`` is monotone, so the clamp is a threshold on the column found once in Python (exact integers),
    e.g. ``min(round(income × 2.35%), 650 元)`` → ``when(income >= 2765958).then(65000).otherwise(f)``.

    Returns ``(expression, narrow, masked)`` (the expression as a function building it, called only when
    needed); ``narrow`` (only with ``narrow_ok``) means UInt32 values,
    which the caller widens once at the end. ``masked`` (narrow only), given the rule's final eligibility
    ``e``, builds the output amount directly — ``Int64``, 0 where ``e`` is not TRUE — as
    ``f(min(x if e else 0, t))``: with a rate of at most 1 the rounded product grows by at most 1 per unit,
    so ``f(t)`` is exactly the cap, and ``f(0) = 0``; one selection on the narrow input replaces the
    threshold test and two selections on the output (≈ 20 % of a rate-based amount's time)."""
    consts = [a for a in node.args if is_constant(a)]
    var = [a for a in node.args if not is_constant(a)]
    if len(var) != 1 or not consts or not isinstance(var[0], Arith) or var[0].op != "mul":
        return None
    f = var[0]
    cvals = [const_value(ctx.c, a) for a in consts]
    if any(v is None for v in cvals) or nullable(ctx, f) or not nonneg(ctx, f):
        return None
    xs = [a for a in f.args if not is_constant(a)]
    if len(xs) != 1 or not isinstance(xs[0], AttrRef):
        return None
    k = 1
    for a in f.args:
        if is_constant(a):
            k *= const_value(ctx.c, a)
    bound = min(cvals) if node.op == "min" else max(cvals)
    post = f.post_div

    if node.op == "min":
        t = _first_reaching(k, post, bound)  # f(x) >= cap  <=>  x >= t
        name = xs[0].name
        x = pl.col(name)
        # half up for x >= 0: floor((2xk + post) / 2post), or floor((xk + post/2) / post) for an even post
        mul, add, div = (k, post // 2, post) if post % 2 == 0 else (2 * k, post, 2 * post)
        xmax = ctx.attr_max(name)
        top = t - 1 if xmax is None else min(t - 1, xmax)  # the largest x below the threshold
        if k > 0 and post > 1 and mul * top + add < 2**32 and 0 <= bound < 2**32 and not ctx.raw_float(xs[0]):
            # below the threshold the product fits 32 unsigned bits (x >= 0 here): half the memory traffic
            # and a much cheaper division than in 64 bits. Values at or above the threshold may not fit: they
            # wrap in the narrow branch, which is never selected for them — the threshold test reads the
            # original column. (A wrapping cast is a plain truncation, ≈ 5× cheaper than a checked one.)
            x32 = ctx.temp(f"u32.{name}", x.cast(pl.UInt32, wrap_numerical=True))
            reached = xmax is None or xmax >= t  # some value of the data may reach the cap

            def clamped() -> pl.Expr:  # built only if asked for (the masked form below usually replaces it)
                below32 = (x32 * mul + add) // div
                if not reached:  # no value of the data reaches the cap: no clamp at all
                    return below32
                # (plain ints: a literal that fits takes the other side's UInt32 — a typed one costs ≈ 15 µs)
                return pl.when(x >= t).then(bound).otherwise(below32)

            masked: Masked | None = None
            if xmax is not None and xmax < 2**32 and k <= post and add < div:  # the cast is exact
                zero, t32 = ctx.typed(0, pl.UInt32()), t if reached else None

                def masked(e: pl.Expr) -> pl.Expr:
                    xe = pl.when(e).then(x32).otherwise(zero)
                    xe = pl.min_horizontal(xe, t32) if t32 is not None else xe
                    return ((xe * mul + add) // div).cast(I64)

            if narrow_ok:
                return clamped, True, masked
            return (lambda: clamped().cast(I64)), False, None
        if xmax is not None and xmax < t:
            return (lambda: value_expr(ctx, f)), False, None
        return (lambda: pl.when(x >= t).then(ctx.lit(node.type, bound)).otherwise(value_expr(ctx, f))), False, None
    t = _first_reaching(k, post, bound + 1)  # f(x) <= floor  <=>  x < t
    x = pl.col(xs[0].name)
    return (lambda: pl.when(x < t).then(ctx.lit(node.type, bound)).otherwise(value_expr(ctx, f))), False, None


def _first_reaching(k: int, post: int, bound: int) -> int:
    """The smallest ``x >= 0`` with ``round_div(x·k, post) >= bound`` (``k >= 0``; ``2^62`` if none).

    For ``x >= 0`` the rounding is ``floor((2xk + post) / 2post)``, so the boundary has a closed form;
    it is checked against the exact integer function."""
    top = 1 << 62
    if bound <= 0:
        return 0
    if k == 0:
        return top
    t = max(0, -((post - 2 * post * bound) // (2 * k)))  # ceil((2·post·bound − post) / 2k)
    assert round_div(t * k, post) >= bound and (t == 0 or round_div((t - 1) * k, post) < bound)
    return min(t, top)


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


def _known(ctx: _Ctx, x: pl.Expr, node: Value, value: bool) -> pl.Expr:
    """``value`` where ``node`` is present, missing otherwise."""
    if not nullable(ctx, node):
        return TRUE if value else FALSE
    return pl.when(x.is_not_null()).then(value).otherwise(None)


def _range(
    ctx: _Ctx,
    x_node: Value,
    x: pl.Expr,
    lo: int | None,
    hi: int | None,
    vt: VType,
    dom: tuple[int, int] | None,
) -> pl.Expr:
    """``lo <= x <= hi`` (inclusive integer bounds, ``None`` = open) over a column with domain ``dom``."""
    if dom is not None:
        if lo is not None and lo <= dom[0]:
            lo = None
        if hi is not None and hi >= dom[1]:
            hi = None
        if (lo is not None and lo > dom[1]) or (hi is not None and hi < dom[0]):
            return _known(ctx, x, x_node, False)
    if lo is not None and hi is not None and lo > hi:
        return _known(ctx, x, x_node, False)
    if lo is None and hi is None:
        return _known(ctx, x, x_node, True)
    if lo is not None and lo == hi:
        eq: pl.Expr = x == _raw(vt, lo)
        return eq
    parts: list[pl.Expr] = []
    if lo is not None:
        parts.append(x >= _raw(vt, lo))
    if hi is not None:
        parts.append(x <= _raw(vt, hi))
    return parts[0] if len(parts) == 1 else parts[0] & parts[1]


def _scaled_from_float(col: pl.Expr, scale: int) -> pl.Expr:
    """``sign(x)·floor(|x|·10^scale + 0.5)`` in float64 then Int64 (values.float_to_scaled, bit for bit)."""
    f = col.cast(pl.Float64)
    mag = (f.abs() * float(10**scale) + 0.5).floor().cast(I64)
    return pl.when(f < 0).then(-mag).otherwise(mag)


def _fkey(x: float) -> int:
    b: int = struct.unpack("<q", struct.pack("<d", x))[0]
    return b if b >= 0 else -(b & 0x7FFF_FFFF_FFFF_FFFF)


def _ffrom(k: int) -> float:
    bits = k if k >= 0 else (-k) | (1 << 63)
    x: float = struct.unpack("<d", struct.pack("<Q", bits))[0]
    return x


def _float_threshold(k: int, scale: int) -> float | None:
    """The smallest float ``x`` with ``float_to_scaled(x) >= k`` (monotone in ``x``), over the data range
    accepted by prepare (``|x|·10^scale < 2^62``); ``-inf``/``None`` when every/no value qualifies."""
    top = float(2**62) / float(10**scale)
    if float_to_scaled(-top, scale) >= k:
        return -math.inf
    if float_to_scaled(top, scale) < k:
        return None
    # start next to the real boundary ((k − ½)/10^scale) and walk a few floats; bisect if that fails
    factor = float(10**scale)
    x = (k - 0.5) / factor if k > 0 else -(0.5 - k) / factor
    for _ in range(64):
        if float_to_scaled(x, scale) >= k:
            below = math.nextafter(x, -math.inf)
            if float_to_scaled(below, scale) < k:
                return x
            x = below
        else:
            x = math.nextafter(x, math.inf)
    lo, hi = _fkey(-top), _fkey(top)
    while lo < hi:
        mid = (lo + hi) // 2
        if float_to_scaled(_ffrom(mid), scale) >= k:
            hi = mid
        else:
            lo = mid + 1
    return _ffrom(lo)


def _float_range(ctx: _Ctx, node: AttrRef, factor: int, lo: int | None, hi: int | None) -> pl.Expr:
    """``lo <= scaled(x)·factor <= hi`` on a decimal attribute held as floats: two float comparisons with
    thresholds found once in Python with the exact conversion (no per-row conversion)."""
    scale = node.type.scale
    lo_s = None if lo is None else -((-lo) // factor)  # ceil
    hi_s = None if hi is None else hi // factor
    x = pl.col(node.name)
    parts: list[pl.Expr] = []
    if lo_s is not None:
        t = _float_threshold(lo_s, scale)
        if t is None:
            return _known(ctx, x, node, False)
        if t != -math.inf:
            parts.append(x >= t)
    if hi_s is not None:
        t = _float_threshold(hi_s + 1, scale)
        if t == -math.inf:
            return _known(ctx, x, node, False)
        if t is not None:
            parts.append(x < t)
    if not parts:
        return _known(ctx, x, node, True)
    return parts[0] if len(parts) == 1 else parts[0] & parts[1]


def _int_test(ctx: _Ctx, node: Value, lo: int | None, hi: int | None) -> pl.Expr:
    """``lo <= node <= hi`` for an integral value with integer bounds, in the cheapest exact form."""
    if ctx.raw_float(node):
        assert isinstance(node, AttrRef)
        return _float_range(ctx, node, 1, lo, hi)
    if isinstance(node, Scale) and node.factor > 0 and ctx.raw_float(node.child):
        assert isinstance(node.child, AttrRef)
        return _float_range(ctx, node.child, node.factor, lo, hi)
    if isinstance(node, AttrRef) and node.type.kind in ("int", "money"):
        x32 = ctx.narrow(node.name)
        if x32 is not None:  # bounds outside [0, max] fold away; the others fit 32 bits
            return _range(ctx, node, x32, lo, hi, node.type, (0, ctx.attr_max(node.name) or 0))
    return _range(ctx, node, _leaf_operand(ctx, node), lo, hi, node.type, _domain(node))


def _date_fold(ctx: _Ctx, fn_node: DateFn, vlo: int | None, vhi: int | None) -> pl.Expr | None:
    """``vlo <= f(x) <= vhi`` for a date function with one constant argument, as a range test on ``x``
    (boundary dates found once in Python with the exact calendar functions, 29 February included)."""
    c = ctx.c
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
    x = _leaf_operand(ctx, x_node)
    return _range(ctx, x_node, x, None if lo_day <= MIN_DAY else lo_day, None if hi_day >= MAX_DAY else hi_day,
                  DATE, None)  # fmt: skip


def _cmp_interval(op: str, k: int) -> tuple[int | None, int | None]:
    return {
        "==": (k, k),
        "<": (None, k - 1),
        "<=": (None, k),
        ">": (k + 1, None),
        ">=": (k, None),
    }[op]


def _domain(node: Value) -> tuple[int, int] | None:
    if node.type.kind in ("enum", "ordered_enum"):
        return (0, len(node.type.values) - 1)
    return None


def _leaf_operand(ctx: _Ctx, node: Value) -> pl.Expr:
    """A value compared with constants: attributes are read in their physical type (enum codes stay narrow)."""
    if isinstance(node, AttrRef):
        return pl.col(node.name)
    return value_expr(ctx, node)


def _is_integral(node: Value) -> bool:
    return node.type.kind in ("int", "money", "decimal", "date", "enum", "ordered_enum")


def _value_key(c: CompiledRuleSet, node: Value) -> Any:
    """A structural key of a simple value (attribute, constant, derived date, scaled), else ``None``."""
    if isinstance(node, AttrRef):
        return ("a", node.name)
    if is_constant(node):
        return ("k", node.type.kind, const_value(c, node))
    if isinstance(node, Scale):
        inner = _value_key(c, node.child)
        return None if inner is None else ("s", node.factor, inner)
    if isinstance(node, DateFn):
        ka, kb = _value_key(c, node.args[0]), _value_key(c, node.args[1])
        return None if ka is None or kb is None else ("d", node.fn, ka, kb)
    return None


def leaf_key(c: CompiledRuleSet, leaf: Leaf) -> Any:
    """Equal keys ⇒ equal leaf values on every row: such leaves are evaluated once for all rules."""
    parts: tuple[Any, ...]
    if isinstance(leaf, Cmp):
        parts = ("cmp", leaf.op, _value_key(c, leaf.left), _value_key(c, leaf.right))
    elif isinstance(leaf, InSet):
        parts = ("in", _value_key(c, leaf.value), tuple(sorted(leaf.codes)), leaf.negate)
    elif isinstance(leaf, Between):
        parts = ("btw", _value_key(c, leaf.value), _value_key(c, leaf.lo), _value_key(c, leaf.hi),
                 leaf.lo_incl, leaf.hi_incl)  # fmt: skip
    elif isinstance(leaf, SetTest):
        parts = ("set", _value_key(c, leaf.value), leaf.mask, leaf.mode)
    else:
        return None  # bool columns, known, literals: already free
    return None if any(p is None for p in parts) else parts


def cond_expr(ctx: _Ctx | CompiledRuleSet, node: Cond) -> pl.Expr:
    """Compile a condition to a Boolean expression (Kleene logic where the data can be missing)."""
    if not isinstance(ctx, _Ctx):
        ctx = _Ctx(ctx, None)
    c = ctx.c
    if ctx.shared and isinstance(node, Leaf):
        col = ctx.shared.get(ctx.leaf_key(node))
        if col is not None:
            return col
    if isinstance(node, AllOf):
        return _and([cond_expr(ctx, ch) for ch in node.children])
    if isinstance(node, AnyOf):
        return _or([cond_expr(ctx, ch) for ch in node.children])
    if isinstance(node, Not):
        inner = cond_expr(ctx, node.child)
        return FALSE if inner is TRUE else TRUE if inner is FALSE else ~inner
    if isinstance(node, Cmp):
        left, right, op = node.left, node.right, node.op
        if is_constant(left) and not is_constant(right):
            left, right, op = right, left, _FLIP[op]
        if is_constant(right) and not is_constant(left) and _is_integral(left):
            k = const_value(c, right)
            if k is None:
                return pl.lit(None, dtype=pl.Boolean)
            if isinstance(left, DateFn):
                if op == "!=":
                    folded = _date_fold(ctx, left, k, k)
                    if folded is not None:
                        return ~folded
                else:
                    folded = _date_fold(ctx, left, *_cmp_interval(op, k))
                    if folded is not None:
                        return folded
            if op == "!=":
                return ~_int_test(ctx, left, k, k)
            return _int_test(ctx, left, *_cmp_interval(op, k))
        le, re_ = value_expr(ctx, left), value_expr(ctx, right)
        return {
            "==": le == re_, "!=": le != re_, "<": le < re_, "<=": le <= re_, ">": le > re_, ">=": le >= re_,
        }[op]  # fmt: skip
    if isinstance(node, InSet):
        codes = sorted(node.codes)
        vt = node.value.type
        if vt.kind == "date":
            test = value_expr(ctx, node.value).is_in([days_to_date(v) for v in codes])
        else:
            x = _leaf_operand(ctx, node.value)
            dom = _domain(node.value)
            if dom is not None:
                codes = [k for k in codes if dom[0] <= k <= dom[1]]
            runs: list[list[int]] = []
            for k in codes:
                if runs and runs[-1][1] == k - 1:
                    runs[-1][1] = k
                else:
                    runs.append([k, k])
            if not runs:
                test = _known(ctx, x, node.value, False)
            elif len(runs) <= 3:
                tests = [_range(ctx, node.value, x, lo, hi, vt, dom) for lo, hi in runs]
                test = _or(tests)
            else:
                test = x.cast(I64).is_in(pl.Series(codes, dtype=I64).implode())
        return ~test if node.negate else test
    if isinstance(node, Between):
        if is_constant(node.lo) and is_constant(node.hi) and not is_constant(node.value):
            lo, hi = const_value(c, node.lo), const_value(c, node.hi)
            if lo is not None and hi is not None and _is_integral(node.value):
                lo_i, hi_i = lo if node.lo_incl else lo + 1, hi if node.hi_incl else hi - 1
                if isinstance(node.value, DateFn):
                    folded = _date_fold(ctx, node.value, lo_i, hi_i)
                    if folded is not None:
                        return folded
                return _int_test(ctx, node.value, lo_i, hi_i)
        x = value_expr(ctx, node.value)
        lo_e, hi_e = value_expr(ctx, node.lo), value_expr(ctx, node.hi)
        a = (lo_e <= x) if node.lo_incl else (lo_e < x)
        b = (x <= hi_e) if node.hi_incl else (x < hi_e)
        return a & b
    if isinstance(node, SetTest):
        x = value_expr(ctx, node.value)
        m = node.mask
        if node.mode == "has_any":
            return (x & m) != 0
        if node.mode == "has_all":
            return (x & m) == m
        return (x & m) == 0
    if isinstance(node, Truth):
        return value_expr(ctx, node.value)
    if isinstance(node, Known):
        if not nullable(ctx, node.value):
            return TRUE
        return value_expr(ctx, node.value).is_not_null()
    if isinstance(node, Literal):
        return TRUE if node.value else FALSE
    raise TypeError(f"unknown condition node {type(node).__name__}")


def _failed(ctx: _Ctx, leaf: Leaf, e: pl.Expr) -> pl.Expr:
    """TRUE where the leaf is not as the rule requires (its polarity); missing counts as failed."""
    if not nullable(ctx, leaf):
        return ~e if leaf.polarity else e
    return ~e.fill_null(False) if leaf.polarity else e.fill_null(True)


# --------------------------------------------------------------------------------------------- rules


def _mask_dtype(bits: int) -> pl.DataType:
    if bits <= 8:
        return pl.UInt8()
    if bits <= 16:
        return pl.UInt16()
    if bits <= 32:
        return pl.UInt32()
    return pl.UInt64()


def _pack(ctx: _Ctx, bits: list[tuple[pl.Expr, int]], dtype: pl.DataType) -> pl.Expr:
    """Failed-condition bits → one unsigned integer: bit ``i`` set where the expression is TRUE.

    Each term is a single ``when/then`` of typed literals (one narrow pass per leaf), combined with a
    balanced tree of bitwise ors (depth log₂ of the number of leaves)."""
    zero = ctx.typed(0, dtype)
    terms = [
        f.cast(dtype) if i == 0 else pl.when(f).then(ctx.typed(1 << i, dtype)).otherwise(zero)
        for f, i in bits
    ]
    if not terms:
        return zero
    while len(terms) > 1:
        terms = [terms[j] | terms[j + 1] if j + 1 < len(terms) else terms[j] for j in range(0, len(terms), 2)]
    return terms[0]


def _conjunctive(node: Cond | None) -> bool:
    """An ``all`` of leaves (or negated leaves): true exactly when no leaf fails."""
    if not isinstance(node, AllOf):
        return False
    return all(
        (isinstance(ch, Not) and not isinstance(ch.child, AllOf | AnyOf | Not))
        or not isinstance(ch, AllOf | AnyOf | Not)
        for ch in node.children
    )


def _and(parts: list[pl.Expr]) -> pl.Expr:
    """Kleene conjunction; the constants are folded (FALSE absorbs, even a missing value)."""
    if any(p is FALSE for p in parts):
        return FALSE
    parts = [p for p in parts if p is not TRUE]
    if not parts:
        return TRUE
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        return parts[0] & parts[1]
    return pl.all_horizontal(parts)


def _or(parts: list[pl.Expr]) -> pl.Expr:
    """Kleene disjunction; the constants are folded (TRUE absorbs, even a missing value)."""
    if any(p is TRUE for p in parts):
        return TRUE
    parts = [p for p in parts if p is not FALSE]
    if not parts:
        return FALSE
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        return parts[0] | parts[1]
    return pl.any_horizontal(parts)


class _RuleExprs:
    """Raw (pre-exclusion) expressions of one rule.

    ``mask`` (with masks) is materialised before ``elig0``; when ``elig_from_mask`` is set, the rule is
    conjunctive and ``elig0`` reads the mask column instead of re-evaluating the leaves."""

    def __init__(self, ctx: _Ctx, rule: AnyRule, masks: bool, mask_col: str) -> None:
        c = ctx.c
        self.rule = rule
        self.elig0: pl.Expr
        self._amount: pl.Expr | None = None
        self._amount_fn: Callable[[], pl.Expr] = lambda: ctx.lit(MONEY, 0)
        self.amount_nullable = False
        self.amount32 = False  # the amount is UInt32 (a narrow clamp): widened once in the output
        self.amount_masked: Masked | None = None  # eligibility → output amount (see _clamp_fold)
        self.amount_const: int | None = None  # a constant amount (the output needs no typed literal)
        self.points: pl.Expr | None = None
        self.tier: pl.Expr | None = None
        self.mask: pl.Expr | None = None
        false = pl.lit(False)
        n_bits = _mask_bits(rule)
        if not c.in_force[rule.id]:
            self.elig0 = false
            self.points = ctx.lit(INT, 0) if rule.has_points else None
            self.tier = pl.lit(None, dtype=pl.String) if rule.has_tier else None
            if masks and n_bits:
                self.mask = ctx.typed(0, _mask_dtype(n_bits))
            return
        bits: list[tuple[pl.Expr, int]] = []
        if masks and not isinstance(rule, DecisionTable):
            bits = [(_failed(ctx, leaf, cond_expr(ctx, leaf)), leaf.leaf) for leaf in rule.leaves]
        if isinstance(rule, Rule):
            from_mask = masks and bool(bits) and _conjunctive(rule.when)
            if from_mask:
                cond = pl.col(mask_col) == 0  # TRUE iff no leaf failed: the leaves are evaluated once
            else:
                cond = cond_expr(ctx, rule.when) if rule.when is not None else TRUE
            parts = [cond]
            if rule.amount is not None:
                clamp = (
                    _clamp_fold(ctx, rule.amount, narrow_ok=True)
                    if isinstance(rule.amount, Arith) and rule.amount.op in ("min", "max")
                    else None
                )
                if clamp is not None:
                    self._amount_fn, self.amount32, self.amount_masked = clamp
                elif is_constant(rule.amount) and const_value(c, rule.amount) is not None:
                    self.amount_const = int(const_value(c, rule.amount))
                    self._amount_fn = lambda: value_expr(ctx, rule.amount)  # type: ignore[arg-type]
                else:
                    self.amount = value_expr(ctx, rule.amount)
                if nullable(ctx, rule.amount):
                    self.amount_nullable = True
                    parts.append(self.amount.is_not_null())
            if rule.points is not None:
                self.points = value_expr(ctx, rule.points)
                if nullable(ctx, rule.points):
                    parts.append(self.points.is_not_null())
            e = _and(parts)
            needs_fill = not from_mask and (rule.when is not None and nullable(ctx, rule.when))
            self.elig0 = e.fill_null(False) if needs_fill else e
            if rule.tier is not None:
                self.tier = pl.lit(rule.tier, dtype=pl.String)
        elif isinstance(rule, ScoredTable):
            zero = ctx.lit(INT, 0)
            per: list[pl.Expr] = []
            groups: dict[str, list[pl.Expr]] = {g.id: [] for g in rule.groups}
            for ind in rule.indicators:
                chain: Any = pl
                for band in ind.bands:
                    chain = chain.when(cond_expr(ctx, band.cond)).then(ctx.lit(INT, band.points))
                pts = chain.otherwise(zero) if ind.bands else zero
                per.append(pts)
                if ind.group is not None:
                    groups[ind.group].append(pts)
            total = pl.sum_horizontal(per) if per else zero
            score_parts = [total >= rule.threshold] + [
                (pl.sum_horizontal(groups[g.id]) if groups[g.id] else zero) >= g.min for g in rule.groups
            ]
            score_ok = _and(score_parts)
            routes = [cond_expr(ctx, r.when) for r in rule.routes]
            route_ok = pl.any_horizontal([*routes, pl.lit(False)]) if routes else pl.lit(False)
            pre = cond_expr(ctx, rule.prerequisites) if rule.prerequisites is not None else pl.lit(True)
            parts = [pre, route_ok | score_ok]
            if rule.amount is not None:
                self.amount = value_expr(ctx, rule.amount)
                self.amount_nullable = nullable(ctx, rule.amount)
                parts.append(self.amount.is_not_null())
            self.elig0 = pl.all_horizontal(parts).fill_null(False)
            self.points = total
            if rule.tier is not None:
                self.tier = pl.lit(rule.tier, dtype=pl.String)
            if masks:
                bits.append((~(score_ok | route_ok.fill_null(False)), len(rule.leaves)))
        else:
            bits = self._table(ctx, rule, masks)
        if masks and bits:
            self.mask = _pack(ctx, bits, _mask_dtype(n_bits))

    @property
    def amount(self) -> pl.Expr:
        """The raw amount (built on first use: outputs often read the masked form instead)."""
        if self._amount is None:
            self._amount = self._amount_fn()
        return self._amount

    @amount.setter
    def amount(self, value: pl.Expr) -> None:
        self._amount = value

    def _table(self, ctx: _Ctx, rule: DecisionTable, masks: bool) -> list[tuple[pl.Expr, int]]:
        c = ctx.c
        rows = [cond_expr(ctx, row.cond) for row in rule.rows]
        zero = ctx.lit(MONEY, 0)
        if not rows:
            self.elig0 = pl.lit(False)
            return []
        self.amount_nullable = True
        if rule.hit_policy == "first":
            amount: Any = pl
            points: Any = pl
            tier: Any = pl
            for row, rc in zip(rule.rows, rows, strict=True):
                amount = amount.when(rc).then(value_expr(ctx, row.amount) if row.amount is not None else zero)
                points = points.when(rc).then(value_expr(ctx, row.points) if row.points is not None else zero)
                tier = tier.when(rc).then(pl.lit(row.tier, dtype=pl.String))
            self.amount = amount.otherwise(zero)
            pts = points.otherwise(zero)
            self.tier = tier.otherwise(pl.lit(None, dtype=pl.String)) if rule.has_tier else None
        else:
            amounts = [
                pl.when(rc).then(value_expr(ctx, row.amount)).otherwise(zero)
                for row, rc in zip(rule.rows, rows, strict=True)
                if row.amount is not None
            ]
            pts_list = [
                pl.when(rc).then(value_expr(ctx, row.points)).otherwise(zero)
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
        hit = [r.fill_null(False) for r in rows]
        matched = pl.any_horizontal(hit) if len(hit) > 1 else hit[0]
        self.elig0 = matched & self.amount.is_not_null() & pts.is_not_null()
        self.points = pts if rule.has_points else None
        _ = c
        if masks and len(rows) <= MAX_LEAVES:
            return [(~h, i) for i, h in enumerate(hit)]
        return []


def _mask_bits(rule: AnyRule) -> int:
    """Width of a rule's failed-condition mask (0: no mask column)."""
    if isinstance(rule, DecisionTable):
        return len(rule.rows) if len(rule.rows) <= MAX_LEAVES else 0
    return len(rule.leaves) + (1 if isinstance(rule, ScoredTable) else 0)


def _sign_columns(rs: Any, rules: Sequence[AnyRule]) -> list[str]:
    """Numeric attributes read under a rounded product or quotient (their sign decides the rounding form)."""
    out: dict[str, None] = {}

    def walk(node: Any, under: bool) -> None:
        if isinstance(node, AttrRef):
            if under and node.type.kind in _NUMERIC_KINDS:
                out[node.name] = None
            return
        if isinstance(node, Arith):
            u = under or node.op in ("mul", "div")
            for a in node.args:
                walk(a, u)
        elif isinstance(node, Scale):
            walk(node.child, under)
        elif isinstance(node, Case):
            for _cond, v in node.branches:
                walk(v, under)
            walk(node.default, under)

    for rule in rules:
        values: list[Any] = []
        if isinstance(rule, Rule):
            values = [rule.amount, rule.points]
        elif isinstance(rule, ScoredTable):
            values = [rule.amount]
        else:
            values = [v for row in rule.rows for v in (row.amount, row.points)]
        for v in values:
            if v is not None:
                walk(v, False)
    _ = rs
    return list(out)


Stages = list[list[pl.Expr]]


class BatchPlan:
    """The batch evaluator of one :class:`CompiledRuleSet` (cached with it by the engine).

    Evaluation is one lazy polars query of three steps: the failed-condition masks (with ``masks``), the
    raw eligibility of every rule (and the raw amounts that exclusions compare), then one ``select`` of
    the outputs. Expressions are specialised to the data :class:`Profile` and cached per profile."""

    def __init__(self, compiled: CompiledRuleSet) -> None:
        self.compiled = compiled
        rs = compiled.ruleset
        self.columns: dict[str, VType] = {}
        for rule in rs.rules:
            if compiled.in_force[rule.id]:
                for name in sorted(rule.attributes):
                    self.columns[name] = rs.attributes[name].type
        live = [r for r in rs.rules if compiled.in_force[r.id]]
        self.sign_columns = _sign_columns(rs, live)
        self._cache: dict[tuple[bool, str, Profile | None, tuple[str, ...] | None], Stages] = {}

    # ---- load
    def prepare(self, df: pl.DataFrame) -> pl.DataFrame:
        """Check and convert the attribute columns to the internal representation (see rulebook.values).

        Zero-copy where the input already has it (integers as Int64, dates, booleans, enums whose
        categories are the declared values: their physical codes). Raises :class:`DataError` naming the
        column (and the first bad row) on a missing column, a wrong type or a value outside an enumeration.
        """
        exprs = []
        present = set(df.columns)
        for name in self.columns:
            if name not in present:
                raise DataError([make_issue(IssueCode.DATA_MISSING_COLUMN, f"column {name}", name=name)])
        schema = df.schema  # ≈ 0.1 ms per call on a wide frame: read once
        decimals = {n: vt.scale for n, vt in self.columns.items() if vt.kind == "decimal"}
        keep_float = _safe_floats(df, decimals, schema)
        same = [_as_is(df, schema[name], name, vt, name in keep_float) for name, vt in self.columns.items()]
        if all(s is not None for s in same):  # nothing to convert: no query at all
            return pl.DataFrame([s for s in same if s is not None])
        for name, vt in self.columns.items():
            if name in keep_float:
                exprs.append(pl.col(name).cast(pl.Float64))  # zero copy for Float64
            else:
                exprs.append(_convert(df, name, vt).alias(name))
        try:
            return df.select(exprs)
        except pl.exceptions.PolarsError:
            for name, vt in self.columns.items():
                _diagnose(df, name, vt)
            raise

    def profile(self, prepared: pl.DataFrame | pl.LazyFrame) -> Profile | None:
        """The data profile of a prepared frame (``None`` for a lazy frame: assume anything)."""
        if not isinstance(prepared, pl.DataFrame):
            return None
        present = set(prepared.columns)
        nulls = frozenset(n for n in self.columns if n in present and prepared[n].null_count())
        signed: set[str] = set()
        cols = [n for n in self.sign_columns if n in present and n not in nulls]
        bits: set[tuple[str, int]] = set()
        if cols and prepared.height:
            # every minimum and maximum in one query: the reductions run on both cores
            stats = prepared.select(
                [pl.col(n).min().alias(f"lo.{n}") for n in cols]
                + [pl.col(n).max().alias(f"hi.{n}") for n in cols if prepared[n].dtype.is_integer()]
            ).row(0, named=True)
            for n in cols:
                lo: Any = stats[f"lo.{n}"]  # numeric columns only (sign_columns)
                if lo is None or lo < 0:
                    signed.add(n)
                elif f"hi.{n}" in stats:
                    bits.add((n, int(stats[f"hi.{n}"]).bit_length()))
        schema = prepared.schema if any(vt.kind == "decimal" for vt in self.columns.values()) else None
        floats = frozenset(
            n for n, vt in self.columns.items()
            if vt.kind == "decimal" and schema is not None and n in schema and schema[n].is_float()
        )  # fmt: skip
        return Profile(nulls, frozenset(signed), floats, frozenset(bits))

    # ---- evaluate
    def stages(
        self,
        *,
        masks: bool = False,
        prefix: str = "",
        profile: Profile | None = None,
        rules: Sequence[str] | None = None,
    ) -> Stages:
        """The query as ``[with_columns…, select]`` expression lists; output columns named with ``prefix``.

        ``rules`` restricts the outputs to those rules (their exclusion partners are computed too)."""
        key = (masks, prefix, profile, tuple(rules) if rules is not None else None)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        c = self.compiled
        ctx = _Ctx(c, profile)
        ctx.prefix = prefix
        all_rules = c.ruleset.rules
        wanted = set(rules) if rules is not None else {r.id for r in all_rules}
        needed = _closure(c, wanted)
        chosen = [r for r in all_rules if r.id in needed]

        def t(kind: str, rid: str) -> str:
            return f"__{prefix}{kind}.{rid}"

        for r in chosen:  # narrow copies of columns first, so that the leaves can read them too
            amt = r.amount if isinstance(r, Rule) and c.in_force[r.id] else None
            if isinstance(amt, Arith) and amt.op in ("min", "max"):
                _clamp_fold(ctx, amt, narrow_ok=True)
        counts: dict[Any, list[Leaf]] = {}
        for r in chosen:
            if c.in_force[r.id] and isinstance(r, Rule | ScoredTable):
                for leaf in r.leaves:
                    k = ctx.leaf_key(leaf)
                    if k is not None:
                        counts.setdefault(k, []).append(leaf)
        leaf_stage: list[pl.Expr] = []
        for k, leaves in counts.items():
            if len(leaves) > 1:
                name = f"__{prefix}l{len(leaf_stage)}"
                known = cond_expr(ctx, leaves[0])
                if known is TRUE or known is FALSE:  # known at compile time: nothing to materialise
                    ctx.shared[k] = known
                    continue
                leaf_stage.append(known.alias(name))
                ctx.shared[k] = pl.col(name)
        raw = {r.id: _RuleExprs(ctx, r, masks, prefix + col_name(r.id, "mask")) for r in chosen}
        in_group = {rid for g in c.together_groups for rid in g}
        mask_stage = [
            x.mask.alias(prefix + col_name(rid, "mask")) for rid, x in raw.items() if x.mask is not None
        ]
        stage1: list[pl.Expr] = []
        for r in chosen:
            x = raw[r.id]
            stage1.append(x.elig0.alias(t("e", r.id)))
            if r.id in in_group:
                stage1.append(x.amount.alias(t("a", r.id)))
        elig: dict[str, pl.Expr] = {}
        for rid in c.order:
            if rid not in needed:
                continue
            e = pl.col(t("e", rid))
            winners = c.override_winners[rid]
            if winners:
                e = (
                    e & ~pl.any_horizontal([elig[w] for w in winners])
                    if len(winners) > 1
                    else e & ~elig[winners[0]]
                )
            elig[rid] = e
        final = dict(elig)
        for group in c.together_groups:
            for rid in group:
                if rid not in needed:
                    continue
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
        zero = ctx.lit(MONEY, 0)
        for r in chosen:
            if r.id not in wanted:
                continue
            x = raw[r.id]
            e = final[r.id]
            outputs.append(e.alias(prefix + col_name(r.id, "eligible")))
            if x.amount_masked is not None and r.id not in in_group:
                out = x.amount_masked(e)
            elif x.amount_const is not None and r.id not in in_group:
                # a plain int takes the typed zero's Int64 (a typed literal costs a Series, ≈ 20 µs)
                out = pl.when(e).then(x.amount_const).otherwise(zero)
            else:
                amount = pl.col(t("a", r.id)) if r.id in in_group else x.amount
                if x.amount32:
                    out = pl.when(e).then(amount).otherwise(ctx.typed(0, pl.UInt32())).cast(I64)
                else:
                    out = pl.when(e).then(amount).otherwise(zero)
            outputs.append(out.alias(prefix + col_name(r.id, "amount")))
            if x.points is not None:
                pts = (
                    x.points
                    if isinstance(r, ScoredTable)
                    else pl.when(e).then(x.points).otherwise(ctx.lit(INT, 0))
                )
                outputs.append(pts.alias(prefix + col_name(r.id, "points")))
            if x.tier is not None:
                outputs.append(pl.when(e).then(x.tier).otherwise(None).alias(prefix + col_name(r.id, "tier")))
            if x.mask is not None:
                outputs.append(pl.col(prefix + col_name(r.id, "mask")))
        temps = list(ctx.temps.values())
        result = (
            ([temps] if temps else [])
            + ([leaf_stage] if leaf_stage else [])
            + ([mask_stage] if mask_stage else [])
            + [stage1, outputs]
        )
        if len(self._cache) >= 64:  # profiles are few in practice; never grow without bound
            self._cache.clear()
        self._cache[key] = result
        return result

    def expressions(self, *, masks: bool = False, prefix: str = "") -> tuple[list[pl.Expr], list[pl.Expr]]:
        """``(temporaries, outputs)`` for any data (no profile); kept for callers of the two-stage form."""
        st = self.stages(masks=masks, prefix=prefix)
        return [e for s in st[:-1] for e in s], st[-1]

    def query(
        self,
        prepared: pl.DataFrame | pl.LazyFrame,
        *,
        masks: bool = False,
        prefix: str = "",
        profile: Profile | None = None,
        rules: Sequence[str] | None = None,
        keep: Sequence[str] = (),
    ) -> pl.LazyFrame:
        """The lazy evaluation query over a prepared frame (``keep``: prepared columns passed through)."""
        st = self.stages(masks=masks, prefix=prefix, profile=profile, rules=rules)
        lf = prepared.lazy()
        for s in st[:-1]:
            lf = lf.with_columns(s)
        return lf.select([*(pl.col(k) for k in keep), *st[-1]])

    def evaluate_prepared(
        self, prepared: pl.DataFrame | pl.LazyFrame, *, masks: bool = False
    ) -> pl.DataFrame:
        """Evaluate on a frame returned by :meth:`prepare`."""
        return self.query(prepared, masks=masks, profile=self.profile(prepared)).collect(optimizations=_OPT)

    def evaluate(self, df: pl.DataFrame, *, masks: bool = False, keep: Sequence[str] = ()) -> pl.DataFrame:
        """Prepare and evaluate; ``keep`` names input columns copied in front of the results."""
        out = self.evaluate_prepared(self.prepare(df), masks=masks)
        if keep:
            out = pl.concat([df.select(list(keep)), out], how="horizontal")
        return out


# The query is already in its final shape — sharing is explicit (materialised leaves, masks and raw
# decisions), every column it computes is used, there are no filters — so the optimiser passes are
# skipped: ≈ 0.2–0.3 ms of planning per evaluation, the same execution (type coercion still runs).
_OPT = pl.QueryOptFlags.none()


def _closure(c: CompiledRuleSet, wanted: set[str]) -> set[str]:
    """``wanted`` plus every rule their final eligibility depends on (override winners, group members)."""
    groups = {rid: g for g in c.together_groups for rid in g}
    out: set[str] = set()
    todo = list(wanted)
    while todo:
        rid = todo.pop()
        if rid in out:
            continue
        out.add(rid)
        todo.extend(c.override_winners[rid])
        todo.extend(groups.get(rid, []))
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
            return col if dtype == pl.Int64 else col.cast(I64)
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
        factor = int(10**vt.scale)
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
            return col.to_physical()  # already coded in the declared order: zero copy, narrow codes
        if dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum):
            return col.cast(pl.String).cast(enum, strict=True).to_physical()
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


def _as_is(df: pl.DataFrame, dtype: pl.DataType, name: str, vt: VType, keep_float: bool) -> pl.Series | None:
    """The column itself when it already has the internal representation (zero copy), else ``None``."""
    kind = vt.kind
    if (
        (kind == "bool" and dtype == pl.Boolean)
        or (kind in ("int", "money") and dtype == pl.Int64)
        or (kind == "date" and dtype == pl.Date)
        or (keep_float and dtype == pl.Float64)
    ):
        return df[name]
    enum = kind in ("enum", "ordered_enum") and isinstance(dtype, pl.Enum)
    if enum and list(dtype.categories) == list(vt.values):  # type: ignore[attr-defined]
        return df[name].to_physical()  # the codes in the declared order
    return None


def _safe_floats(df: pl.DataFrame, decimals: dict[str, int], schema: pl.Schema) -> set[str]:
    """Float decimal columns that can stay floats: no NaN, finite, ``|x|·10^scale < 2^62`` (three
    reductions per column instead of a conversion; comparisons then fold to float thresholds, arithmetic
    converts)."""
    cols = [n for n in decimals if schema[n].is_float()]
    if not cols or not df.height:
        return set()
    # all the reductions in one query: they run on both cores
    stats = df.select(
        [pl.col(n).sum().alias(f"sum.{n}") for n in cols]
        + [pl.col(n).max().alias(f"hi.{n}") for n in cols]
        + [pl.col(n).min().alias(f"lo.{n}") for n in cols]
    ).row(0, named=True)
    out = set()
    for n in cols:
        total: Any = stats[f"sum.{n}"]  # NaN and ±inf propagate into the sum (an overflow to inf only refuses)
        hi: Any = stats[f"hi.{n}"]
        lo: Any = stats[f"lo.{n}"]
        if total is None or not math.isfinite(total) or hi is None or lo is None:
            continue
        if math.isfinite(hi) and math.isfinite(lo) and max(abs(hi), abs(lo)) * 10.0 ** decimals[n] < 2.0**61:
            out.add(n)
    return out


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
