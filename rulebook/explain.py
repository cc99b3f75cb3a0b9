"""Explanations and "what is missing", built from one interpreter run (no re-evaluation).

* :class:`Explanation` — per rule: verdict, amount, points, tier, legal reference, parameters used with their
  effective dates, and a tree of :class:`ExplainNode` (every condition with its inputs, value and verdict;
  failed leaves show the actual and the required value).
* :func:`missing_for` — per rule not granted, the smallest set of failed leaf conditions which, if met,
  would make the person eligible (exact for condition trees: ``all`` needs every child, ``any`` its cheapest
  child, ``not`` flips what is required); for tier tables the nearest higher tier and what it needs; for
  scored tables the points short and the cheapest route.
* :func:`min_fix` is shared with the batch near-miss listing, which works from failed-condition masks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, overload

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
from rulebook.validate import iter_nodes, rule_roots
from rulebook.values import days_to_date, fen_to_str, scaled_to_str

if TYPE_CHECKING:
    from rulebook.interpret import CompiledRuleSet, Result, RuleOutcome

_OP_TEXT = {"==": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}
_NEG_OP = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}


# --------------------------------------------------------------------------------------------- display


def show(vt: VType, value: Any, lang: str = "zh", labels_en: dict[str, str] | None = None) -> str:
    """An internal value as text for people."""
    from rulebook.interpret import UNSET

    if value is UNSET:
        return "（未计算）" if lang != "en" else "(not evaluated)"
    if value is None:
        return "（缺失）" if lang != "en" else "(missing)"
    kind = vt.kind
    if kind == "bool":
        return ("是" if value else "否") if lang != "en" else ("yes" if value else "no")
    if kind == "money":
        return fen_to_str(int(value), lang)
    if kind == "decimal":
        return scaled_to_str(int(value), vt.scale)
    if kind == "date":
        return days_to_date(int(value)).isoformat()
    if kind in ("enum", "ordered_enum"):
        name = vt.values[int(value)]
        return (labels_en or {}).get(name, name) if lang == "en" else name
    if kind == "enum_set":
        members = [v for i, v in enumerate(vt.values) if int(value) >> i & 1]
        if not members:
            return "（无）" if lang != "en" else "(none)"
        return ("、" if lang != "en" else ", ").join(members)
    return str(value)


class _Describer:
    def __init__(
        self, c: CompiledRuleSet, vals: list[Any], lang: str, row: dict[str, Any] | None = None
    ) -> None:
        self.c = c
        self.row = row
        self.vals = vals
        self.lang = lang
        self.rs = c.ruleset

    def labels_en(self, node: Value) -> dict[str, str] | None:
        inner = node.child if isinstance(node, Scale) else node
        if isinstance(inner, AttrRef):
            return dict(self.rs.attributes[inner.name].value_labels_en)
        return None

    def value_of(self, node: Value) -> Any:
        from rulebook.interpret import const_value, is_constant

        if is_constant(node):
            return const_value(self.c, node)
        return self.vals[node.nid]

    def show_value(self, node: Value) -> str:
        vt = node.type
        inner = node
        if isinstance(node, Scale):  # show the unscaled child value in its own type
            inner = node.child
            vt = inner.type
        return show(vt, self.value_of(inner), self.lang, self.labels_en(inner))

    def name(self, node: Value) -> str:
        """What a value node stands for ("年龄（出生日期）", "allowance_doctor", "3,000.00 元")."""
        lang = self.lang
        if isinstance(node, Scale):
            return self.name(node.child)
        if isinstance(node, AttrRef):
            return self.rs.attributes[node.name].label.get(lang)
        if isinstance(node, ParamRef):
            p = self.rs.parameters[node.name]
            return f"{p.label.get(lang)} = {show(p.type, self.c.param_value(node.name), lang)}"
        if isinstance(node, Const):
            return show(node.type, node.value, lang)
        if isinstance(node, AsOf):
            return "评估日" if lang != "en" else "evaluation date"
        if isinstance(node, DateFn):
            a, b = node.args
            if node.alias == "age":
                return f"年龄（{self.name(a)}）" if lang != "en" else f"age ({self.name(a)})"
            what = {"years_between": ("周年数", "years"), "months_between": ("月数", "months"),
                    "days_between": ("天数", "days")}[node.fn]  # fmt: skip
            if lang == "en":
                return f"{what[1]} from {self.name(a)} to {self.name(b)}"
            return f"{self.name(a)}至{self.name(b)}的{what[0]}"
        if isinstance(node, Arith):
            sym = {"add": " + ", "sub": " − ", "mul": " × ", "div": " ÷ "}.get(node.op)
            inner = [self.name(a) for a in node.args]
            if sym:
                return "(" + sym.join(inner) + ")"
            fn = {"min": ("取小", "min"), "max": ("取大", "max")}[node.op]
            return f"{fn[0] if lang != 'en' else fn[1]}({', '.join(inner)})"
        if isinstance(node, Case):
            return "分情形取值" if lang != "en" else "case"
        return "?"

    def requirement(self, leaf: Leaf, want: bool) -> tuple[str, str, str]:
        """(subject, actual, required) texts of a leaf condition, ``want`` = the value the rule needs."""
        lang = self.lang
        if isinstance(leaf, Cmp):
            op = leaf.op if want else _NEG_OP[leaf.op]
            return self.name(leaf.left), self.show_value(leaf.left), f"{_OP_TEXT[op]} {self.name(leaf.right)}"
        if isinstance(leaf, InSet):
            neg = leaf.negate != (not want)
            members = ("、" if lang != "en" else ", ").join(leaf.shown)
            req = (f"不属于 {members}" if neg else f"属于 {members}") if lang != "en" else (
                f"not one of {members}" if neg else f"one of {members}")  # fmt: skip
            return self.name(leaf.value), self.show_value(leaf.value), req
        if isinstance(leaf, Between):
            lo, hi = self.name(leaf.lo), self.name(leaf.hi)
            rng = f"{'[' if leaf.lo_incl else '('}{lo}, {hi}{']' if leaf.hi_incl else ')'}"
            req = rng if want else (f"不在 {rng}" if lang != "en" else f"outside {rng}")
            return self.name(leaf.value), self.show_value(leaf.value), req
        if isinstance(leaf, SetTest):
            members = ("、" if lang != "en" else ", ").join(leaf.shown)
            mode = (
                leaf.mode
                if want
                else {"has_any": "has_none", "has_none": "has_any", "has_all": "not_all"}[leaf.mode]
            )
            zh = {"has_any": "含其一", "has_all": "全部具备", "has_none": "均不具备", "not_all": "不全具备"}[
                mode
            ]
            en = {"has_any": "any of", "has_all": "all of", "has_none": "none of", "not_all": "not all of"}[
                mode
            ]
            req = f"{zh}：{members}" if lang != "en" else f"{en}: {members}"
            return self.name(leaf.value), self.show_value(leaf.value), req
        if isinstance(leaf, Truth):
            return self.name(leaf.value), self.show_value(leaf.value), show(BOOL_T, want, lang)
        if isinstance(leaf, Known):
            req = (
                ("已提供" if want else "未提供") if lang != "en" else ("provided" if want else "not provided")
            )
            return self.name(leaf.value), self.show_value(leaf.value), req
        assert isinstance(leaf, Literal)
        return (
            ("常量" if lang != "en" else "constant"),
            show(BOOL_T, leaf.value, lang),
            show(BOOL_T, want, lang),
        )


BOOL_T = VType("bool")


# --------------------------------------------------------------------------------------------- tree


@dataclass(slots=True)
class ExplainNode:
    """One node of the explanation tree.

    ``verdict`` is True/False/None (unknown) for conditions; ``actual``/``required`` are filled for leaves;
    ``inputs`` lists the attribute and parameter values the node read.
    """

    kind: str
    path: str
    label: str
    verdict: bool | None
    actual: str | None = None
    required: str | None = None
    inputs: list[tuple[str, str]] = field(default_factory=list)
    children: list[ExplainNode] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "kind": self.kind,
            "path": self.path,
            "label": self.label,
            "verdict": self.verdict,
        }
        if self.actual is not None:
            d["actual"] = self.actual
            d["required"] = self.required
        if self.inputs:
            d["inputs"] = [{"name": n, "value": v} for n, v in self.inputs]
        if self.children:
            d["children"] = [ch.to_dict() for ch in self.children]
        return d


def _inputs(d: _Describer, node: Any) -> list[tuple[str, str]]:
    key = ("inputs", id(node), d.lang)
    static = d.c.explain_cache.get(key)
    if static is None:
        static = []
        for n in iter_nodes(node):
            if isinstance(n, AttrRef):
                static.append((d.rs.attributes[n.name].label.get(d.lang), n))
            elif isinstance(n, ParamRef):
                p = d.rs.parameters[n.name]
                static.append((p.label.get(d.lang), show(p.type, d.c.param_value(n.name), d.lang)))
        d.c.explain_cache[key] = static
    return [(label, v if isinstance(v, str) else d.show_value(v)) for label, v in static]


def _leaf_texts(d: _Describer, leaf: Leaf) -> tuple[str, str, Value | None]:
    """(subject, required, the value node shown as "actual") of a leaf: static per rule set and language."""
    key = ("leaf", leaf.nid, d.lang)
    hit = d.c.explain_cache.get(key)
    if hit is None:
        subject, _actual, required = d.requirement(leaf, True)
        shown = leaf.left if isinstance(leaf, Cmp) else getattr(leaf, "value", None)
        hit = d.c.explain_cache[key] = (subject, required, shown if isinstance(shown, Value) else None)
    return hit


def cond_tree(d: _Describer, node: Cond, want: bool = True) -> ExplainNode:
    """The explanation subtree of a condition (``want`` is what the rule needs from it)."""
    verdict = d.vals[node.nid]
    from rulebook.interpret import UNSET

    if verdict is UNSET:
        verdict = None
    label = node.label.get(d.lang) if node.label is not None else ""
    if isinstance(node, AllOf | AnyOf):
        kind = "all" if isinstance(node, AllOf) else "any"
        if not label:
            label = {"all": ("同时满足", "all of"), "any": ("满足其一", "any of")}[kind][d.lang == "en"]
        children = [cond_tree(d, ch, want) for ch in node.children]
        return ExplainNode(kind, node.path, label, verdict, children=children)
    if isinstance(node, Not):
        child = cond_tree(d, node.child, not want)
        return ExplainNode(
            "not", node.path, label or ("并非" if d.lang != "en" else "not"), verdict, children=[child]
        )
    assert isinstance(node, Leaf)
    subject, required, shown = _leaf_texts(d, node)
    actual = d.show_value(shown) if shown is not None else d.requirement(node, True)[1]
    if not label:
        label = f"{subject} {required}"
    return ExplainNode("condition", node.path, label, verdict, actual, required, _inputs(d, node))


@dataclass(slots=True)
class ParamUse:
    """A parameter value used on the evaluation date, with the date it took effect."""

    name: str
    label: str
    value: str
    effective_from: str


@dataclass(slots=True)
class RuleExplanation:
    """Everything about one rule's decision for one person."""

    rule_id: str
    title: str
    kind: str
    legal: str | None
    in_force: bool
    status: bool | None
    eligible: bool
    amount: int
    amount_text: str
    points: int | None
    tier: str | None
    excluded_by: str | None
    parameters: list[ParamUse]
    conditions: ExplainNode | None
    outputs: list[ExplainNode]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "title": self.title,
            "kind": self.kind,
            "legal": self.legal,
            "in_force": self.in_force,
            "status": self.status,
            "eligible": self.eligible,
            "amount_fen": self.amount,
            "amount": self.amount_text,
            "points": self.points,
            "tier": self.tier,
            "excluded_by": self.excluded_by,
            "parameters": [
                {"name": p.name, "label": p.label, "value": p.value, "effective_from": p.effective_from}
                for p in self.parameters
            ],
            "conditions": self.conditions.to_dict() if self.conditions else None,
            "outputs": [o.to_dict() for o in self.outputs],
        }


