"""The bridge between the catalogue and rulebook (public API only): building a version's rule-set document, one
compile cache per process, readable conditions for the library, and benefit texts.

The readable conditions are rendered from the JSON document itself (the format is public, docs/rules.md), so the
library page shows exactly the rules the calculator runs.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from threading import Lock
from typing import Any

from django.utils.translation import gettext as _

from onestop.talents.facts import ENTERPRISE_ATTRIBUTES, FACT_ATTRIBUTES
from rulebook import CompileCache, Engine, Issue, RuleSet, RuleSetError, fen_to_str

from .choices import Subject

_CACHE = CompileCache(64)
_ENGINES: OrderedDict[str, Engine] = OrderedDict()
_LOCK = Lock()


def attributes_for(subject: str) -> dict[str, Any]:
    return dict(ENTERPRISE_ATTRIBUTES if subject == Subject.EMPLOYER else FACT_ATTRIBUTES)


def build_document(*, code: str, version: str, title: str, title_en: str, subject: str,
                   parameters: Mapping[str, Any], rules: list[Any]) -> dict[str, Any]:
    """A complete rulebook document: the registry's attribute catalogue plus the policy's parameters and rules."""
    return {"id": code, "version": version, "title": {"zh": title, "en": title_en or title},
            "attributes": attributes_for(subject), "parameters": dict(parameters), "rules": list(rules)}


def ruleset_of(document: Mapping[str, Any]) -> RuleSet:
    return RuleSet.from_dict(document)


def document_issues(document: Any, *, as_of: date) -> list[Issue]:
    """rulebook's validation of a document (an unparsable one yields its parse issues)."""
    try:
        return RuleSet.from_dict(document).validate(as_of=as_of)
    except RuleSetError as exc:
        return list(exc.issues)


def engine_for(document: Mapping[str, Any]) -> Engine:
    """An engine per rule-set fingerprint, sharing one compile cache (rulebook keeps no global state itself)."""
    ruleset = RuleSet.from_dict(document)
    with _LOCK:
        engine = _ENGINES.get(ruleset.fingerprint)
        if engine is None:
            engine = Engine(ruleset, cache=_CACHE)
            _ENGINES[ruleset.fingerprint] = engine
            while len(_ENGINES) > 128:
                _ENGINES.popitem(last=False)
        else:
            _ENGINES.move_to_end(ruleset.fingerprint)
    return engine


# --- readable conditions -----------------------------------------------------------------------------------------

OPS = {"==": "为", "!=": "不为", "<": "小于", "<=": "不超过", ">": "大于", ">=": "不低于"}


@dataclass
class ConditionLine:
    text: str
    children: list[ConditionLine] = field(default_factory=list)


@dataclass
class RuleView:
    id: str
    title: str
    legal: str
    kind: str
    conditions: ConditionLine | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    amount: str = ""


def _label(node: Mapping[str, Any]) -> str:
    label = node.get("label")
    if isinstance(label, Mapping):
        return str(label.get("zh") or "")
    return ""


def _value_text(value: Any, document: Mapping[str, Any]) -> str:
    attributes = document.get("attributes", {})
    parameters = document.get("parameters", {})
    if isinstance(value, Mapping):
        if "attr" in value:
            attr = attributes.get(value["attr"], {})
            return str(attr.get("label", {}).get("zh", value["attr"]))
        if "param" in value:
            param = parameters.get(value["param"], {})
            return str(param.get("label", {}).get("zh", value["param"]))
        if "age" in value:
            return _("年龄")
        if "months_between" in value:
            return _("%(a)s至今月数") % {"a": _value_text(value["months_between"][0], document)}
        if "years_between" in value:
            return _("%(a)s至今年数") % {"a": _value_text(value["years_between"][0], document)}
        if "as_of" in value:
            return _("评估日")
        if "const" in value:
            return str(value["const"])
        return _("计算值")
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def condition_lines(node: Any, document: Mapping[str, Any]) -> ConditionLine:
    """A condition tree in plain Chinese: the author's labels where present, generated text otherwise."""
    if not isinstance(node, Mapping):
        return ConditionLine(_("是") if node else _("否"))
    label = _label(node)
    if "all" in node or "any" in node:
        key = "all" if "all" in node else "any"
        head = label or (_("同时满足：") if key == "all" else _("满足其一："))
        return ConditionLine(head, [condition_lines(c, document) for c in node[key]])
    if label:
        return ConditionLine(label)
    if "not" in node:
        return ConditionLine(_("不满足：%(c)s") % {"c": condition_lines(node["not"], document).text})
    for op, word in OPS.items():
        if op in node:
            left, right = node[op]
            return ConditionLine(f"{_value_text(left, document)}{word}{_value_text(right, document)}")
    for key, word in (("in", _("属于")), ("not_in", _("不属于")), ("has_any", _("含其一")),
                      ("has_all", _("全部包含")), ("has_none", _("不含"))):
        if key in node:
            left, right = node[key]
            return ConditionLine(f"{_value_text(left, document)}{word}：{_value_text(right, document)}")
    if "between" in node:
        value, low, high = node["between"]
        return ConditionLine(_("%(v)s在 %(l)s 至 %(h)s 之间") % {
            "v": _value_text(value, document), "l": _value_text(low, document), "h": _value_text(high, document)})
    if "known" in node:
        return ConditionLine(_("已填写%(v)s") % {"v": _value_text(node["known"], document)})
    if "attr" in node:
        return ConditionLine(_value_text(node, document))
    return ConditionLine(_("其他条件"))


