"""The interpreter: one person → :class:`Result`, compiled to Python closures once per evaluation date.

Every node's value is recorded in a flat array (indexed by ``Node.nid``) while evaluating, so the
explanation tree (:mod:`rulebook.explain`) and "what is missing" are built from the same run without
re-evaluating anything.

Missing values (``None``) follow the documented semantics (docs/rules.md, "Missing values"):
conditions use three-valued Kleene logic; only TRUE counts anywhere a decision is made.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rulebook.errors import DataError, IssueCode, RuleSetError, make_issue
from rulebook.model import (
    MAX_LEAVES,
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
    Parameter,
    ParamRef,
    ParamValue,
    Rule,
    RuleSet,
    Scale,
    ScoredTable,
    SetTest,
    Truth,
    Value,
    VType,
)
from rulebook.values import (
    DATE_FUNCTIONS,
    EPOCH_ORDINAL,
    date_to_days,
    decimal_places,
    decimal_to_scaled,
    float_to_scaled,
    parse_date,
    round_div,
    to_decimal,
)

if TYPE_CHECKING:
    from rulebook.explain import Explanation, Missing

Row = Mapping[str, Any]
Vals = list[Any]
VFn = Callable[[Row, Vals], Any]
CFn = Callable[[Row, Vals], bool | None]

UNSET: Any = object()

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


# --------------------------------------------------------------------------------------------- compile step


class CompiledRuleSet:
    """A rule set bound to one evaluation date: parameters resolved, closures built, exclusions ordered.

    Obtain it from :meth:`rulebook.Engine.compiled` (cached) or :func:`compile_ruleset`. Both evaluators use
    its ``params`` (the parameter values in force, with their effective dates) and exclusion order.
    """

    def __init__(self, ruleset: RuleSet, as_of: dt.date) -> None:
        issues = ruleset.validate(as_of)
        if issues:
            raise RuleSetError(issues)
        self.ruleset = ruleset
        self.as_of = as_of
        self.day = date_to_days(as_of)
        self.params: dict[str, ParamValue] = {}
        for name, p in ruleset.parameters.items():
            pv = p.value_at(self.day)
            if pv is not None:
                self.params[name] = pv
        self.in_force: dict[str, bool] = {r.id: r.in_force(self.day) for r in ruleset.rules}
        self.override_winners, self.order, self.together_groups = exclusion_plan(ruleset)
        self._normalisers = {name: _normaliser(a.type, name) for name, a in ruleset.attributes.items()}
        # (name, converter, type taken as is): a bool for bool attributes, an int for int/money ones
        self._normalisers_fast: list[tuple[str, Callable[[Any], Any], type | None]] = [
            (name, conv, {"bool": bool, "int": int, "money": int}.get(ruleset.attributes[name].type.kind))
            for name, conv in self._normalisers.items()
        ]
        self._closures: list[_CompiledRule] | None = None
        self._run_all: Callable[[dict[str, Any], Vals], dict[str, RuleOutcome]] | None = None
        self.explain_cache: dict[Any, Any] = {}  # static explanation texts per node and language

    @property
    def _rules(self) -> list[_CompiledRule]:
        """The interpreter's closures, built on first use (batch-only callers never pay for them)."""
        if self._closures is None:
            self._closures = [_compile_rule(self, r) for r in self.ruleset.rules]
        return self._closures

    @property
    def run_all(self) -> Callable[[dict[str, Any], Vals], dict[str, RuleOutcome]]:
        """Every rule's raw outcome for a normalised row, recording node values in ``vals``: one generated
        function (:mod:`rulebook.codegen`, plain rules inline), built on first use."""
        if self._run_all is None:
            from rulebook.codegen import compile_plain_rules

            self._run_all = compile_plain_rules(self, self._rules)
        return self._run_all

    # ---- used by both compilers
    def param_value(self, name: str) -> Any:
        return self.params[name].value

    def parameter(self, name: str) -> Parameter:
        return self.ruleset.parameters[name]

    # ---- interpreter
    def normalise(self, person: Mapping[str, Any], *, strict: bool = False) -> dict[str, Any]:
        """Convert a person's plain values (dates, Decimal, strings of enums …) to internal values.

        Attributes absent from ``person`` are missing (``None``). With ``strict``, unknown keys are an error.
        """
        out: dict[str, Any] = {}
        get = person.get
        for name, conv, fast in self._normalisers_fast:
            raw = get(name)
            if raw is None:
                out[name] = None
            elif type(raw) is fast:  # already the internal representation's type (bool, int)
                out[name] = raw
            else:
                out[name] = conv(raw)
        if strict:
            for key in person:
                if key not in self._normalisers:
                    raise DataError([make_issue(IssueCode.DATA_UNKNOWN_FIELD, f"$.{key}", name=key)])
        return out

    def evaluate(self, person: Mapping[str, Any], *, strict: bool = False, closures: bool = False) -> Result:
        """Evaluate every rule for one person (see :meth:`rulebook.Engine.evaluate`).

        ``closures`` evaluates node by node with the closures instead of the generated function (the same
        result and recorded values; the tests compare both)."""
        row = self.normalise(person, strict=strict)
        vals: Vals = [UNSET] * self.ruleset.node_count
        if closures:
            outcomes = {cr.rule.id: cr.run(row, vals) for cr in self._rules}
        else:
            outcomes = self.run_all(row, vals)
        apply_exclusions(self, outcomes)
        return Result(self, row, vals, outcomes)