def _verdict_word(status: bool | None, eligible: bool, lang: str) -> str:
    if eligible:
        return "符合" if lang != "en" else "eligible"
    if status is True:
        return "符合但被排除" if lang != "en" else "eligible but excluded"
    if status is None:
        return "无法判定（数据缺失）" if lang != "en" else "undetermined (missing data)"
    return "不符合" if lang != "en" else "not eligible"


def explain_rule(result: Result, outcome: RuleOutcome, lang: str = "zh") -> RuleExplanation:
    """Build the explanation of one rule's outcome."""
    c = result.compiled
    d = _Describer(c, result.vals, lang)
    rule = outcome.rule
    params = []
    for name in sorted(rule.parameters):
        pv = c.params.get(name)
        p = c.ruleset.parameters[name]
        params.append(
            ParamUse(
                name, p.label.get(lang), show(p.type, pv.value if pv else None, lang),
                pv.start_date.isoformat() if pv else "",
            )
        )  # fmt: skip
    conditions: ExplainNode | None = None
    outputs: list[ExplainNode] = []
    if outcome.in_force:
        if isinstance(rule, Rule) and rule.when is not None:
            conditions = cond_tree(d, rule.when)
        elif isinstance(rule, ScoredTable):
            conditions, outputs = _scored_nodes(d, rule, outcome)
        elif isinstance(rule, DecisionTable):
            conditions = _table_nodes(d, rule, outcome)
        amount_node = getattr(rule, "amount", None)
        if amount_node is not None and outcome.status is True:
            outputs.append(
                ExplainNode("amount", amount_node.path, f"{'金额' if lang != 'en' else 'amount'} = {d.name(amount_node)}",
                            None, d.show_value(amount_node), None, _inputs(d, amount_node))
            )  # fmt: skip
    legal = str(rule.legal) if rule.legal else None
    return RuleExplanation(
        rule.id, rule.title.get(lang), rule.kind, legal, outcome.in_force, outcome.status, outcome.eligible,
        outcome.amount, fen_to_str(outcome.amount, lang), outcome.points if rule.has_points else None,
        outcome.tier, outcome.excluded_by, params, conditions, outputs,
    )  # fmt: skip


