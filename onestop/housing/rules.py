"""Housing rule sets as data: the files in ``rulesets/`` are rulebook documents (docs/rules.md) over the registry's
fact catalogue, plus a small ``ranking`` block that names which rule decides what. Loaded into ``HousingRuleSet``
(versioned) by ``manage.py load_housing_rules`` and by ``seed_demo``; services evaluate the active version (a round
keeps the version it was opened with).
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from threading import Lock
from typing import Any

from django.db import transaction

from onestop.core.audit import audit_record
from onestop.core.exceptions import NotFound, ValidationFailed
from onestop.talents.facts import FACT_ATTRIBUTES
from rulebook import CompileCache, Engine, Result, RuleSet, RuleSetError

from .models import HousingRuleSet

RULESET_DIR = Path(__file__).resolve().parent / "rulesets"
_CACHE = CompileCache(32)
_ENGINES: OrderedDict[str, Engine] = OrderedDict()
_LOCK = Lock()


def full_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """The stored document with the registry's attribute catalogue (a rule can only read what the registry knows)."""
    return {**document, "attributes": FACT_ATTRIBUTES}


def engine_for(rule_set: HousingRuleSet) -> Engine:
    doc = full_document(rule_set.document)
    key = rule_set.sha256
    with _LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = Engine(RuleSet.from_dict(doc), cache=_CACHE)
            _ENGINES[key] = engine
            while len(_ENGINES) > 32:
                _ENGINES.popitem(last=False)
        return engine


def param(rule_set: HousingRuleSet, name: str, *, as_of: date) -> Any:
    """The value of a rule-set parameter in force on ``as_of`` (the document's effective-dated series)."""
    spec = rule_set.document.get("parameters", {}).get(name)
    if spec is None:
        raise KeyError(name)
    value = None
    for item in spec.get("values", []):
        if str(item["from"]) <= as_of.isoformat():
            value = item["value"]
    if value is None:
        raise KeyError(name)
    return value


def active(kind: str) -> HousingRuleSet:
    """The active rule set of a kind. On a fresh database the shipped files are loaded on first use (the same thing
    ``load_housing_rules`` does), so housing never fails because a deploy step was forgotten."""
    rule_set = HousingRuleSet.objects.filter(kind=kind, is_active=True).first()
    if rule_set is None:
        rulesets_load_shipped(as_of=date.today())
        rule_set = HousingRuleSet.objects.filter(kind=kind, is_active=True).first()
    if rule_set is None:
        raise NotFound("住房规则集尚未加载，请联系管理员运行 load_housing_rules。")
    return rule_set


def evaluate(rule_set: HousingRuleSet, facts: Mapping[str, Any], *, as_of: date) -> Result:
    return engine_for(rule_set).evaluate(facts, as_of=as_of, strict=False)


def eligibility(rule_set: HousingRuleSet, result: Result) -> bool | None:
    """Three-valued: every rule named in ``ranking.eligibility`` granted → True; one refused → False; else None
    (a fact is missing: a person decides, never the machine by accident)."""
    verdicts = [result[r].status if result[r].in_force else False for r in rule_set.ranking.get("eligibility", [])]
    if any(v is False for v in verdicts):
        return False
    if all(v is True for v in verdicts):
        return True
    return None


def explanation(result: Result, rule_ids: list[str]) -> dict[str, Any]:
    """A compact, JSON-safe explanation (zh) of the named rules, kept with the decision: the rendered tree and, per
    rule, the conditions not met (or unknown)."""
    missing: dict[str, list[str]] = {}
    for item in result.missing():
        if item.rule_id in rule_ids and item.items:
            missing[item.rule_id] = [f"{i.label}{'（未知）' if i.unknown else ''}" for i in item.items]
    return {"text": result.explain().render(), "missing": missing}


def _file_specs() -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(RULESET_DIR.glob("*.json"))]


def ruleset_load(*, spec: Mapping[str, Any], as_of: date) -> tuple[HousingRuleSet, bool]:
    """Validate a rule-set file and store it as the active version of its kind; unchanged files are left alone."""
    document = spec["document"]
    try:
        issues = RuleSet.from_dict(full_document(document)).validate(as_of=as_of)
    except RuleSetError as exc:
        issues = list(exc.issues)
    if issues:
        raise ValidationFailed("住房规则集校验未通过。", field_errors={
            "document": [f"{i.path}：{i.zh}" for i in issues]})
    canonical = json.dumps({"document": document, "ranking": spec.get("ranking", {})}, sort_keys=True,
                           ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    current = HousingRuleSet.objects.filter(kind=spec["kind"], is_active=True).first()
    if current is not None and current.sha256 == digest:
        return current, False
    with transaction.atomic():
        latest = HousingRuleSet.objects.filter(code=spec["code"]).order_by("-version").first()
        HousingRuleSet.objects.filter(kind=spec["kind"], is_active=True).update(is_active=False)
        rule_set = HousingRuleSet.objects.create(
            kind=spec["kind"], code=spec["code"], version=(latest.version + 1) if latest else 1,
            title=spec.get("title", spec["code"]), document=document, ranking=spec.get("ranking", {}),
            sha256=digest, is_active=True)
        audit_record(action="housing.ruleset.load", obj=rule_set, after={"version": rule_set.version,
                                                                         "sha256": digest})
    return rule_set, True


def rulesets_load_shipped(*, as_of: date) -> list[tuple[HousingRuleSet, bool]]:
    return [ruleset_load(spec=spec, as_of=as_of) for spec in _file_specs()]