def compile_ruleset(ruleset: RuleSet, as_of: dt.date) -> CompiledRuleSet:
    """Validate ``ruleset`` for ``as_of`` and compile it (uncached; prefer :class:`rulebook.Engine`)."""
    return CompiledRuleSet(ruleset, as_of)


def exclusion_plan(ruleset: RuleSet) -> tuple[dict[str, list[str]], list[str], list[list[str]]]:
    """Override edges (loser → winners), a topological order, and not-together groups (components).

    Validation guarantees the override graph has no cycle.
    """
    winners: dict[str, list[str]] = {r.id: [] for r in ruleset.rules}
    for r in ruleset.rules:
        for loser in r.overrides:
            if loser in winners and r.id not in winners[loser]:
                winners[loser].append(r.id)
        for w in r.excluded_by:
            if r.id in winners and w in winners and w not in winners[r.id]:
                winners[r.id].append(w)
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(rid: str) -> None:
        if state.get(rid) == 2:
            return
        state[rid] = 1
        for w in winners[rid]:
            if state.get(w) != 1:
                visit(w)
        state[rid] = 2
        order.append(rid)

    for r in ruleset.rules:
        visit(r.id)
    parent = {r.id: r.id for r in ruleset.rules}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    linked: set[str] = set()
    for r in ruleset.rules:
        for other in r.not_together_with:
            if other in parent and other != r.id:
                parent[find(r.id)] = find(other)
                linked.update((r.id, other))
    groups: dict[str, list[str]] = {}
    for r in ruleset.rules:
        if r.id in linked:
            groups.setdefault(find(r.id), []).append(r.id)
    return winners, order, list(groups.values())


# --------------------------------------------------------------------------------------------- normalising