def _scored_nodes(d: _Describer, rule: ScoredTable, o: RuleOutcome) -> tuple[ExplainNode, list[ExplainNode]]:
    lang = d.lang
    en = lang == "en"
    parts: list[ExplainNode] = []
    if rule.prerequisites is not None:
        pre = cond_tree(d, rule.prerequisites)
        pre.label = pre.label if rule.prerequisites.label else ("基本条件" if not en else "prerequisites")
        parts.append(pre)
    detail = o.detail
    ind_nodes = []
    for ind, (band, pts) in zip(rule.indicators, detail["indicators"], strict=True):
        b = ind.bands[band].label or ind.bands[band].path.rsplit(".", 1)[-1] if band >= 0 else "—"
        ind_nodes.append(
            ExplainNode("indicator", ind.path, f"{ind.label.get(lang)}: {pts} {'分' if not en else 'points'}", None,
                        d.show_value(ind.input), b if band >= 0 else ("未命中分档" if not en else "no band"),
                        _inputs(d, ind.input))
        )  # fmt: skip
    group_text = "；".join(f"{g.label.get(lang)} {detail['groups'][g.id]}/{g.min}" for g in rule.groups)
    score_label = (
        f"得分 {detail['total']}（门槛 {rule.threshold}；{group_text}）"
        if not en
        else f"score {detail['total']} (threshold {rule.threshold}; {group_text})"
    )
    score = ExplainNode("score", rule.path, score_label, detail["score_ok"], children=ind_nodes)
    routes = [cond_tree(d, r.when) for r in rule.routes]
    for r, node in zip(rule.routes, routes, strict=True):
        node.label = r.label.get(lang)
    qual = ExplainNode("any", rule.path, "达到分数或直通条件" if not en else "score or direct route",
                       _score_or_route(detail), children=[score, *routes])  # fmt: skip
    parts.append(qual)
    top = ExplainNode("all", rule.path, "认定条件" if not en else "criteria", o.status, children=parts)
    return top, []


