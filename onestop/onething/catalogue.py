"""The matter catalogue (data in ``catalogue.json``) and the rulebook pre-check of a matter.

Every eligibility here is a rulebook rule stored as data: a matter either names a published policy and the rules of
its rule set that decide it, or carries its own rule (``own_rules``, in the same format) for a service that has no
policy text of its own (green card, work permit). The policy module's public bridge builds and caches the engines.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.exceptions import ValidationFailed
from onestop.core.models import Department, User

from .choices import Verdict
from .models import Matter

CATALOGUE_FILE = Path(__file__).with_name("catalogue.json")
CERTIFICATION = "certification"


@cache
def catalogue() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    return data


def document_types() -> dict[str, dict[str, str]]:
    """Document code → {"name", "kind"} (``kind`` is the registry's document kind used for the upload)."""
    return dict(catalogue()["documents"])


def matter_spec(code: str) -> dict[str, Any]:
    return next((m for m in catalogue()["matters"] if m["code"] == code), {})


def matter_catalogue_load(*, actor: User | None = None) -> dict[str, int]:
    """Create or update the matters from the catalogue file (idempotent; run by ``load_matters`` and the demo seed).
    Every department must exist: a missing one is reported, nothing is written."""
    specs = catalogue()["matters"]
    departments = {d.code: d for d in Department.objects.filter(code__in={m["department"] for m in specs})}
    missing = sorted({m["department"] for m in specs} - set(departments))
    if missing:
        raise ValidationFailed(_("事项目录引用的部门不存在：%(d)s") % {"d": "、".join(missing)},
                               field_errors={"department": [_("部门：%(d)s 不存在。") % {"d": "、".join(missing)}]})
    created = updated = 0
    with transaction.atomic():
        for order, spec in enumerate(specs):
            values = {"name": spec["name"], "description": spec.get("description", ""),
                      "department": departments[spec["department"]], "definition_code": spec["definition"],
                      "documents": list(spec.get("documents", [])), "policy_code": spec.get("policy", ""),
                      "rule_ids": list(spec.get("rules", [])), "rules": list(spec.get("own_rules", [])),
                      "next_step": spec.get("next_step", ""), "sort_order": order * 10, "active": True}
            _matter, was_created = Matter.objects.update_or_create(code=spec["code"], defaults=values)
            created += was_created
            updated += not was_created
        by_code = {m.code: m for m in Matter.objects.all()}
        for spec in specs:
            dep = by_code.get(spec.get("depends_on", "")) if spec.get("depends_on") else None
            Matter.objects.filter(code=spec["code"]).update(depends_on=dep)
        audit_record(action="onething.catalogue.load", actor=actor, detail={"created": created, "updated": updated})
    return {"created": created, "updated": updated}


# --- pre-check ------------------------------------------------------------------------------------------------------

@dataclass
class Precheck:
    verdict: str
    reasons: list[str] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    tier: str | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "verdict_label": str(Verdict(self.verdict).label), "reasons": self.reasons,
                "documents": self.documents, "tier": self.tier, "note": self.note}


def _document_for(matter: Matter, as_of: date) -> tuple[dict[str, Any] | None, list[str]]:
    """The rulebook document and rule ids that decide ``matter`` on ``as_of`` (``None``: the policy is not in force)."""
    from onestop.policies.rules import build_document
    from onestop.policies.selectors import versions_in_force

    if matter.rules:
        doc = build_document(code=f"matter-{matter.code}", version="1", title=matter.name, title_en="",
                             subject="talent", parameters={}, rules=list(matter.rules))
        return doc, [r["id"] for r in matter.rules]
    version = next((v for v in versions_in_force(as_of=as_of, subject="talent") if v.policy.code == matter.policy_code),
                   None)
    if version is None:
        return None, []
    return version.document, list(matter.rule_ids)


def matter_precheck(*, matter: Matter, facts: Mapping[str, Any], as_of: date,
                    attached: set[str] | frozenset[str] = frozenset(), waiting_for: str = "") -> Precheck:
    """Likely approved / missing X / not eligible because Y, and the documents the matter needs with their state.

    ``waiting_for`` names a prerequisite matter chosen in the same application: its proposed result is already
    folded into ``facts`` by the caller, and the verdict says the matter waits for it."""
    from onestop.policies.rules import engine_for

    types = document_types()
    documents = [{"code": c, "name": types[c]["name"], "attached": c in attached} for c in matter.documents]
    document, rule_ids = _document_for(matter, as_of)
    if document is None:
        return Precheck(Verdict.NOT_ELIGIBLE, [_("对应政策当前未生效，暂不能申请。")], documents)
    result = engine_for(document).evaluate(dict(facts), as_of=as_of)
    reasons: list[str] = []
    verdict = Verdict.LIKELY
    tier = None
    for rule_id in rule_ids:
        outcome = result[rule_id]
        if outcome.eligible:
            tier = outcome.tier
            continue
        items = [i for m in result.missing(rule_id) for i in m.items]
        unknown = [i for i in items if i.unknown]
        if outcome.status is None and unknown:
            verdict = Verdict.MISSING if verdict != Verdict.NOT_ELIGIBLE else verdict
            reasons += [_("缺少信息：%(l)s（请在人才档案中补充）") % {"l": i.label} for i in unknown]
        else:
            verdict = Verdict.NOT_ELIGIBLE
            failed = [i for i in items if not i.unknown] or items
            reasons += [_("不符合：%(l)s（当前：%(a)s；要求：%(r)s）") % {"l": i.label, "a": i.actual, "r": i.required}
                        for i in failed]
            if not failed:
                reasons.append(_("不满足任何认定层次的条件；可按“或相当于上述层次”单独申报，由专家委员会评审。")
                               if matter.code == CERTIFICATION else _("不满足本事项的条件。"))
    missing_docs = [d["name"] for d in documents if not d["attached"]]
    if missing_docs and verdict == Verdict.LIKELY:
        verdict = Verdict.MISSING
    reasons += [_("缺少材料：%(n)s") % {"n": n} for n in missing_docs]
    note = _("将在“%(m)s”通过后自动转交办理。") % {"m": waiting_for} if waiting_for else ""
    return Precheck(verdict, reasons, documents, tier, note)
