"""Parsing and validation: every error class carries the JSON path of the faulty node, in zh and en."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest

from rulebook import IssueCode, RuleSet, RuleSetError, schema
from rulebook.tests.conftest import EXAMPLES

BASE: dict[str, Any] = {
    "id": "t", "version": "1",
    "attributes": {"age": {"type": "int"}, "edu": {"type": "ordered_enum", "values": ["本科", "硕士"]},
                   "pay": {"type": "money"}, "ok": {"type": "bool"}},
    "parameters": {"cap": {"type": "money", "values": [{"from": "2024-01-01", "value": 100}, {"from": "2024-07-01", "value": None}]}},
    "rules": [{"id": "r1", "when": {"all": [{">=": [{"attr": "age"}, 18]}, {"attr": "ok"}]}, "amount": {"param": "cap"}}],
}  # fmt: skip


def issues_of(doc: dict[str, Any], as_of: dt.date | None = None) -> list[tuple[str, str]]:
    return [(i.code.value, i.path) for i in RuleSet.from_dict(doc).validate(as_of)]


def with_rule(rule: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    doc["rules"].append(rule)
    return doc


def test_examples_are_valid(talent_rules: RuleSet, sme_rules: RuleSet) -> None:
    assert talent_rules.validate(dt.date(2024, 8, 1)) == []
    assert sme_rules.validate(dt.date(2024, 8, 1)) == []


def test_unknown_attribute_has_path_and_both_languages() -> None:
    rs = RuleSet.from_dict(with_rule({"id": "r2", "when": {">": [{"attr": "agee"}, 3]}}))
    (issue,) = rs.validate()
    assert issue.code is IssueCode.UNKNOWN_ATTRIBUTE
    assert issue.path == "$.rules[1].when.>[0].attr"
    assert "未知属性" in issue.zh and "unknown attribute 'agee'" in issue.en


@pytest.mark.parametrize(
    ("cond", "path"),
    [
        ({">": [{"attr": "pay"}, {"attr": "age"}]}, "$.rules[1].when.>[1]"),
        ({">": [{"attr": "ok"}, True]}, "$.rules[1].when.>[0]"),
        ({"attr": "age"}, "$.rules[1].when"),
        ({"in": [{"attr": "edu"}, ["博士"]]}, "$.rules[1].when.in[1][0]"),
    ],
)
def test_type_errors(cond: dict[str, Any], path: str) -> None:
    found = issues_of(with_rule({"id": "r2", "when": cond}))
    assert found and found[0][1] == path
    assert found[0][0] in ("type_mismatch", "bad_literal")


def test_money_amount_must_be_money() -> None:
    assert issues_of(with_rule({"id": "r2", "amount": {"attr": "age"}})) == [
        ("type_mismatch", "$.rules[1].amount")
    ]


def test_parameter_without_value_on_date() -> None:
    assert issues_of(BASE, dt.date(2024, 3, 1)) == []
    assert issues_of(BASE, dt.date(2024, 8, 1)) == [("parameter_not_effective", "$.rules[0].amount")]
    assert issues_of(BASE, dt.date(2023, 8, 1)) == [("parameter_not_effective", "$.rules[0].amount")]


def test_exclusion_cycles_and_unknown_rules() -> None:
    doc = copy.deepcopy(BASE)
    doc["rules"] = [
        {"id": "a", "overrides": ["b"]},
        {"id": "b", "overrides": ["c"]},
        {"id": "c", "excluded_by": ["b"], "overrides": ["a"]},
        {"id": "d", "not_together_with": ["zzz"]},
    ]
    found = issues_of(doc)
    assert ("unknown_rule", "$.rules[3].not_together_with[0]") in found
    assert any(code == "exclusion_cycle" for code, _ in found)


def test_band_overlap_and_gap() -> None:
    rule: dict[str, Any] = {"id": "s", "kind": "scored_table", "threshold": 1, "indicators": [
        {"id": "i", "input": {"attr": "age"}, "bands": [
            {"lt": 10, "points": 0}, {"gte": 10, "lte": 20, "points": 1}, {"gte": 20, "lt": 30, "points": 2},
            {"gt": 30, "points": 3}]}]}  # fmt: skip
    found = issues_of(with_rule(rule))
    assert ("band_overlap", "$.rules[1].indicators[0].bands[2]") in found
    assert ("band_gap", "$.rules[1].indicators[0].bands[3]") in found
    ok = copy.deepcopy(rule)
    ok["indicators"][0]["bands"] = [
        {"lt": 10, "points": 0},
        {"gte": 10, "lte": 20, "points": 1},
        {"gte": 21, "points": 2},
    ]
    assert issues_of(with_rule(ok)) == []  # integers: ≤20 then ≥21 leaves no gap


def test_unreachable_rows() -> None:
    rule = {"id": "t", "kind": "decision_table", "inputs": [{"id": "a", "value": {"attr": "age"}}, {"id": "e", "value": {"attr": "edu"}}],
            "rows": [{"cells": [{">=": 18}, "-"], "tier": "A"}, {"cells": [{">=": 30}, {"==": "硕士"}], "tier": "B"},
                     {"cells": [{"between": [5, 3]}, "-"], "tier": "C"}, {"cells": ["-", "-"], "tier": "D"}]}  # fmt: skip
    found = issues_of(with_rule(rule))
    assert ("unreachable_row", "$.rules[1].rows[1]") in found
    assert ("unreachable_row", "$.rules[1].rows[2]") in found
    assert ("unreachable_row", "$.rules[1].rows[3]") not in found


def test_structure_errors_and_invalid_json() -> None:
    assert ("structure", "$.rules[0].when") in issues_of({**BASE, "rules": [{"id": "x", "when": {"foo": 1}}]})
    with pytest.raises(RuleSetError) as err:
        RuleSet.from_json('{"id": "x",\n "version": }')
    assert err.value.issue.code is IssueCode.INVALID_JSON and err.value.path.startswith("line 2")


def test_compile_refuses_invalid_rules() -> None:
    from rulebook import Engine

    with pytest.raises(RuleSetError):
        Engine(RuleSet.from_dict(with_rule({"id": "r2", "when": {"attr": "nope"}}))).compiled(
            dt.date(2024, 1, 1)
        )


def test_schema_is_shipped_and_names_the_kinds() -> None:
    s = schema()
    assert s["$schema"].startswith("https://json-schema.org/")
    text = json.dumps(s)
    for word in ("scored_table", "decision_table", "ordered_enum", "enum_set", "not_together_with"):
        assert word in text
    doc = json.loads((EXAMPLES / "talent_2024.json").read_text(encoding="utf-8"))
    assert set(doc) <= set(s["properties"])


def test_unreachable_row_covered_by_a_union_of_earlier_rows() -> None:
    def table(rows: list[Any]) -> dict[str, Any]:
        return {"id": "t", "kind": "decision_table", "inputs": [{"id": "a", "value": {"attr": "age"}},
                {"id": "e", "value": {"attr": "edu"}}], "rows": rows}  # fmt: skip

    bands = [{"cells": [{"<": 30}, "-"], "tier": "A"}, {"cells": [{"between": [30, 40]}, "-"], "tier": "B"},
             {"cells": [{">": 40}, "-"], "tier": "C"}]  # fmt: skip
    found = issues_of(with_rule(table([*bands, {"cells": [{">=": 18}, {"==": "硕士"}], "tier": "D"}])))
    assert ("unreachable_row", "$.rules[1].rows[3]") in found
    # a "-" cell also matches a missing age, which no band matches: reachable
    found = issues_of(with_rule(table([*bands, {"cells": ["-", {"==": "硕士"}], "tier": "D"}])))
    assert ("unreachable_row", "$.rules[1].rows[3]") not in found
    # a gap (41 is not covered) keeps the row reachable
    gap = [bands[0], bands[1], {"cells": [{">": 41}, "-"], "tier": "C"}]
    assert ("unreachable_row", "$.rules[1].rows[3]") not in issues_of(
        with_rule(table([*gap, {"cells": [{">=": 18}, "-"], "tier": "D"}]))
    )
    # enum members: 本科 then 硕士 cover {本科, 硕士}
    enum_rows = [{"cells": ["-", {"==": "本科"}], "tier": "A"}, {"cells": ["-", {"in": ["硕士"]}], "tier": "B"},
                 {"cells": [{">=": 18}, {"in": ["本科", "硕士"]}], "tier": "C"}]  # fmt: skip
    assert ("unreachable_row", "$.rules[1].rows[2]") in issues_of(with_rule(table(enum_rows)))