def _cell_text(cell: Any, input_label: str) -> str:
    if cell == "-":
        return ""
    if isinstance(cell, Mapping):
        for op, word in OPS.items():
            if op in cell:
                return f"{input_label}{word}{_value_text(cell[op], {})}"
        for key, word in (("in", _("属于")), ("has_any", _("含其一")), ("has_all", _("全部包含"))):
            if key in cell:
                return f"{input_label}{word}：{_value_text(cell[key], {})}"
        if "between" in cell:
            low, high = cell["between"]
            return _("%(i)s在 %(l)s 至 %(h)s 之间") % {"i": input_label, "l": low, "h": high}
        return input_label
    return f"{input_label}{OPS['==']}{_value_text(cell, {})}"


def rule_views(document: Mapping[str, Any]) -> list[RuleView]:
    out = []
    for rule in document.get("rules", []):
        legal = rule.get("legal") or {}
        view = RuleView(id=rule["id"], title=str(rule.get("title", {}).get("zh", rule["id"])),
                        legal=" ".join(str(legal.get(k, "")) for k in ("document", "article")).strip(),
                        kind=str(rule.get("kind", "rule")))
        if view.kind == "decision_table":
            labels = [str(i.get("label", {}).get("zh", i["id"])) for i in rule.get("inputs", [])]
            for row in rule.get("rows", []):
                parts = [t for t in (_cell_text(c, labels[i]) for i, c in enumerate(row.get("cells", []))) if t]
                view.rows.append({"tier": row.get("tier", ""), "points": row.get("points"),
                                  "text": _("且").join(parts) or _("任意")})
        elif view.kind == "scored_table":
            view.conditions = ConditionLine(_("按评分表评分"))
        else:
            view.conditions = condition_lines(rule.get("when", True), document)
        out.append(view)
    return out


def parameter_rows(document: Mapping[str, Any], *, as_of: date) -> list[dict[str, str]]:
    """Parameters with the value in force on ``as_of`` and its start date, money shown in 元."""
    rows = []
    for name, param in document.get("parameters", {}).items():
        current = None
        for item in param.get("values", []):
            if str(item.get("from", "")) <= as_of.isoformat():
                current = item
        if current is None or current.get("value") is None:
            continue
        value = current["value"]
        text = fen_to_str(int(value)) if param.get("type") == "money" else str(value)
        unit = param.get("unit", {}).get("zh", "") if param.get("type") != "money" else ""
        rows.append({"name": name, "label": str(param.get("label", {}).get("zh", name)),
                     "value": f"{text}{(' ' + unit) if unit else ''}", "from": str(current.get("from", ""))})
    return rows


def benefit_text(benefits: Mapping[str, Any], rule_id: str, *, amount: int, points: int | None,
                 tier: str | None) -> str:
    spec = benefits.get(rule_id) or {}
    template = str(spec.get("text") or "{amount}")
    return (template.replace("{amount}", fen_to_str(amount)).replace("{points}", str(points or 0))
            .replace("{tier}", tier or ""))
