"""The policy calculator (政策计算器): every policy a person can get now, and for the near-misses what is missing.

The answer is rulebook's own: ``Engine.evaluate`` per policy version in force, ``Result.missing()`` for the failed
conditions and the nearest higher tier. Pages, the API and the certification pre-check all call :func:`calculate`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from rulebook import fen_to_str

from . import rules
from .choices import Subject
from .models import PolicyVersion
from .selectors import versions_in_force

MAX_MISSING = 2


@dataclass
class Grant:
    policy: str
    policy_title: str
    category: str
    rule: str
    rule_title: str
    benefit: str
    amount_fen: int
    amount: str
    tier: str | None
    points: int | None
    legal: str
    illustrative: bool


@dataclass
class MissingCondition:
    label: str
    actual: str
    required: str
    unknown: bool


@dataclass
class NearMiss:
    policy: str
    policy_title: str
    category: str
    rule: str
    rule_title: str
    benefit: str
    legal: str
    missing: list[MissingCondition]
    current_tier: str | None
    target_tier: str | None
    illustrative: bool

    @property
    def summary(self) -> str:
        """The missing conditions as one sentence in plain Chinese."""
        parts = []
        for m in self.missing:
            if m.unknown:
                parts.append(f"{m.label}（未填写，请补充）")
            else:
                parts.append(f"{m.label}（目前：{m.actual}，要求：{m.required}）")
        return "；".join(parts)


@dataclass
class CalculatorResult:
    as_of: date
    grants: list[Grant] = field(default_factory=list)
    near_misses: list[NearMiss] = field(default_factory=list)
    explanations: dict[str, Any] = field(default_factory=dict)

    @property
    def total_amount_fen(self) -> int:
        return sum(g.amount_fen for g in self.grants)

    @property
    def total_amount(self) -> str:
        return fen_to_str(self.total_amount_fen)

    def tier(self, rule_id: str = "talent_tier") -> str | None:
        return next((g.tier for g in self.grants if g.rule == rule_id), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "total_amount_fen": self.total_amount_fen,
            "total_amount": self.total_amount,
            "eligible": [asdict(g) for g in self.grants],
            "near_misses": [{**asdict(n), "summary": n.summary} for n in self.near_misses],
        }


def _legal(rule: Any) -> str:
    legal = getattr(rule, "legal", None)
    return str(legal) if legal else ""


def evaluate_version(version: PolicyVersion, facts: dict[str, Any], *, as_of: date,
                     max_missing: int = MAX_MISSING) -> tuple[list[Grant], list[NearMiss], dict[str, Any]]:
    policy = version.policy
    engine = rules.engine_for(version.document)
    result = engine.evaluate(facts, as_of=as_of)
    benefits = version.benefits or {}
    grants: list[Grant] = []
    misses: list[NearMiss] = []
    missing_by_rule = {m.rule_id: m for m in result.missing()}
    kinds = {r.get("id"): r.get("kind", "rule") for r in version.document.get("rules", [])}
    for outcome in result:
        rule = outcome.rule
        if not outcome.in_force:
            continue
        spec = benefits.get(rule.id) or {}
        illustrative = bool(spec.get("illustrative"))
        title = rule.title.get("zh")
        kind = kinds.get(rule.id, "rule")
        points = outcome.points if outcome.points else None
        if outcome.eligible:
            grants.append(Grant(
                policy=policy.code, policy_title=policy.title, category=policy.category, rule=rule.id,
                rule_title=title, amount_fen=outcome.amount, amount=fen_to_str(outcome.amount),
                benefit=rules.benefit_text(benefits, rule.id, amount=outcome.amount, points=points, tier=outcome.tier),
                tier=outcome.tier, points=points, legal=_legal(rule), illustrative=illustrative))
        if outcome.excluded_by:
            continue
        gap = missing_by_rule.get(rule.id)
        if gap is None or not gap.items or len(gap.items) > max_missing:
            continue
        if outcome.eligible and not gap.target_tier:
            continue
        target = gap.target_tier
        misses.append(NearMiss(
            policy=policy.code, policy_title=policy.title, category=policy.category, rule=rule.id, rule_title=title,
            benefit=rules.benefit_text(benefits, rule.id, amount=0, points=None, tier=target)
            if kind == "decision_table" else str(spec.get("text", "")).replace("{amount}", "").strip(),
            legal=_legal(rule), current_tier=outcome.tier if outcome.eligible else None, target_tier=target,
            missing=[MissingCondition(label=i.label, actual=i.actual, required=i.required, unknown=i.unknown)
                     for i in gap.items], illustrative=illustrative))
    return grants, misses, result.explain().to_dict()


def calculate(*, facts: dict[str, Any], as_of: date, subject: str = Subject.TALENT,
              max_missing: int = MAX_MISSING) -> CalculatorResult:
    out = CalculatorResult(as_of=as_of)
    for version in versions_in_force(as_of=as_of, subject=subject):
        grants, misses, explanation = evaluate_version(version, facts, as_of=as_of, max_missing=max_missing)
        out.grants.extend(grants)
        out.near_misses.extend(misses)
        out.explanations[version.policy.code] = explanation
    out.near_misses.sort(key=lambda n: (len(n.missing), n.policy))
    return out


def calculate_for_enterprise(*, enterprise: Any, as_of: date) -> CalculatorResult:
    """The employer-subject policies (用人单位奖补 and the like) for one enterprise, from its registry facts."""
    from onestop.talents.facts import enterprise_facts_for

    return calculate(facts=enterprise_facts_for(enterprise, as_of=as_of), as_of=as_of, subject=Subject.EMPLOYER)