def _score_or_route(detail: dict[str, Any]) -> bool | None:
    routes = detail["routes"]
    if detail["score_ok"] or any(r is True for r in routes):
        return True
    return None if any(r is None for r in routes) else False


def _table_nodes(d: _Describer, rule: DecisionTable, o: RuleOutcome) -> ExplainNode:
    en = d.lang == "en"
    from rulebook.interpret import UNSET

    rows = []
    for i, row in enumerate(rule.rows):
        v = d.vals[row.cond.nid]
        if v is UNSET:
            continue  # after the first hit: not evaluated
        node = cond_tree(d, row.cond)
        tier = f" → {row.tier}" if row.tier else ""
        node.label = (
            row.label.get(d.lang)
            if row.label
            else f"{'第' if not en else 'row '}{i + 1}{'行' if not en else ''}"
        ) + tier
        node.kind = "row"
        rows.append(node)
    label = f"{'命中规则' if not en else 'hit policy'}: {rule.hit_policy}"
    return ExplainNode(
        "table",
        rule.path,
        label,
        o.status,
        inputs=[(i.label.get(d.lang), d.show_value(i.value)) for i in rule.inputs],
        children=rows,
    )


class _LazyRules(Sequence[RuleExplanation]):
    """The per-rule explanations, each built on first access (and then kept)."""

    def __init__(self, result: Result, outcomes: list[RuleOutcome], lang: str) -> None:
        self._result = result
        self._outcomes = outcomes
        self._lang = lang
        self._built: list[RuleExplanation | None] = [None] * len(outcomes)

    def __len__(self) -> int:
        return len(self._outcomes)

    @overload
    def __getitem__(self, i: int) -> RuleExplanation: ...

    @overload
    def __getitem__(self, i: slice) -> list[RuleExplanation]: ...

    def __getitem__(self, i: int | slice) -> RuleExplanation | list[RuleExplanation]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        got = self._built[i]
        if got is None:
            got = self._built[i] = explain_rule(self._result, self._outcomes[i], self._lang)
        return got


