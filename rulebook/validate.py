"""Semantic validation run before a rule set is published (structure and types are checked by the parser).

Checks: exclusions name known rules and have no cycle; scored bands neither overlap nor leave gaps;
decision-table rows are reachable; with an evaluation date, every parameter a rule in force uses has a
value on that date. Each issue carries the JSON path of the faulty node and messages in zh/en.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any

from rulebook.errors import Issue, IssueCode, make_issue
from rulebook.model import (
    AllOf,
    AnyOf,
    AnyRule,
    Arith,
    Between,
    Case,
    Cmp,
    DateFn,
    DecisionTable,
    InSet,
    Known,
    Node,
    Not,
    ParamRef,
    Rule,
    RuleSet,
    Scale,
    ScoredTable,
    SetTest,
    Truth,
)
from rulebook.values import date_to_days


def semantic_issues(rs: RuleSet, as_of: dt.date | None = None) -> list[Issue]:
    """Issues beyond parsing; see the module docstring."""
    issues: list[Issue] = []
    issues += _exclusion_issues(rs)
    for rule in rs.rules:
        if isinstance(rule, ScoredTable):
            issues += _band_issues(rule)
        if isinstance(rule, DecisionTable):
            issues += _row_issues(rule)
    if as_of is not None:
        issues += _parameter_issues(rs, as_of)
    return issues


# --------------------------------------------------------------------------------------------- walking


def iter_nodes(node: Node | None) -> Iterator[Node]:
    """Every node below (and including) ``node``, depth first."""
    if node is None:
        return
    yield node
    children: tuple[Any, ...] = ()
    if isinstance(node, AllOf | AnyOf):
        children = node.children
    elif isinstance(node, Not):
        children = (node.child,)
    elif isinstance(node, Cmp):
        children = (node.left, node.right)
    elif isinstance(node, InSet | SetTest | Truth | Known):
        children = (node.value,)
    elif isinstance(node, Between):
        children = (node.value, node.lo, node.hi)
    elif isinstance(node, Scale):
        children = (node.child,)
    elif isinstance(node, Arith | DateFn):
        children = node.args
    elif isinstance(node, Case):
        children = (*tuple(x for br in node.branches for x in br), node.default)
    for ch in children:
        yield from iter_nodes(ch)


def rule_roots(rule: AnyRule) -> Iterator[Node]:
    """The top-level trees of a rule (conditions, outputs, indicators, routes, rows)."""
    if isinstance(rule, Rule):
        for n in (rule.when, rule.amount, rule.points):
            if n is not None:
                yield n
    elif isinstance(rule, ScoredTable):
        if rule.prerequisites is not None:
            yield rule.prerequisites
        for ind in rule.indicators:
            yield ind.input
            for b in ind.bands:
                yield b.cond
        for route in rule.routes:
            yield route.when
        if rule.amount is not None:
            yield rule.amount
    else:
        for inp in rule.inputs:
            yield inp.value
        for row in rule.rows:
            yield row.cond
            for n in (row.amount, row.points):
                if n is not None:
                    yield n


# --------------------------------------------------------------------------------------------- checks


def _exclusion_issues(rs: RuleSet) -> list[Issue]:
    issues: list[Issue] = []
    ids = set(rs.rules_by_id)
    edges: dict[str, list[tuple[str, str]]] = {r.id: [] for r in rs.rules}  # winner -> (loser, path)
    for r in rs.rules:
        for key in ("overrides", "excluded_by", "not_together_with"):
            for i, other in enumerate(getattr(r, key)):
                path = f"{r.path}.{key}[{i}]"
                if other not in ids:
                    issues.append(make_issue(IssueCode.UNKNOWN_RULE, path, name=other))
                elif other == r.id:
                    issues.append(make_issue(IssueCode.EXCLUSION_CYCLE, path, detail=f"{r.id} → {r.id}"))
                elif key == "overrides":
                    edges[r.id].append((other, path))
                elif key == "excluded_by":
                    edges[other].append((r.id, path))
    state: dict[str, int] = {}
    stack: list[str] = []
    reported: set[frozenset[str]] = set()

    def visit(rid: str) -> None:
        state[rid] = 1
        stack.append(rid)
        for loser, path in edges[rid]:
            if state.get(loser) == 1:
                cycle = [*stack[stack.index(loser) :], loser]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    issues.append(make_issue(IssueCode.EXCLUSION_CYCLE, path, detail=" → ".join(cycle)))
            elif state.get(loser) is None:
                visit(loser)
        stack.pop()
        state[rid] = 2

    for r in rs.rules:
        if state.get(r.id) is None:
            visit(r.id)
    return issues


def _band_issues(rule: ScoredTable) -> list[Issue]:
    issues: list[Issue] = []
    for ind in rule.indicators:
        intervals = []
        sets = []
        for b in ind.bands:
            if b.codes is not None:
                sets.append(b)
            else:
                lo = None if b.lo is None else (b.lo if b.lo_incl else b.lo + 1)
                hi = None if b.hi is None else (b.hi if b.hi_incl else b.hi - 1)
                if lo is not None and hi is not None and lo > hi:
                    issues.append(make_issue(IssueCode.BAND_GAP, b.path, detail="the band is empty"))
                    continue
                intervals.append((lo, hi, b))
        for i, a in enumerate(sets):
            for b in sets[i + 1 :]:
                common = (a.codes or frozenset()) & (b.codes or frozenset())
                if common:
                    issues.append(
                        make_issue(IssueCode.BAND_OVERLAP, b.path, detail=f"shares values with {a.path}")
                    )
        intervals.sort(key=lambda t: -(10**30) if t[0] is None else t[0])
        for (_lo1, hi1, b1), (lo2, _hi2, b2) in itertools.pairwise(intervals):
            if hi1 is None or lo2 is None or lo2 <= hi1:
                issues.append(make_issue(IssueCode.BAND_OVERLAP, b2.path, detail=f"overlaps {b1.path}"))
            elif lo2 > hi1 + 1:
                issues.append(
                    make_issue(
                        IssueCode.BAND_GAP,
                        b2.path,
                        detail=f"values between {b1.path} and this band score nothing",
                    )
                )
    return issues


def _covers(a: Any, b: Any) -> bool:
    """Does region ``a`` contain region ``b``? (regions from the parser; unknown shapes never cover)."""
    if a[0] == "any":
        return True
    if b[0] == "any":
        return False
    if a[0] == "iv" and b[0] == "iv":
        lo_ok = a[1] is None or (b[1] is not None and b[1] >= a[1])
        hi_ok = a[2] is None or (b[2] is not None and b[2] <= a[2])
        return lo_ok and hi_ok
    if a[0] == "set" and b[0] == "set":
        return bool(b[1] <= a[1])
    if a[0] == "iv" and b[0] == "set":
        return all((a[1] is None or x >= a[1]) and (a[2] is None or x <= a[2]) for x in b[1])
    return bool(a[0] == "opaque" and b[0] == "opaque" and a[1] == b[1])


def _empty(region: Any) -> bool:
    if region[0] == "iv":
        return region[1] is not None and region[2] is not None and region[1] > region[2]
    if region[0] == "set":
        return not region[1]
    return False


def _row_issues(rule: DecisionTable) -> list[Issue]:
    issues: list[Issue] = []
    for j, row in enumerate(rule.rows):
        if any(_empty(r) for r in row.regions):
            issues.append(make_issue(IssueCode.UNREACHABLE_ROW, row.path, row=j + 1))
            continue
        if rule.hit_policy != "first":
            continue
        for i in range(j):
            earlier = rule.rows[i]
            if all(_covers(a, b) for a, b in zip(earlier.regions, row.regions, strict=True)):
                issues.append(make_issue(IssueCode.UNREACHABLE_ROW, row.path, row=i + 1))
                break
        else:
            union = _covered_by_union(rule, j)
            if union:
                issues.append(
                    make_issue(IssueCode.UNREACHABLE_ROW, row.path, row=", ".join(str(i + 1) for i in union))
                )
    return issues


def _covered_by_union(rule: DecisionTable, j: int) -> list[int]:
    """Earlier rows that together cover row ``j`` along one column, each covering it on every other column
    (e.g. ``age < 30`` then ``age >= 30`` make a later ``age >= 18`` row unreachable). Returns their indices,
    or ``[]`` if no such union exists. A ``-`` cell of row ``j`` in that column also matches a missing value,
    which no test matches, so only columns where row ``j`` has a test are considered."""
    row = rule.rows[j]
    for k, target in enumerate(row.regions):
        if target[0] not in ("iv", "set"):
            continue
        parts: list[tuple[int, Any]] = []
        for i in range(j):
            regions = rule.rows[i].regions
            others = all(
                _covers(a, b) for m, (a, b) in enumerate(zip(regions, row.regions, strict=True)) if m != k
            )
            if others and regions[k][0] in ("iv", "set"):
                parts.append((i, regions[k]))
        if len(parts) > 1 and _union_covers([p for _i, p in parts], target):
            return [i for i, _p in parts]
    return []


def _union_covers(parts: list[Any], target: Any) -> bool:
    """Whether the union of interval/set regions covers ``target`` (integers, inclusive bounds)."""
    points: set[Any] = set()
    ivs: list[tuple[int | None, int | None]] = []
    for p in parts:
        if p[0] == "set":
            points |= set(p[1])
        else:
            ivs.append((p[1], p[2]))

    def in_ivs(x: Any) -> bool:
        return any((lo is None or x >= lo) and (hi is None or x <= hi) for lo, hi in ivs)

    if target[0] == "set":
        return all(
            x in points or (isinstance(x, int) and not isinstance(x, bool) and in_ivs(x)) for x in target[1]
        )
    lo, hi = target[1], target[2]
    ivs += [(x, x) for x in points if isinstance(x, int) and not isinstance(x, bool)]
    # sweep from the target's lower end: every integer up to its upper end must be in some interval
    pos = lo  # the smallest value not yet known to be covered (None = -infinity)
    while True:
        reach: int | str | None = "none"
        for a, b in ivs:
            if a is None or (pos is not None and a <= pos):
                if b is None:
                    return True
                if reach == "none" or (isinstance(reach, int) and b > reach):
                    reach = b
        if reach == "none" or not isinstance(reach, int) or (pos is not None and reach < pos):
            return False
        if hi is not None and reach >= hi:
            return True
        pos = reach + 1


def _parameter_issues(rs: RuleSet, as_of: dt.date) -> list[Issue]:
    day = date_to_days(as_of)
    issues: list[Issue] = []
    seen: set[tuple[str, str]] = set()
    for rule in rs.rules:
        if not rule.in_force(day):
            continue
        # ``rule.parameters`` names every parameter the rule's nodes read (collected by the parser): the
        # walk that finds the faulty nodes' paths is only needed when one of them has no value on the date
        if all(rs.parameters[name].value_at(day) is not None for name in rule.parameters):
            continue
        for root in rule_roots(rule):
            for node in iter_nodes(root):
                if isinstance(node, ParamRef) and (rule.id, node.name) not in seen:
                    param = rs.parameters[node.name]
                    if param.value_at(day) is None:
                        seen.add((rule.id, node.name))
                        issues.append(
                            make_issue(
                                IssueCode.PARAMETER_NOT_EFFECTIVE,
                                node.path,
                                name=node.name,
                                date=as_of.isoformat(),
                            )
                        )
    return issues
