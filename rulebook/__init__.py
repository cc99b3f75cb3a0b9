"""rulebook — OneStop's policy rules engine: rules as versioned data, explanations, vectorised batch, reforms.

Pure Python + polars; no Django import (an import-linter contract enforces it). Typical use::

    from rulebook import RuleSet, Engine, Reform, simulate_reform

    rs = RuleSet.from_file("talent_2024.json")
    issues = rs.validate(as_of=date(2024, 8, 1))          # [] → ready to publish
    engine = Engine(rs)                                  # owns an LRU of compiled forms per date
    result = engine.evaluate(person, as_of=date(2024, 8, 1))
    result["living_allowance"].eligible, result.total_amount   # amounts in integer fen
    print(result.explain().render())                     # explanation tree (zh; lang="en")
    result.missing()                                     # smallest set of failed conditions per rule
    frame = engine.evaluate_frame(df, as_of=..., masks=True)   # polars: <id>.eligible/.amount/.mask …
    engine.near_misses(df, as_of=..., max_missing=1)     # "one condition short"
    simulate_reform(rs, Reform.from_file("reform.json"), df, as_of=..., by=["district"])

The rule format is documented in docs/rules.md; its JSON Schema is :func:`schema`.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from rulebook.compile_polars import BatchPlan, col_name, summarise
from rulebook.engine import CompileCache, Engine
from rulebook.errors import DataError, Issue, IssueCode, RulebookError, RuleSetError
from rulebook.explain import ExplainNode, Explanation, Missing, MissingItem, RuleExplanation
from rulebook.interpret import CompiledRuleSet, Result, RuleOutcome, compile_ruleset
from rulebook.model import RuleSet
from rulebook.reform import Reform, ReformResult, simulate_reform
from rulebook.values import fen_to_str, round_div


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the rule-set format, shipped in the package."""
    text = resources.files("rulebook").joinpath("schema/rules.schema.json").read_text(encoding="utf-8")
    result: dict[str, Any] = json.loads(text)
    return result


__all__ = [
    "BatchPlan",
    "CompileCache",
    "CompiledRuleSet",
    "DataError",
    "Engine",
    "ExplainNode",
    "Explanation",
    "Issue",
    "IssueCode",
    "Missing",
    "MissingItem",
    "Reform",
    "ReformResult",
    "Result",
    "RuleExplanation",
    "RuleOutcome",
    "RuleSet",
    "RuleSetError",
    "RulebookError",
    "col_name",
    "compile_ruleset",
    "fen_to_str",
    "round_div",
    "schema",
    "simulate_reform",
    "summarise",
]
