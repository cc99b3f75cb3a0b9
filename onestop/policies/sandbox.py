"""The policy sandbox (政策沙盘): a draft version against the version in force, over the whole current registry
(rulebook's ``simulate_reform``), and on chosen people (rulebook's explanations)."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.models import User
from onestop.talents.facts import enterprise_frame, facts_for, registry_frame
from rulebook import RuleSet, fen_to_str, simulate_reform

from . import rules
from .choices import Subject
from .models import Policy, PolicyVersion
from .selectors import versions_in_force

GROUPS = ("tier_group", "industry_group")


def baseline_document(policy: Policy, *, as_of: date) -> dict[str, Any]:
    """The version in force on ``as_of``, or an empty rule set when the policy has none (everything is a gain)."""
    current = next((v for v in versions_in_force(as_of=as_of, subject=policy.subject) if v.policy_id == policy.pk),
                   None)
    if current is not None:
        return dict(current.document)
    return rules.build_document(code=policy.code, version="0", title=policy.title, title_en=policy.title_en,
                                subject=policy.subject, parameters={}, rules=[])


def _frame(policy: Policy, as_of: date) -> pl.DataFrame:
    return enterprise_frame(as_of=as_of) if policy.subject == Subject.EMPLOYER else registry_frame(as_of=as_of)


def sandbox_simulate(*, version: PolicyVersion, actor: User, as_of: date | None = None) -> dict[str, Any]:
    """How many gain or lose, the total cost, by tier and by industry, plus two ECharts options."""
    day = as_of or max(version.effective_from, date.today())
    base = RuleSet.from_dict(baseline_document(version.policy, as_of=day))
    reform = RuleSet.from_dict(version.document)
    frame = _frame(version.policy, day)
    table = simulate_reform(base, reform, frame, as_of=day, by=list(GROUPS)).table
    total = table.filter(pl.col("rule") == "TOTAL")
    sums = total.select(pl.exclude(*GROUPS, "rule").sum()).to_dicts()[0] if total.height else {}
    per_rule = (table.filter(pl.col("rule") != "TOTAL").group_by("rule")
                .agg(pl.exclude(*GROUPS).sum()).sort("rule").to_dicts())
    by_tier = total.group_by("tier_group").agg(pl.exclude("industry_group", "rule").sum()).sort("tier_group")
    by_industry = total.group_by("industry_group").agg(pl.exclude("tier_group", "rule").sum()).sort("industry_group")
    audit_record(action="policy.sandbox.simulate", actor=actor, obj=version,
                 detail={"as_of": day.isoformat(), "people": frame.height,
                         "delta_cost": int(sums.get("delta_cost", 0) or 0)})
    return {
        "as_of": day, "people": frame.height,
        "total": {k: int(v or 0) for k, v in sums.items()},
        "total_money": {k: fen_to_str(int(sums.get(k, 0) or 0)) for k in ("base_cost", "reform_cost", "delta_cost")},
        "rules": [{**r, **{f"{k}_text": fen_to_str(int(r[k] or 0)) for k in ("base_cost", "reform_cost", "delta_cost")}}
                  for r in per_rule],
        "by_tier": by_tier.to_dicts(), "by_industry": by_industry.to_dicts(),
        "chart_tier": _chart(by_tier, "tier_group", _("按人才层次")),
        "chart_industry": _chart(by_industry, "industry_group", _("按产业")),
    }


def _chart(frame: pl.DataFrame, key: str, title: str) -> dict[str, Any]:
    rows = frame.to_dicts()
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 24, "data": [_("受益人数"), _("受损人数"), _("成本变化（万元）")]},
        "grid": {"left": 48, "right": 56, "top": 64, "bottom": 40},
        "xAxis": {"type": "category", "data": [r[key] for r in rows]},
        "yAxis": [{"type": "value", "name": _("人数"), "minInterval": 1}, {"type": "value", "name": _("万元")}],
        "series": [
            {"name": _("受益人数"), "type": "bar", "data": [int(r["gainers"] or 0) for r in rows],
             "itemStyle": {"color": "#198754"}},
            {"name": _("受损人数"), "type": "bar", "data": [int(r["losers"] or 0) for r in rows],
             "itemStyle": {"color": "#dc3545"}},
            {"name": _("成本变化（万元）"), "type": "line", "yAxisIndex": 1,
             "data": [round(int(r["delta_cost"] or 0) / 1_000_000, 2) for r in rows]},
        ],
    }


def sandbox_try_on(*, version: PolicyVersion, actor: User, profile_ids: list[int],
                   as_of: date | None = None) -> list[dict[str, Any]]:
    """The draft and the version in force, side by side, for chosen talents (by registry number)."""
    from onestop.talents.models import TalentProfile

    day = as_of or max(version.effective_from, date.today())
    base_engine = rules.engine_for(baseline_document(version.policy, as_of=day))
    draft_engine = rules.engine_for(version.document)
    out = []
    profiles = TalentProfile.objects.select_related("user").filter(pk__in=profile_ids[:20])
    for profile in profiles:
        facts = facts_for(profile, as_of=day)
        before = base_engine.evaluate(facts, as_of=day)
        after = draft_engine.evaluate(facts, as_of=day)
        out.append({
            "profile": profile, "registry_number": profile.registry_number,
            "before": [(o.rule.title.get("zh"), fen_to_str(o.amount), o.tier) for o in before if o.eligible],
            "after": [(o.rule.title.get("zh"), fen_to_str(o.amount), o.tier) for o in after if o.eligible],
            "before_total": fen_to_str(before.total_amount), "after_total": fen_to_str(after.total_amount),
            "explanation": after.explain().render(),
        })
    audit_record(action="policy.sandbox.try_on", actor=actor, obj=version,
                 detail={"profiles": [p.pk for p in profiles], "as_of": day.isoformat()})
    return out