def _normaliser(vt: VType, name: str) -> Callable[[Any], Any]:
    path = f"$.{name}"

    def bad(raw: Any, what: str) -> DataError:
        return DataError([make_issue(IssueCode.DATA_BAD_VALUE, path, detail=f"{name}={raw!r}: {what}")])

    kind = vt.kind
    if kind == "bool":

        def conv_bool(raw: Any) -> Any:
            if isinstance(raw, bool):
                return raw
            raise bad(raw, "expected true or false")

        return conv_bool
    if kind in ("int", "money"):

        def conv_int(raw: Any) -> Any:
            if isinstance(raw, int) and not isinstance(raw, bool):
                return raw
            if isinstance(raw, (float, Decimal)) and raw == int(raw):
                return int(raw)
            raise bad(raw, "expected an integer" + (" number of fen" if kind == "money" else ""))

        return conv_int
    if kind == "decimal":
        scale = vt.scale

        def conv_dec(raw: Any) -> Any:
            if isinstance(raw, float):
                return float_to_scaled(raw, scale)
            try:
                d = to_decimal(raw)
            except ValueError:
                raise bad(raw, "expected a number") from None
            if decimal_places(d) > scale:
                return decimal_to_scaled(d, scale)
            return decimal_to_scaled(d, scale)

        return conv_dec
    if kind == "date":
        date_type = dt.date

        def conv_date(raw: Any) -> Any:
            if type(raw) is date_type:
                return raw.toordinal() - EPOCH_ORDINAL
            try:
                return date_to_days(parse_date(raw))
            except (ValueError, TypeError):
                raise bad(raw, "expected a date YYYY-MM-DD") from None

        return conv_date
    values = vt.values
    index = {v: i for i, v in enumerate(values)}
    if kind in ("enum", "ordered_enum"):

        def conv_enum(raw: Any) -> Any:
            code = index.get(raw) if isinstance(raw, str) else None
            if code is None:
                raise bad(raw, f"expected one of {', '.join(values)}")
            return code

        return conv_enum

    def conv_set(raw: Any) -> Any:
        if isinstance(raw, str) or not hasattr(raw, "__iter__"):
            raise bad(raw, "expected a list")
        mask = 0
        for item in raw:
            code = index.get(item) if isinstance(item, str) else None
            if code is None:
                raise bad(raw, f"{item!r} is not one of {', '.join(values)}")
            mask |= 1 << code
        return mask

    return conv_set


# --------------------------------------------------------------------------------------------- closures


def value_fn(c: CompiledRuleSet, node: Value) -> VFn:
    """Compile a value node to ``f(row, vals) -> internal value | None`` (records ``vals[nid]``)."""
    nid = node.nid
    if isinstance(node, AttrRef):
        name = node.name

        def attr(r: Row, v: Vals) -> Any:
            x = r[name]
            v[nid] = x
            return x

        return attr
    if isinstance(node, Const | ParamRef | AsOf):
        k = const_value(c, node)

        def const(r: Row, v: Vals) -> Any:
            return k

        return const
    if isinstance(node, Scale):
        child = value_fn(c, node.child)
        factor = node.factor

        def scale(r: Row, v: Vals) -> Any:
            x = child(r, v)
            x = None if x is None else x * factor
            v[nid] = x
            return x

        return scale
    if isinstance(node, Arith):
        return _arith_fn(c, node)
    if isinstance(node, DateFn) and node.fn != "days_between" and is_constant(node.args[1]):
        # age / months up to the evaluation date: the constant end date is split into y, m, d once
        fa = value_fn(c, node.args[0])
        end = const_value(c, node.args[1])
        years = node.fn == "years_between"
        if end is None:

            def datefn_none(r: Row, v: Vals) -> Any:
                fa(r, v)
                v[nid] = None
                return None

            return datefn_none
        e = dt.date.fromordinal(end + EPOCH_ORDINAL)
        ey, em, ed = e.year, e.month, e.day
        fromordinal = dt.date.fromordinal

        def datefn_to_const(r: Row, v: Vals) -> Any:
            a = fa(r, v)
            if a is None:
                x = None
            else:
                s = fromordinal(a + EPOCH_ORDINAL)
                if years:
                    x = (ey - s.year) - (1 if (em, ed) < (s.month, s.day) else 0)
                else:
                    x = (ey * 12 + em) - (s.year * 12 + s.month) - (1 if ed < s.day else 0)
            v[nid] = x
            return x

        return datefn_to_const
    if isinstance(node, DateFn):
        fa, fb = value_fn(c, node.args[0]), value_fn(c, node.args[1])
        fn = DATE_FUNCTIONS[node.fn]

        def datefn(r: Row, v: Vals) -> Any:
            a = fa(r, v)
            b = fb(r, v)
            x = None if a is None or b is None else fn(a, b)
            v[nid] = x
            return x

        return datefn
    if isinstance(node, Case):
        branches = [(cond_fn(c, cd), value_fn(c, val)) for cd, val in node.branches]
        default = value_fn(c, node.default)

        def case(r: Row, v: Vals) -> Any:
            for cf, vf in branches:
                if cf(r, v) is True:
                    x = vf(r, v)
                    break
            else:
                x = default(r, v)
            v[nid] = x
            return x

        return case
    raise TypeError(f"unknown value node {type(node).__name__}")