class Explanation:
    """The explanation of a whole :class:`~rulebook.interpret.Result` (or one rule of it).

    Cheap to obtain: the interpreter has already recorded every node's value, and the tree of each rule
    (texts, inputs, actual/required values) is materialised when :attr:`rules` is first read
    (``to_dict``, ``render`` and iteration read it)."""

    __slots__ = ("_rules", "_total", "as_of", "lang", "ruleset", "version")

    def __init__(
        self, as_of: str, ruleset: str, version: str, rules: Sequence[RuleExplanation], lang: str = "zh",
        total_amount: int | None = None,
    ) -> None:  # fmt: skip
        self.as_of = as_of
        self.ruleset = ruleset
        self.version = version
        self.lang = lang
        self._rules = rules
        self._total = total_amount

    @classmethod
    def build(cls, result: Result, rule_id: str | None = None, lang: str = "zh") -> Explanation:
        c = result.compiled
        outcomes = [result.outcomes[rule_id]] if rule_id else list(result.outcomes.values())
        return cls(
            c.as_of.isoformat(), c.ruleset.id, c.ruleset.version, _LazyRules(result, outcomes, lang), lang,
            sum(o.amount for o in outcomes),
        )  # fmt: skip

    @property
    def rules(self) -> Sequence[RuleExplanation]:
        """Per-rule explanations (built on access)."""
        return self._rules

    @property
    def total_amount(self) -> int:
        if self._total is not None:
            return self._total
        return sum(r.amount for r in self._rules)

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "ruleset": self.ruleset,
            "version": self.version,
            "total_amount_fen": self.total_amount,
            "rules": [r.to_dict() for r in self.rules],
        }

    def render(self) -> str:
        """Human-readable text (Chinese or English, as built)."""
        return render_text(self)


