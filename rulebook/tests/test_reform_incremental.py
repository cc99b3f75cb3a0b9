"""simulate_reform evaluates only the rules a reform changes: it must equal a naive evaluation of both sides."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rulebook import Engine, Reform, RuleSet, col_name, simulate_reform
from rulebook.tests.conftest import EXAMPLES
from rulebook.tests.test_differential import TALENT_PERSON, TALENT_SCHEMA

TALENT = RuleSet.from_file(EXAMPLES / "talent_2024.json")
REFORMS: list[dict[str, Any]] = [
    {"id": "param", "parameters": {"allowance_doctor": 600000}},
    {"id": "grant", "parameters": {"settling_grant": 1}},  # partner of home_purchase_subsidy (就高)
    {
        "id": "patch",
        "patches": [{"op": "replace", "path": "/rules/living_allowance/when/all/4/>=/1", "value": 3}],
    },
    {"id": "remove", "patches": [{"op": "remove", "path": "/rules/living_allowance"}]},
    {"id": "none"},
]
METRICS = ["base_eligible", "reform_eligible", "base_cost", "reform_cost", "gainers", "losers"]


def naive(base: RuleSet, reformed: RuleSet, df: pl.DataFrame, as_of: dt.date) -> dict[str, dict[str, int]]:
    b = Engine(base).evaluate_frame(df, as_of=as_of)
    r = Engine(reformed).evaluate_frame(df, as_of=as_of)
    ids = list(dict.fromkeys([x.id for x in base.rules] + [x.id for x in reformed.rules]))
    n = df.height
    out: dict[str, dict[str, int]] = {}
    tb = [0] * n
    tr = [0] * n
    nb = [0] * n
    nr = [0] * n
    for rid in ids:
        be = b[col_name(rid, "eligible")].to_list() if rid in base.rules_by_id else [False] * n
        ba = b[col_name(rid, "amount")].to_list() if rid in base.rules_by_id else [0] * n
        re_ = r[col_name(rid, "eligible")].to_list() if rid in reformed.rules_by_id else [False] * n
        ra = r[col_name(rid, "amount")].to_list() if rid in reformed.rules_by_id else [0] * n
        out[rid] = {
            "base_eligible": sum(be), "reform_eligible": sum(re_), "base_cost": sum(ba), "reform_cost": sum(ra),
            "gainers": sum(1 for i in range(n) if ra[i] > ba[i] or (ra[i] == ba[i] and re_[i] and not be[i])),
            "losers": sum(1 for i in range(n) if ra[i] < ba[i] or (ra[i] == ba[i] and be[i] and not re_[i])),
        }  # fmt: skip
        for i in range(n):
            tb[i] += ba[i]
            tr[i] += ra[i]
            nb[i] += be[i]
            nr[i] += re_[i]
    out["TOTAL"] = {
        "base_eligible": sum(x > 0 for x in nb), "reform_eligible": sum(x > 0 for x in nr),
        "base_cost": sum(tb), "reform_cost": sum(tr),
        "gainers": sum(1 for i in range(n) if tr[i] > tb[i] or (tr[i] == tb[i] and nr[i] > nb[i])),
        "losers": sum(1 for i in range(n) if tr[i] < tb[i] or (tr[i] == tb[i] and nr[i] < nb[i])),
    }  # fmt: skip
    return out


@pytest.mark.parametrize("reform", REFORMS, ids=[r["id"] for r in REFORMS])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(persons=st.lists(TALENT_PERSON, min_size=1, max_size=20))
def test_incremental_reform_equals_naive(reform: dict[str, Any], persons: list[dict[str, Any]]) -> None:
    as_of = dt.date(2024, 8, 1)
    df = pl.DataFrame(persons, schema=TALENT_SCHEMA, orient="row")  # type: ignore[arg-type]
    reformed = Reform.from_dict(reform).apply(TALENT)
    res = simulate_reform(TALENT, reformed, df, as_of=as_of)
    want = naive(TALENT, reformed, df, as_of)
    got = {row["rule"]: {m: row[m] for m in METRICS} for row in res.table.iter_rows(named=True)}
    assert got == want