def const_value(c: CompiledRuleSet, node: Value) -> Any:
    """The internal value of a constant node on the compiled date (parameters resolved, as-of)."""
    if isinstance(node, Const):
        return node.value
    if isinstance(node, ParamRef):
        return c.param_value(node.name)
    if isinstance(node, AsOf):
        return c.day
    if isinstance(node, Scale):
        inner = const_value(c, node.child)
        return None if inner is None else inner * node.factor
    raise TypeError("not a constant")


def is_constant(node: Value) -> bool:
    return isinstance(node, Const | ParamRef | AsOf) or (isinstance(node, Scale) and is_constant(node.child))


def _arith_fn(c: CompiledRuleSet, node: Arith) -> VFn:
    fns = [value_fn(c, a) for a in node.args]
    nid = node.nid
    op = node.op

    if op in ("add", "min", "max", "mul"):
        combine: Callable[[list[Any]], Any] = {  # type: ignore[assignment]
            "add": sum,
            "min": min,
            "max": max,
            "mul": _product,
        }[op]
        post_div = node.post_div

        def nary(r: Row, v: Vals) -> Any:
            xs = [f(r, v) for f in fns]
            if None in xs:
                x = None
            else:
                x = combine(xs)
                if post_div != 1:
                    x = round_div(x, post_div)
            v[nid] = x
            return x

        return nary
    fa, fb = fns
    if op == "sub":

        def sub(r: Row, v: Vals) -> Any:
            a = fa(r, v)
            b = fb(r, v)
            x = None if a is None or b is None else a - b
            v[nid] = x
            return x

        return sub
    num_mul, den_mul = node.num_mul, node.den_mul

    def div(r: Row, v: Vals) -> Any:
        a = fa(r, v)
        b = fb(r, v)
        x = None if a is None or b is None or b == 0 else round_div(a * num_mul, b * den_mul)
        v[nid] = x
        return x

    return div


def _product(xs: list[Any]) -> Any:
    p = 1
    for x in xs:
        p *= x
    return p