def render_text(exp: Explanation, missing: list[Missing] | None = None) -> str:
    en = exp.lang == "en"
    lines = [
        (f"规则集 {exp.ruleset} 版本 {exp.version}，评估日 {exp.as_of}" if not en
         else f"Rule set {exp.ruleset} version {exp.version}, evaluated on {exp.as_of}"),
    ]  # fmt: skip
    for r in exp.rules:
        lines.append("")
        head = f"■ {r.title}（{r.rule_id}）：{_verdict_word(r.status, r.eligible, exp.lang)}" if not en else (
            f"■ {r.title} ({r.rule_id}): {_verdict_word(r.status, r.eligible, exp.lang)}")  # fmt: skip
        lines.append(head)
        if not r.in_force:
            lines.append("  规则在评估日不生效" if not en else "  rule not in force on the evaluation date")
        if r.eligible and r.amount:
            lines.append(f"  {'金额' if not en else 'Amount'}: {r.amount_text}")
        if r.points is not None:
            lines.append(f"  {'分数' if not en else 'Points'}: {r.points}")
        if r.tier:
            lines.append(f"  {'层次' if not en else 'Tier'}: {r.tier}")
        if r.excluded_by:
            lines.append(f"  {'被规则排除' if not en else 'Excluded by rule'}: {r.excluded_by}")
        if r.legal:
            lines.append(f"  {'依据' if not en else 'Legal basis'}: {r.legal}")
        for p in r.parameters:
            since = f"（{p.effective_from} 起）" if not en else f" (since {p.effective_from})"
            lines.append(f"  {'参数' if not en else 'Parameter'} {p.label} = {p.value}{since}")
        if r.conditions is not None:
            _render_node(r.conditions, lines, 1, en)
        for o in r.outputs:
            _render_node(o, lines, 1, en)
    for m in missing or []:
        lines.append("")
        lines.append(m.render(exp.lang))
    return "\n".join(lines)


_MARK = {True: "✓", False: "✗", None: "?"}


def _render_node(n: ExplainNode, lines: list[str], depth: int, en: bool) -> None:
    pad = "  " * depth
    mark = _MARK[n.verdict] if n.kind not in ("amount", "indicator") else "·"
    text = f"{pad}{mark} {n.label}"
    if n.actual is not None and n.kind == "condition":
        text += f"  [{'实际' if not en else 'actual'}: {n.actual}]"
    elif n.actual is not None:
        text += f"  [{n.actual}]"
    lines.append(text)
    for ch in n.children:
        _render_node(ch, lines, depth + 1, en)


# --------------------------------------------------------------------------------------------- missing


def min_fix(node: Cond, failed: Callable[[Leaf], bool], want: bool = True) -> tuple[int, list[Leaf]]:
    """Smallest set of leaves to change so that ``node`` evaluates to ``want``.

    ``failed(leaf)`` tells whether the leaf is not as the rule requires (its polarity). Exact for trees
    (each leaf appears once): all → every child, any → the cheapest child, not → the opposite requirement.
    """
    if isinstance(node, AllOf | AnyOf):
        conj = isinstance(node, AllOf) == want
        parts = [min_fix(ch, failed, want) for ch in node.children]
        if conj:
            return sum(p[0] for p in parts), [lf for p in parts for lf in p[1]]
        return min(parts, key=lambda p: p[0])
    if isinstance(node, Not):
        return min_fix(node.child, failed, not want)
    assert isinstance(node, Leaf)
    return (1, [node]) if failed(node) else (0, [])


