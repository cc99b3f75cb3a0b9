"""Interpreter behaviour on the documented examples: dated parameters, ages, missing data, exclusions, money."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from rulebook import CompileCache, DataError, Engine, RuleSet, round_div

PERSON: dict[str, Any] = {
    "birth_date": "1995-03-01", "education": "博士", "graduation_date": "2023-07-01", "employed_in_zone": True,
    "insured_months": 8, "owns_home_in_city": False, "monthly_salary": 3_000_000, "honours": [],
    "title_level": "中级", "skill_level": "无",
}  # fmt: skip


def test_allowance_follows_effective_dated_parameter(talent_engine: Engine) -> None:
    before = talent_engine.evaluate(PERSON, as_of=dt.date(2024, 6, 30))["living_allowance"]
    after = talent_engine.evaluate(PERSON, as_of=dt.date(2024, 7, 1))["living_allowance"]
    assert (before.eligible, before.amount) == (True, 3_600_000)  # 3,000 元 × 12
    assert (after.eligible, after.amount) == (True, 6_000_000)  # 5,000 元 × 12 from 2024-07-01


@pytest.mark.parametrize(("as_of", "eligible"), [("2031-02-28", True), ("2031-03-01", False)])
def test_age_limit_on_the_birthday(talent_engine: Engine, as_of: str, eligible: bool) -> None:
    person = {**PERSON, "graduation_date": "2030-01-01"}
    assert talent_engine.evaluate(person, as_of=as_of)["living_allowance"].eligible is eligible


def test_missing_value_is_undetermined_never_granted(talent_engine: Engine) -> None:
    person = {**PERSON, "owns_home_in_city": None, "honours": ["省杰青"]}
    res = talent_engine.evaluate(person, as_of="2024-08-01")
    grant = res["settling_grant"]
    assert grant.status is None and not grant.eligible and grant.amount == 0
    # "not (owns home)" stays unknown: a missing fact never passes a negated condition


def test_not_together_higher_amount_wins(talent_engine: Engine) -> None:
    person = {**PERSON, "honours": ["省杰青"], "insured_months": 12}
    res = talent_engine.evaluate(person, as_of="2024-08-01")
    assert res["home_purchase_subsidy"].eligible and res["home_purchase_subsidy"].amount == 9_000_000
    assert not res["settling_grant"].eligible and res["settling_grant"].excluded_by == "home_purchase_subsidy"
    low_pay = talent_engine.evaluate({**person, "monthly_salary": 500_000}, as_of="2024-08-01")
    assert low_pay["settling_grant"].eligible and not low_pay["home_purchase_subsidy"].eligible


def test_tier_first_hit(talent_engine: Engine) -> None:
    res = talent_engine.evaluate({**PERSON, "honours": ["中原学者", "市突出贡献专家"]}, as_of="2024-08-01")
    assert (res["talent_tier"].tier, res["talent_tier"].points) == ("C", 60)


def test_money_rounding_half_up_is_exact() -> None:
    assert [round_div(n, 10) for n in (14, 15, 16, -15, -14)] == [1, 2, 2, -2, -1]
    rs = RuleSet.from_dict({"id": "m", "version": "1", "attributes": {"pay": {"type": "money"}},
                            "rules": [{"id": "r", "amount": {"mul": [{"attr": "pay"}, "0.005"]}}]})  # fmt: skip
    engine = Engine(rs)
    assert engine.evaluate({"pay": 100}, as_of="2024-01-01")["r"].amount == 1  # 0.5 fen → 1
    assert engine.evaluate({"pay": 99}, as_of="2024-01-01")["r"].amount == 0  # 0.495 → 0
    assert engine.evaluate({"pay": 300}, as_of="2024-01-01")["r"].amount == 2  # 1.5 → 2


def test_scored_table_sme(sme_rules: RuleSet) -> None:
    company = {"founded": "2015-01-01", "niche_years": 6, "rd_expense": 20_000_000, "revenue": 300_000_000,
               "rd_ratio": Decimal("0.067"), "revenue_growth": "0.12", "main_business_share": 0.85, "patents_i": 2,
               "rd_staff_ratio": "0.15", "quality_cert": True, "rd_center_level": "市级"}  # fmt: skip
    res = Engine(sme_rules).evaluate(company, as_of="2024-08-01")["srdi_sme"]
    assert (res.eligible, res.points, res.amount) == (True, 62, 20_000_000)
    weak = Engine(sme_rules).evaluate(
        {**company, "patents_i": 0, "provincial_award": False}, as_of="2024-08-01"
    )
    assert weak["srdi_sme"].points == 57 and not weak["srdi_sme"].eligible
    direct = Engine(sme_rules).evaluate(
        {**company, "patents_i": 0, "provincial_award": True}, as_of="2024-08-01"
    )
    assert direct["srdi_sme"].eligible


def test_bad_person_data_raises_with_path(talent_engine: Engine) -> None:
    with pytest.raises(DataError) as err:
        talent_engine.evaluate({**PERSON, "education": "中专"}, as_of="2024-08-01")
    assert err.value.path == "$.education"
    with pytest.raises(DataError) as err:
        talent_engine.evaluate({**PERSON, "nickname": "x"}, as_of="2024-08-01", strict=True)
    assert err.value.path == "$.nickname"


def test_compile_cache_is_bounded_and_owned(talent_rules: RuleSet) -> None:
    cache = CompileCache(maxsize=2)
    a, b = Engine(talent_rules, cache=cache), Engine(talent_rules, cache=cache)
    a.compiled("2024-08-01")
    b.compiled("2024-08-01")
    assert (cache.hits, cache.misses) == (1, 1)
    a.compiled("2024-08-02")
    a.compiled("2024-08-03")
    assert len(cache) == 2
