"""The interpreter's fast path: a rule set's plain rules compiled to one generated Python function.

:mod:`rulebook.interpret` compiles every node to a closure; evaluating a person then costs one Python call
per node. For plain rules (``Rule``, the common case) this module instead generates, once per
(rule-set version, evaluation date), the source of one function that evaluates every rule in straight-line
code: attributes are read into locals once, constants and parameter values (already resolved for the
date) are inlined, and each node's value is computed inline and recorded in ``vals[nid]`` exactly as the
closures record it — so explanations, "what is missing" and the failed-condition mask read the same
values. Scored tables, decision tables and ``case`` values keep their closures, called from the generated
code.

Safety: the generated source contains only identifiers made here, integer/boolean literals and names of
objects passed in its namespace — rule ids, attribute names and every other text of the rule document
are namespace values, never source text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rulebook.model import (
    AllOf,
    AnyOf,
    Arith,
    AsOf,
    AttrRef,
    Between,
    Cmp,
    Cond,
    Const,
    DateFn,
    InSet,
    Known,
    Leaf,
    Literal,
    Not,
    ParamRef,
    Rule,
    Scale,
    SetTest,
    Truth,
    Value,
)
from rulebook.values import DATE_FUNCTIONS, EPOCH_ORDINAL, round_div

if TYPE_CHECKING:
    from rulebook.interpret import CompiledRuleSet, RuleOutcome, _CompiledRule

_PY_OPS = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_MAX_DEPTH = 40  # indentation budget; deeper values fall back to their closures

RunAll = Callable[[dict[str, Any], list[Any]], dict[str, "RuleOutcome"]]


class _Gen:
    def __init__(self, c: CompiledRuleSet) -> None:
        from rulebook.interpret import RuleOutcome, cond_fn, value_fn

        self.c = c
        self.lines: list[str] = []
        self.ns: dict[str, Any] = {"RO": RuleOutcome, "RD": round_div, "EPOCH": EPOCH_ORDINAL}
        self.n = 0
        self.attrs: dict[str, str] = {}
        self.dates: dict[str, str] = {}  # attribute local → local holding its date (ages, months)
        self.leaf_temps: dict[int, str] = {}  # leaf nid → its temporary (the failed-condition mask reads it)
        self._value_fn = value_fn
        self._cond_fn = cond_fn
        import datetime as dt

        self.ns["fromordinal"] = dt.date.fromordinal

    # ---- helpers
    def tmp(self) -> str:
        self.n += 1
        return f"t{self.n}"

    def name(self, value: Any, prefix: str = "K") -> str:
        """A namespace name bound to ``value`` (texts, sets, functions never appear in the source)."""
        key = f"{prefix}{len(self.ns)}"
        self.ns[key] = value
        return key

    def lit(self, value: Any) -> str:
        if value is None or type(value) is bool or type(value) is int:
            return repr(value)
        return self.name(value)

    def emit(self, ind: int, line: str) -> None:
        self.lines.append("    " * ind + line)

    def attr(self, name: str) -> str:
        local = self.attrs.get(name)
        if local is None:
            local = self.attrs[name] = f"a{len(self.attrs)}"
        return local

    def date_of(self, attr_local: str) -> str:
        """The ``date`` of a date attribute, computed once at the top of the function (``None`` if missing)."""
        local = self.dates.get(attr_local)
        if local is None:
            local = self.dates[attr_local] = f"d{len(self.dates)}"
        return local

    @staticmethod
    def is_lit(expr: str) -> bool:
        return expr in ("None", "True", "False") or expr.lstrip("-").isdigit()

    def none_test(self, exprs: list[str]) -> str | None:
        """``x is None or …`` over the non-literal expressions; ``"True"`` if a literal is None."""
        if "None" in exprs:
            return "True"
        tests = [f"{e} is None" for e in exprs if not self.is_lit(e)]
        return " or ".join(tests) if tests else None

    def isnone(self, expr: str) -> str:
        """``expr is None`` as source (never ``<literal> is None``, a SyntaxWarning)."""
        if self.is_lit(expr):
            return repr(expr == "None")
        return f"{expr} is None"

    def record(self, ind: int, nid: int, expr: str) -> None:
        self.emit(ind, f"v[{nid}] = {expr}")

    def fallback_value(self, ind: int, node: Value) -> str:
        f = self.name(self._value_fn(self.c, node), "F")
        t = self.tmp()
        self.emit(ind, f"{t} = {f}(r, v)")
        return t

    def fallback_cond(self, ind: int, node: Cond) -> str:
        f = self.name(self._cond_fn(self.c, node), "F")
        t = self.tmp()
        self.emit(ind, f"{t} = {f}(r, v)")
        return t

    # ---- values (same evaluation and recording as interpret.value_fn)
    def value(self, ind: int, node: Value) -> str:
        from rulebook.interpret import const_value

        if ind > _MAX_DEPTH:
            return self.fallback_value(ind, node)
        nid = node.nid
        if isinstance(node, AttrRef):
            a = self.attr(node.name)
            self.record(ind, nid, a)
            return a
        if isinstance(node, Const | ParamRef | AsOf):
            return self.lit(const_value(self.c, node))
        if isinstance(node, Scale):
            x = self.value(ind, node.child)
            t = self.tmp()
            test = self.none_test([x])
            expr = f"{x} * {node.factor}" if test != "True" else "None"
            self.emit(ind, f"{t} = {expr}" if test in (None, "True") else f"{t} = None if {test} else {expr}")
            self.record(ind, nid, t)
            return t
        if isinstance(node, Arith):
            return self.arith(ind, node)
        if isinstance(node, DateFn):
            return self.datefn(ind, node)
        return self.fallback_value(ind, node)  # case: its closure (branches evaluated lazily)

    def arith(self, ind: int, node: Arith) -> str:
        args = [self.value(ind, a) for a in node.args]
        t = self.tmp()
        test = self.none_test(args)
        op = node.op
        if test == "True":
            self.emit(ind, f"{t} = None")
            self.record(ind, node.nid, t)
            return t
        if op in ("add", "mul"):
            expr = (" + " if op == "add" else " * ").join(f"({a})" for a in args)
        elif op in ("min", "max"):
            expr = f"{op}({', '.join(args)})" if len(args) > 1 else args[0]
        elif op == "sub":
            expr = f"({args[0]}) - ({args[1]})"
        else:  # div: ÷0 is missing
            a, b = args
            zero = f"({b}) == 0"
            test = f"{test} or {zero}" if test else zero
            expr = f"RD(({a}) * {node.num_mul}, ({b}) * {node.den_mul})"
        post = node.post_div if op == "mul" else 1
        body = ind
        if test:
            self.emit(ind, f"if {test}:")
            self.emit(ind + 1, f"{t} = None")
            self.emit(ind, "else:")
            body = ind + 1
        if post == 1:
            self.emit(body, f"{t} = {expr}")
        elif post > 0:  # round_div(p, post) for post > 0, inlined
            p = self.tmp()
            self.emit(body, f"{p} = {expr}")
            self.emit(
                body,
                f"{t} = (2 * {p} + {post}) // {2 * post} if {p} >= 0 else -((-2 * {p} + {post}) // {2 * post})",
            )
        else:
            self.emit(body, f"{t} = RD({expr}, {post})")
        self.record(ind, node.nid, t)
        return t

    def datefn(self, ind: int, node: DateFn) -> str:
        from rulebook.interpret import const_value, is_constant

        na, nb = node.args
        t = self.tmp()
        if node.fn != "days_between" and is_constant(nb):
            a = self.value(ind, na)
            end = const_value(self.c, nb)
            if end is None:
                self.emit(ind, f"{t} = None")
                self.record(ind, node.nid, t)
                return t
            import datetime as dt

            e = dt.date.fromordinal(end + EPOCH_ORDINAL)
            s = self.date_of(a) if isinstance(na, AttrRef) else self.tmp()
            body = ind
            if not self.is_lit(a):
                self.emit(ind, f"if {a} is None:")
                self.emit(ind + 1, f"{t} = None")
                self.emit(ind, "else:")
                body = ind + 1
            elif a == "None":
                self.emit(ind, f"{t} = None")
                self.record(ind, node.nid, t)
                return t
            if not isinstance(na, AttrRef):
                self.emit(body, f"{s} = fromordinal({a} + EPOCH)")
            if node.fn == "years_between":
                md = e.month * 100 + e.day
                self.emit(body, f"{t} = {e.year} - {s}.year - (1 if {md} < {s}.month * 100 + {s}.day else 0)")
            else:
                self.emit(
                    body,
                    f"{t} = {e.year * 12 + e.month} - ({s}.year * 12 + {s}.month) - (1 if {e.day} < {s}.day else 0)",
                )
            self.record(ind, node.nid, t)
            return t
        a = self.value(ind, na)
        b = self.value(ind, nb)
        fn = self.name(DATE_FUNCTIONS[node.fn], "D")
        test = self.none_test([a, b])
        if test == "True":
            self.emit(ind, f"{t} = None")
        elif test:
            self.emit(ind, f"{t} = None if {test} else {fn}({a}, {b})")
        else:
            self.emit(ind, f"{t} = {fn}({a}, {b})")
        self.record(ind, node.nid, t)
        return t

    # ---- conditions (same evaluation and recording as interpret.cond_fn)
    def cond(self, ind: int, node: Cond) -> str:
        if ind > _MAX_DEPTH:
            return self.fallback_cond(ind, node)
        nid = node.nid
        t = self.tmp()
        if isinstance(node, AllOf | AnyOf):
            kids = [self.cond(ind, ch) for ch in node.children]
            stop, other = ("False", "True") if isinstance(node, AllOf) else ("True", "False")
            decided = " or ".join(f"{k} is {stop}" for k in kids) or "False"
            unknown = " or ".join(f"{k} is None" for k in kids) or "False"
            self.emit(ind, f"{t} = {stop} if ({decided}) else (None if ({unknown}) else {other})")
        elif isinstance(node, Not):
            x = self.cond(ind, node.child)
            self.emit(ind, f"{t} = None if {x} is None else not {x}")
        elif isinstance(node, Cmp):
            a = self.value(ind, node.left)
            b = self.value(ind, node.right)
            test = self.none_test([a, b])
            expr = f"{a} {_PY_OPS[node.op]} {b}"
            if test == "True":
                self.emit(ind, f"{t} = None")
            else:
                self.emit(ind, f"{t} = None if {test} else {expr}" if test else f"{t} = {expr}")
        elif isinstance(node, InSet):
            x = self.value(ind, node.value)
            codes = self.name(node.codes)
            expr = f"{x} not in {codes}" if node.negate else f"{x} in {codes}"
            self.emit(ind, f"{t} = None if {self.isnone(x)} else ({expr})")
        elif isinstance(node, Between):
            x = self.value(ind, node.value)
            lo = self.value(ind, node.lo)
            hi = self.value(ind, node.hi)
            lo_op = "<=" if node.lo_incl else "<"
            hi_op = "<=" if node.hi_incl else "<"
            ta, tb = self.tmp(), self.tmp()
            self.emit(ind, f"{ta} = None if {self.isnone(x)} or {self.isnone(lo)} else {lo} {lo_op} {x}")
            self.emit(ind, f"{tb} = None if {self.isnone(x)} or {self.isnone(hi)} else {x} {hi_op} {hi}")
            self.emit(
                ind,
                f"{t} = False if ({ta} is False or {tb} is False) else (None if ({ta} is None or {tb} is None) else True)",
            )
        elif isinstance(node, SetTest):
            x = self.value(ind, node.value)
            m = node.mask
            expr = {"has_any": f"({x} & {m}) != 0", "has_all": f"({x} & {m}) == {m}"}.get(
                node.mode, f"({x} & {m}) == 0"
            )
            self.emit(ind, f"{t} = None if {self.isnone(x)} else {expr}")
        elif isinstance(node, Truth):
            x = self.value(ind, node.value)
            self.emit(ind, f"{t} = {x}")
        elif isinstance(node, Known):
            x = self.value(ind, node.value)
            self.emit(ind, f"{t} = not {self.isnone(x)}")
        elif isinstance(node, Literal):
            self.emit(ind, f"{t} = {node.value!r}")
        else:
            return self.fallback_cond(ind, node)
        if isinstance(node, Leaf):
            self.leaf_temps[nid] = t
        self.record(ind, nid, t)
        return t

    # ---- rules (same outcome as interpret._PlainRule.run)
    def plain_rule(self, i: int, rule: Rule) -> None:
        o = f"o{i}"
        rule_name = self.name(rule, "RULE")
        if not self.c.in_force[rule.id]:
            self.emit(1, f"{o} = RO({rule_name}, False, False, None, 0, None, 0)")
            return
        status = self.cond(1, rule.when) if rule.when is not None else "True"
        st, am, pt = f"s{i}", f"m{i}", f"p{i}"
        self.emit(1, f"{st} = {status}")
        self.emit(1, f"{am} = 0")
        self.emit(1, f"{pt} = 0")
        if rule.amount is not None or rule.points is not None:
            self.emit(1, f"if {st} is True:")
            if rule.amount is not None:
                self.emit(2, f"{am} = {self.value(2, rule.amount)}")
            if rule.points is not None:
                self.emit(2, f"{pt} = {self.value(2, rule.points)}")
            self.emit(2, f"if {am} is None or {pt} is None:")
            self.emit(3, f"{st} = None")
        terms = []
        for leaf in rule.leaves:  # leaves of ``when``: all evaluated at the rule's top level
            temp = self.leaf_temps.get(leaf.nid, f"v[{leaf.nid}]")
            terms.append(f"({1 << leaf.leaf} if {temp} is not {leaf.polarity!r} else 0)")
        mask = " | ".join(terms) if terms else "0"
        tier = self.lit(rule.tier)
        self.emit(1, f"{o} = RO({rule_name}, True, {st}, {am}, {pt} or 0, {tier}, {mask})")


def compile_plain_rules(c: CompiledRuleSet, closures: list[_CompiledRule]) -> RunAll:
    """One generated function evaluating every rule of ``c`` (plain rules inline, others by closure)."""
    g = _Gen(c)
    body_start = len(g.lines)
    ids: list[str] = []
    for i, (rule, cr) in enumerate(zip(c.ruleset.rules, closures, strict=True)):
        ids.append(g.name(rule.id, "ID"))
        if isinstance(rule, Rule):
            g.plain_rule(i, rule)
        else:
            g.emit(1, f"o{i} = {g.name(cr.run, 'RUN')}(r, v)")
    body = g.lines[body_start:]
    head = ["def run_all(r, v):"]
    for name, local in g.attrs.items():
        head.append(f"    {local} = r[{g.name(name, 'A')}]")
    for local, date_local in g.dates.items():
        head.append(f"    {date_local} = None if {local} is None else fromordinal({local} + EPOCH)")
    ret = "    return {" + ", ".join(f"{ids[i]}: o{i}" for i in range(len(ids))) + "}"
    source = "\n".join([*head, *body, ret]) + "\n"
    code = compile(source, f"<rulebook {c.ruleset.id} {c.as_of.isoformat()}>", "exec")
    ns = dict(g.ns)
    # the source holds node types, integer literals and names made here only (see the module docstring)
    exec(code, ns)  # noqa: S102  # nosec B102
    fn: RunAll = ns["run_all"]
    fn.__doc__ = source  # kept for debugging: the generated source
    return fn


__all__ = ["compile_plain_rules"]