@dataclass(slots=True)
class MissingItem:
    """One failed condition: what it is, the actual value and the required one."""

    path: str
    label: str
    actual: str
    required: str
    unknown: bool

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "label": self.label, "actual": self.actual, "required": self.required,
                "unknown": self.unknown}  # fmt: skip


@dataclass(slots=True)
class Missing:
    """What a person lacks for one rule (or for the next tier)."""

    rule_id: str
    title: str
    items: list[MissingItem]
    target_tier: str | None = None
    points_short: int = 0
    notes: list[str] = field(default_factory=list)
    lang: str = "zh"

    @property
    def count(self) -> int:
        return len(self.items)

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule_id, "title": self.title, "target_tier": self.target_tier,
                "points_short": self.points_short, "notes": self.notes,
                "missing": [i.to_dict() for i in self.items]}  # fmt: skip

    def render(self, lang: str | None = None) -> str:
        en = (lang or self.lang) == "en"
        head = f"还差什么 · {self.title}" if not en else f"What is missing · {self.title}"
        if self.target_tier:
            head += f"（目标层次 {self.target_tier}）" if not en else f" (target tier {self.target_tier})"
        lines = [head]
        for note in self.notes:
            lines.append(f"  - {note}")
        if self.points_short:
            lines.append(
                f"  - 还差 {self.points_short} 分" if not en else f"  - {self.points_short} points short"
            )
        for it in self.items:
            lines.append(
                f"  - {it.label}: {'实际' if not en else 'actual'} {it.actual}，{'要求' if not en else 'required'} {it.required}"
            )
        return "\n".join(lines)


def _item(d: _Describer, leaf: Leaf) -> MissingItem:
    subject, actual, required = d.requirement(leaf, leaf.polarity)
    label = leaf.label.get(d.lang) if leaf.label is not None else subject
    if leaf.label is not None and not leaf.polarity:
        label = ("并非：" if d.lang != "en" else "not: ") + label
    return MissingItem(leaf.path, label, actual, required, d.vals[leaf.nid] is None)


def missing_for(result: Result, rule_id: str | None = None, lang: str = "zh") -> list[Missing]:
    """What is missing for each rule not granted (or only ``rule_id``); see the module docstring."""
    c = result.compiled
    d = _Describer(c, result.vals, lang, result.row)
    en = lang == "en"
    out: list[Missing] = []
    for rid, o in result.outcomes.items():
        if rule_id is not None and rid != rule_id:
            continue
        rule = o.rule
        if isinstance(rule, DecisionTable):
            m = _missing_tier(d, rule, o)
            if m is not None:
                out.append(m)
            continue
        if o.eligible:
            continue
        title = rule.title.get(lang)
        if not o.in_force:
            out.append(
                Missing(rid, title, [], notes=["规则在评估日不生效" if not en else "not in force"], lang=lang)
            )
            continue
        if o.status is True and o.excluded_by:
            note = f"被规则 {o.excluded_by} 排除" if not en else f"excluded by rule {o.excluded_by}"
            out.append(Missing(rid, title, [], notes=[note], lang=lang))
            continue

        def failed(leaf: Leaf) -> bool:
            return result.vals[leaf.nid] is not leaf.polarity

        if isinstance(rule, Rule):
            items: list[Leaf] = min_fix(rule.when, failed)[1] if rule.when is not None else []
            notes = []
            if not items and o.status is None:
                notes.append(
                    "金额或分数所需数据缺失" if not en else "data needed for the amount or points is missing"
                )
            out.append(Missing(rid, title, [_item(d, lf) for lf in items], notes=notes, lang=lang))
        elif isinstance(rule, ScoredTable):
            out.append(_missing_scored(d, rule, o, failed))
    return out


