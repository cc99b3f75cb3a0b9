"""Step conditions written in the rules engine's language: ``{"rulebook": {"attributes": {...}, "when": {...}}}``.

The ``when`` tree is a rulebook condition (docs/rules.md) over the declared attributes, evaluated on the case context at
today's date on the platform calendar. Only TRUE applies the step: an unknown value (a missing attribute) skips it, the
same "only TRUE counts at a decision" rule the engine uses everywhere. Rule sets are built once per distinct condition.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from rulebook import Engine, RuleSet

RULE_ID = "step_applies"


def _document(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": "workflow-step-condition",
        "version": "1",
        "title": {"zh": "办件环节适用条件", "en": "Workflow step condition"},
        "attributes": dict(spec.get("attributes") or {}),
        "parameters": dict(spec.get("parameters") or {}),
        "rules": [{"id": RULE_ID, "title": {"zh": "环节适用", "en": "Step applies"}, "when": spec.get("when")}],
    }


@lru_cache(maxsize=256)
def _engine(canonical: str) -> Engine:
    return Engine(RuleSet.from_dict(json.loads(canonical)))


def _canonical(spec: Any) -> str:
    return json.dumps(_document(spec), ensure_ascii=False, sort_keys=True)


def evaluate(spec: Any, context: Mapping[str, Any]) -> bool:
    from .calendar import today

    engine = _engine(_canonical(spec))
    attributes = (spec.get("attributes") or {}).keys()
    person = {name: context[name] for name in attributes if context.get(name) is not None}
    result = engine.evaluate(person, as_of=today())
    return bool(result[RULE_ID].eligible)


def validate(spec: Any) -> list[str]:
    """Chinese messages with the JSON path of each faulty node; empty when the condition is well formed."""
    if not isinstance(spec, Mapping) or "when" not in spec:
        return ["需要 attributes 和 when 两项"]
    try:
        issues = RuleSet.from_dict(_document(spec)).validate()
    except Exception as exc:  # a document rulebook cannot even parse
        return [str(exc)]
    return [f"{issue.path}：{issue.zh}" for issue in issues]


def register() -> None:
    from .conditions import register_condition_kind

    register_condition_kind("rulebook", evaluate, validate)