def cond_fn(c: CompiledRuleSet, node: Cond) -> CFn:
    """Compile a condition to ``f(row, vals) -> True | False | None`` (Kleene logic; records ``vals``)."""
    nid = node.nid
    if isinstance(node, AllOf | AnyOf):
        fns = [cond_fn(c, ch) for ch in node.children]
        is_all = isinstance(node, AllOf)
        stop = not is_all  # the value that decides: False for all, True for any

        def junction(r: Row, v: Vals) -> bool | None:
            res: bool | None = is_all
            for f in fns:
                x = f(r, v)
                if x is stop:
                    res = stop
                elif x is None and res is not stop:
                    res = None
            v[nid] = res
            return res

        return junction
    if isinstance(node, Not):
        child = cond_fn(c, node.child)

        def negate(r: Row, v: Vals) -> bool | None:
            x = child(r, v)
            res = None if x is None else not x
            v[nid] = res
            return res

        return negate
    if isinstance(node, Cmp):
        fl, fr = value_fn(c, node.left), value_fn(c, node.right)
        op = _OPS[node.op]

        def cmp(r: Row, v: Vals) -> bool | None:
            a = fl(r, v)
            b = fr(r, v)
            res = None if a is None or b is None else op(a, b)
            v[nid] = res
            return res

        return cmp
    if isinstance(node, InSet):
        f = value_fn(c, node.value)
        codes = node.codes
        neg = node.negate

        def inset(r: Row, v: Vals) -> bool | None:
            x = f(r, v)
            res = None if x is None else (x in codes) != neg
            v[nid] = res
            return res

        return inset
    if isinstance(node, Between):
        fx, flo, fhi = value_fn(c, node.value), value_fn(c, node.lo), value_fn(c, node.hi)
        lo_op = operator.le if node.lo_incl else operator.lt
        hi_op = operator.le if node.hi_incl else operator.lt

        def between(r: Row, v: Vals) -> bool | None:
            x, lo, hi = fx(r, v), flo(r, v), fhi(r, v)
            # Kleene AND of (lo ≤ x) and (x ≤ hi), as the batch evaluator computes it
            a = None if x is None or lo is None else lo_op(lo, x)
            b = None if x is None or hi is None else hi_op(x, hi)
            res = False if (a is False or b is False) else (None if (a is None or b is None) else True)
            v[nid] = res
            return res

        return between
    if isinstance(node, SetTest):
        f = value_fn(c, node.value)
        mask = node.mask
        mode = node.mode

        def settest(r: Row, v: Vals) -> bool | None:
            x = f(r, v)
            if x is None:
                res = None
            elif mode == "has_any":
                res = (x & mask) != 0
            elif mode == "has_all":
                res = (x & mask) == mask
            else:
                res = (x & mask) == 0
            v[nid] = res
            return res

        return settest
    if isinstance(node, Truth):
        f = value_fn(c, node.value)

        def truth(r: Row, v: Vals) -> bool | None:
            res: bool | None = f(r, v)
            v[nid] = res
            return res

        return truth
    if isinstance(node, Known):
        f = value_fn(c, node.value)

        def known(r: Row, v: Vals) -> bool | None:
            res = f(r, v) is not None
            v[nid] = res
            return res

        return known
    if isinstance(node, Literal):
        lit = node.value

        def literal(r: Row, v: Vals) -> bool | None:
            v[nid] = lit
            return lit

        return literal
    raise TypeError(f"unknown condition node {type(node).__name__}")