def _missing_scored(
    d: _Describer, rule: ScoredTable, o: RuleOutcome, failed: Callable[[Leaf], bool]
) -> Missing:
    en = d.lang == "en"
    items: list[Leaf] = min_fix(rule.prerequisites, failed)[1] if rule.prerequisites is not None else []
    detail = o.detail
    notes: list[str] = []
    short = 0
    if not detail["score_ok"] and not any(r is True for r in detail["routes"]):
        short = max(0, rule.threshold - detail["total"])
        for g in rule.groups:
            have = detail["groups"][g.id]
            if have < g.min:
                notes.append(
                    f"{g.label.get(d.lang)} 还差 {g.min - have} 分" if not en
                    else f"{g.label.get(d.lang)}: {g.min - have} points short"
                )  # fmt: skip
        gains = sorted(
            (
                (ind.max_points - pts, ind)
                for ind, (_b, pts) in zip(rule.indicators, detail["indicators"], strict=True)
            ),
            key=lambda t: -t[0],
        )
        need = short
        for gain, ind in gains:
            if need <= 0 or gain <= 0:
                break
            notes.append(
                f"提高「{ind.label.get(d.lang)}」最多可加 {gain} 分" if not en
                else f"raising '{ind.label.get(d.lang)}' can add up to {gain} points"
            )  # fmt: skip
            need -= gain
        best_route = min(
            ((min_fix(r.when, failed)[0], r) for r in rule.routes), key=lambda t: t[0], default=None
        )
        if best_route is not None:
            cost, route = best_route
            route_items = min_fix(route.when, failed)[1]
            notes.append(
                f"或直通：{route.label.get(d.lang)}（差 {cost} 项）" if not en
                else f"or direct route: {route.label.get(d.lang)} ({cost} condition(s) short)"
            )  # fmt: skip
            if short == 0 and not notes:
                items += route_items
    return Missing(rule.id, rule.title.get(d.lang), [_item(d, lf) for lf in items], points_short=short,
                   notes=notes, lang=d.lang)  # fmt: skip


def _missing_tier(d: _Describer, rule: DecisionTable, o: RuleOutcome) -> Missing | None:
    if not rule.tiers:
        return None
    current = o.tier
    if current == rule.tiers[0]:
        return None
    target = rule.tiers[-1] if current is None else rule.tiers[rule.tiers.index(current) - 1]
    best: tuple[int, list[Leaf]] | None = None
    from rulebook.interpret import UNSET

    for row in rule.rows:
        if row.tier != target:
            continue
        if any(d.vals[lf.nid] is UNSET for lf in row.leaves):
            # rows after the first hit were not evaluated; evaluate their leaves now from the person's row
            _evaluate_row(d, row)
        cost_items = (
            sum(1 for lf in row.leaves if d.vals[lf.nid] is not True),
            [lf for lf in row.leaves if d.vals[lf.nid] is not True],
        )
        if best is None or cost_items[0] < best[0]:
            best = cost_items
    if best is None:
        return None
    title = rule.title.get(d.lang)
    return Missing(rule.id, title, [_item(d, lf) for lf in best[1]], target_tier=target, lang=d.lang)


def _evaluate_row(d: _Describer, row: Any) -> None:
    from rulebook.interpret import cond_fn

    if d.row is not None:
        cond_fn(d.c, row.cond)(d.row, d.vals)


def rule_leaves_text(c: CompiledRuleSet, rule: AnyRule, lang: str = "zh") -> list[str]:
    """Labels of a rule's leaf conditions by bit index (for near-miss listings from masks)."""
    d = _Describer(c, [None] * c.ruleset.node_count, lang)
    out = []
    for leaf in rule.leaves:
        if leaf.label is not None:
            text = leaf.label.get(lang)
            out.append(text if leaf.polarity else ("并非：" if lang != "en" else "not: ") + text)
        else:
            subject, _a, required = d.requirement(leaf, leaf.polarity)
            out.append(f"{subject} {required}")
    if isinstance(rule, ScoredTable):
        out.append("分数或直通条件" if lang != "en" else "score or direct route")
    return out


_ = (rule_roots,)
