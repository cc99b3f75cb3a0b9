"""Conditions of optional steps: a simple attribute test on the case's context, or a rulebook condition.

A condition is JSON::

    {"attr": "nationality", "op": "!=", "value": "中国"}
    {"all": [cond, ...]}  {"any": [cond, ...]}  {"not": cond}

Other condition kinds plug in through :func:`register_condition_kind`: a condition ``{"rulebook": {...}}`` is handed to
the evaluator registered under ``"rulebook"`` (``rulebook_conditions``, registered in ``WorkflowConfig.ready``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import gettext as _

Condition = Mapping[str, Any]
Evaluator = Callable[[Any, Mapping[str, Any]], bool]
Validator = Callable[[Any], list[str]]

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "in": lambda a, b: a in b,
    "not_in": lambda a, b: a not in b,
    ">": lambda a, b: a is not None and a > b,
    ">=": lambda a, b: a is not None and a >= b,
    "<": lambda a, b: a is not None and a < b,
    "<=": lambda a, b: a is not None and a <= b,
    "present": lambda a, _b: a not in (None, "", [], {}),
}

_kinds: dict[str, tuple[Evaluator, Validator | None]] = {}


def register_condition_kind(key: str, evaluator: Evaluator, validator: Validator | None = None) -> None:
    """Plug in another condition language, e.g. ``register_condition_kind("rulebook", rulebook_adapter)``."""
    _kinds[key] = (evaluator, validator)


def _lookup(context: Mapping[str, Any], path: str) -> Any:
    value: Any = context
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def condition_holds(condition: Condition | None, context: Mapping[str, Any]) -> bool:
    """True when the step applies. ``None`` (no condition) always applies."""
    if condition is None:
        return True
    if "all" in condition:
        return all(condition_holds(c, context) for c in condition["all"])
    if "any" in condition:
        return any(condition_holds(c, context) for c in condition["any"])
    if "not" in condition:
        return not condition_holds(condition["not"], context)
    for key, (evaluator, _validator) in _kinds.items():
        if key in condition:
            return bool(evaluator(condition[key], context))
    op = OPERATORS[str(condition.get("op", "=="))]
    try:
        return bool(op(_lookup(context, str(condition["attr"])), condition.get("value")))
    except TypeError:  # comparing different types (e.g. a number with text) means "does not apply"
        return False


def condition_errors(condition: Any, path: str = "condition") -> list[str]:
    """Chinese messages naming the faulty node; an empty list means the condition is well formed."""
    if not isinstance(condition, Mapping):
        return [_("%(p)s：条件应为对象。") % {"p": path}]
    for group in ("all", "any"):
        if group in condition:
            items = condition[group]
            if not isinstance(items, list) or not items:
                return [_("%(p)s.%(g)s：应为非空列表。") % {"p": path, "g": group}]
            return [e for i, c in enumerate(items) for e in condition_errors(c, f"{path}.{group}[{i}]")]
    if "not" in condition:
        return condition_errors(condition["not"], f"{path}.not")
    for key, (_evaluator, validator) in _kinds.items():
        if key in condition:
            return [f"{path}.{key}：{m}" for m in (validator(condition[key]) if validator else [])]
    errors = []
    if not isinstance(condition.get("attr"), str) or not condition.get("attr"):
        errors.append(_("%(p)s.attr：请填写要检查的属性名。") % {"p": path})
    if str(condition.get("op", "==")) not in OPERATORS:
        errors.append(_("%(p)s.op：不支持的运算符，可用：%(ops)s。") % {"p": path, "ops": "、".join(OPERATORS)})
    if condition.get("op") in ("in", "not_in") and not isinstance(condition.get("value"), list):
        errors.append(_("%(p)s.value：in / not_in 的取值应为列表。") % {"p": path})
    return errors