def kleene_and(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def kleene_or(a: bool | None, b: bool | None) -> bool | None:
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


# --------------------------------------------------------------------------------------------- rule outcomes


@dataclass(slots=True)
class RuleOutcome:
    """The decision of one rule for one person.

    ``status`` is the three-valued verdict before exclusions (``None``: undetermined because data is
    missing); ``eligible`` is final (after exclusions). ``amount`` is in fen (0 unless eligible).
    """

    rule: AnyRule
    in_force: bool
    status: bool | None
    amount_raw: int | None
    points: int
    tier: str | None
    mask: int
    eligible: bool = False
    amount: int = 0
    excluded_by: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def rule_id(self) -> str:
        return self.rule.id


class _CompiledRule:
    def __init__(self, c: CompiledRuleSet, rule: AnyRule) -> None:
        self.rule = rule
        self.in_force = c.in_force[rule.id]
        self.leaves: list[tuple[int, bool, int]] = [(lf.nid, lf.polarity, lf.leaf) for lf in rule.leaves]
        self.amount = (
            value_fn(c, rule.amount) if isinstance(rule, Rule | ScoredTable) and rule.amount else None
        )

    def mask_of(self, v: Vals) -> int:
        m = 0
        for nid, pol, bit in self.leaves:
            if v[nid] is not pol:
                m |= 1 << bit
        return m

    def run(self, r: Row, v: Vals) -> RuleOutcome:
        raise NotImplementedError


class _PlainRule(_CompiledRule):
    def __init__(self, c: CompiledRuleSet, rule: Rule) -> None:
        super().__init__(c, rule)
        self.plain = rule
        self.when = cond_fn(c, rule.when) if rule.when is not None else None
        self.points = value_fn(c, rule.points) if rule.points is not None else None

    def run(self, r: Row, v: Vals) -> RuleOutcome:
        rule = self.plain
        if not self.in_force:
            return RuleOutcome(rule, False, False, None, 0, None, 0)
        status = self.when(r, v) if self.when is not None else True
        amount = 0
        points = 0
        if status is True:
            if self.amount is not None:
                amount = self.amount(r, v)
            if self.points is not None:
                points = self.points(r, v)
            if amount is None or points is None:
                status = None
        mask = self.mask_of(v) if self.leaves else 0
        return RuleOutcome(rule, True, status, amount, points or 0, rule.tier, mask)


class _ScoredTable(_CompiledRule):
    def __init__(self, c: CompiledRuleSet, rule: ScoredTable) -> None:
        super().__init__(c, rule)
        self.table = rule
        self.prereq = cond_fn(c, rule.prerequisites) if rule.prerequisites is not None else None
        self.indicators = [
            (ind, value_fn(c, ind.input), [(cond_fn(c, b.cond), b.points) for b in ind.bands])
            for ind in rule.indicators
        ]
        self.routes = [(route, cond_fn(c, route.when)) for route in rule.routes]
        self.score_bit = len(rule.leaves)

    def run(self, r: Row, v: Vals) -> RuleOutcome:
        t = self.table
        if not self.in_force:
            return RuleOutcome(t, False, False, None, 0, None, 0)
        pre = self.prereq(r, v) if self.prereq is not None else True
        per_indicator: list[tuple[int, int]] = []  # (band index or -1, points)
        groups: dict[str, int] = {g.id: 0 for g in t.groups}
        total = 0
        for ind, inp, bands in self.indicators:
            x = inp(r, v)
            v[ind.nid] = x
            hit, pts = -1, 0
            for i, (bf, bp) in enumerate(bands):
                if bf(r, v) is True:
                    hit, pts = i, bp
                    break
            per_indicator.append((hit, pts))
            total += pts
            if ind.group is not None:
                groups[ind.group] += pts
        score_ok = total >= t.threshold and all(groups[g.id] >= g.min for g in t.groups)
        route_ok: bool | None = False
        routes: list[bool | None] = []
        for _route, rf in self.routes:
            x = rf(r, v)
            routes.append(x)
            route_ok = kleene_or(route_ok, x)
        status = kleene_and(pre, kleene_or(route_ok, score_ok))
        amount: int | None = 0
        if status is True and self.amount is not None:
            amount = self.amount(r, v)
            if amount is None:
                status = None
        mask = self.mask_of(v)
        if not (score_ok or route_ok is True):
            mask |= 1 << self.score_bit
        detail = {"indicators": per_indicator, "groups": groups, "total": total, "score_ok": score_ok,
                  "routes": routes, "prerequisites": pre}  # fmt: skip
        return RuleOutcome(t, True, status, amount, total, t.tier, mask, detail=detail)


class _DecisionTable(_CompiledRule):
    def __init__(self, c: CompiledRuleSet, rule: DecisionTable) -> None:
        super().__init__(c, rule)
        self.table = rule
        self.rows = [
            (
                row,
                cond_fn(c, row.cond),
                value_fn(c, row.amount) if row.amount is not None else None,
                value_fn(c, row.points) if row.points is not None else None,
            )
            for row in rule.rows
        ]
        self.inputs = [(inp, value_fn(c, inp.value)) for inp in rule.inputs]
        self.first = rule.hit_policy == "first"
        self.with_mask = 0 < len(rule.rows) <= MAX_LEAVES

    def run(self, r: Row, v: Vals) -> RuleOutcome:
        t = self.table
        if not self.in_force:
            return RuleOutcome(t, False, False, None, 0, None, 0)
        for _inp, f in self.inputs:
            f(r, v)
        matched: list[int] = []
        unknown = False
        amount: int | None = 0
        points: int | None = 0
        for i, (_row, cf, af, pf) in enumerate(self.rows):
            x = cf(r, v)
            if x is True:
                matched.append(i)
                if af is not None:
                    a = af(r, v)
                    amount = None if a is None or amount is None else amount + a
                if pf is not None:
                    p = pf(r, v)
                    points = None if p is None or points is None else points + p
                if self.first:
                    break
            elif x is None:
                unknown = True
        status: bool | None
        if matched:
            status = True if amount is not None and points is not None else None
        else:
            status = None if unknown else False
        tier = t.rows[matched[0]].tier if matched else None
        mask = self.row_mask(r, v, matched) if self.with_mask else 0
        return RuleOutcome(t, True, status, amount, points or 0, tier, mask, detail={"matched": matched})

    def row_mask(self, r: Row, v: Vals, matched: list[int]) -> int:
        """Bit *i* set when row *i*'s condition is not TRUE (every row, whatever the hit policy; rows after
        a first hit are evaluated on a scratch copy so the explanation still shows them as not evaluated)."""
        m = 0
        scratch: Vals | None = None
        for i, (row, cf, _af, _pf) in enumerate(self.rows):
            x = v[row.cond.nid]
            if x is UNSET:
                if scratch is None:
                    scratch = list(v)
                x = cf(r, scratch)
            if x is not True:
                m |= 1 << i
        return m


def _compile_rule(c: CompiledRuleSet, rule: AnyRule) -> _CompiledRule:
    if isinstance(rule, Rule):
        return _PlainRule(c, rule)
    if isinstance(rule, ScoredTable):
        return _ScoredTable(c, rule)
    return _DecisionTable(c, rule)


def apply_exclusions(c: CompiledRuleSet, outcomes: dict[str, RuleOutcome]) -> None:
    """Final eligibility: overrides in topological order, then not-together groups (higher amount wins,
    ties go to the rule listed first). Undetermined rules are not granted and exclude nothing."""
    for rid in c.order:
        o = outcomes[rid]
        o.eligible = o.status is True
        if o.eligible:
            for w in c.override_winners[rid]:
                if outcomes[w].eligible:
                    o.eligible = False
                    o.excluded_by = w
                    break
    for group in c.together_groups:
        before = {rid: outcomes[rid].eligible for rid in group}
        for rid in group:
            o = outcomes[rid]
            if not before[rid]:
                continue
            mine = o.amount_raw or 0
            pos = o.rule.position
            for other in group:
                if other == rid or not before[other]:
                    continue
                theirs = outcomes[other].amount_raw or 0
                if theirs > mine or (theirs == mine and outcomes[other].rule.position < pos):
                    o.eligible = False
                    o.excluded_by = other
                    break
    for o in outcomes.values():
        o.amount = (o.amount_raw or 0) if o.eligible else 0
        if not o.eligible:
            if not isinstance(o.rule, ScoredTable):
                o.points = 0
            o.tier = None


# --------------------------------------------------------------------------------------------- result


class Result:
    """The outcome for one person on one date: per-rule decisions, explanation and what is missing."""

    def __init__(
        self, compiled: CompiledRuleSet, row: dict[str, Any], vals: Vals, outcomes: dict[str, RuleOutcome]
    ):
        self.compiled = compiled
        self.row = row
        self.vals = vals
        self.outcomes = outcomes

    @property
    def as_of(self) -> dt.date:
        return self.compiled.as_of

    def __getitem__(self, rule_id: str) -> RuleOutcome:
        return self.outcomes[rule_id]

    def __iter__(self) -> Any:
        return iter(self.outcomes.values())

    @property
    def eligible(self) -> list[str]:
        """Ids of the rules the person is finally eligible for."""
        return [rid for rid, o in self.outcomes.items() if o.eligible]

    @property
    def total_amount(self) -> int:
        """Sum of granted amounts in fen."""
        return sum(o.amount for o in self.outcomes.values())

    def explain(self, rule_id: str | None = None, *, lang: str = "zh") -> Explanation:
        """The explanation tree (:class:`rulebook.explain.Explanation`), for all rules or one."""
        from rulebook.explain import Explanation

        return Explanation.build(self, rule_id, lang)

    def missing(self, rule_id: str | None = None, *, lang: str = "zh") -> list[Missing]:
        """What is missing (:class:`rulebook.explain.Missing` list): for each rule not granted, the smallest
        set of failed conditions which, if met, would make the person eligible; for tier tables the nearest
        higher tier and what it needs."""
        from rulebook.explain import missing_for

        return missing_for(self, rule_id, lang)

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        """JSON-ready explanation plus what is missing (``lang`` for labels)."""
        d = self.explain(lang=lang).to_dict()
        d["missing"] = [m.to_dict() for m in self.missing(lang=lang)]
        return d
