"""Interpreter and batch agree exactly, per rule and person, on random and boundary data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rulebook import Engine, RuleSet, col_name
from rulebook.tests.conftest import EXAMPLES, HERE

SINK = RuleSet.from_file(HERE / "data" / "kitchen_sink.json")
ENGINES = {
    "sink": Engine(SINK),
    "talent": Engine(RuleSet.from_file(EXAMPLES / "talent_2024.json")),
    "sme": Engine(RuleSet.from_file(EXAMPLES / "srdi_sme.json")),
}

# evaluation dates around parameter changes, leap days and year ends
AS_OF = st.sampled_from(
    [dt.date(2024, 6, 29), dt.date(2024, 6, 30), dt.date(2024, 7, 1), dt.date(2024, 7, 2), dt.date(2024, 2, 28),
     dt.date(2024, 2, 29), dt.date(2024, 3, 1), dt.date(2024, 12, 31), dt.date(2025, 3, 1), dt.date(2024, 1, 1)]
)  # fmt: skip


def maybe(s: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), s, s, s, s)


def near_dates() -> st.SearchStrategy[dt.date]:
    # birthdays around 18/25/30/35/40/45 years before the as-of dates (±3 days), leap days, plus anything
    anchors = [dt.date(y, m, d) for y in (1979, 1984, 1989, 1994, 1999, 2006, 2000) for (m, d) in ((2, 29), (3, 1), (6, 30), (7, 1), (12, 31))
               if not (m == 2 and d == 29 and y % 4)]  # fmt: skip
    near = st.tuples(st.sampled_from(anchors), st.integers(-3, 3)).map(
        lambda t: t[0] + dt.timedelta(days=t[1])
    )
    return st.one_of(near, st.dates(dt.date(1950, 1, 1), dt.date(2030, 12, 31)))


def money() -> st.SearchStrategy[int]:
    return st.one_of(
        st.integers(-1000, 1_000_000),
        st.sampled_from([0, 4, 499999, 500000, 500001, 300000, 300001, 12345, 3, 7, -7, -12, 2147483647]),
    )


def decimal3() -> st.SearchStrategy[float]:
    return st.one_of(
        st.integers(-100, 1200).map(lambda k: k / 1000),
        st.sampled_from([0.1, 0.5, 0.25, 0.0995, 0.5005, 0.0005, 0.1004999, 0.2505]),
    )


SINK_PERSON = st.fixed_dictionaries(
    {
        "b": maybe(st.booleans()),
        "n": maybe(
            st.one_of(st.integers(-5, 45), st.sampled_from([9, 10, 11, 12, 19, 20, 21, 30, 31, 39, 40]))
        ),
        "m": maybe(money()),
        "r": maybe(decimal3()),
        "d": maybe(near_dates()),
        "d2": maybe(near_dates()),
        "e": maybe(st.sampled_from(["x", "y", "z"])),
        "o": maybe(st.sampled_from(["A", "B", "C", "D"])),
        "s": maybe(st.lists(st.sampled_from(["p", "q", "t", "u"]), max_size=4)),
    }
)

SINK_SCHEMA = {"b": pl.Boolean, "n": pl.Int64, "m": pl.Int64, "r": pl.Float64, "d": pl.Date, "d2": pl.Date,
               "e": pl.String, "o": pl.String, "s": pl.List(pl.String)}  # fmt: skip


def assert_agree(
    engine: Engine, persons: list[dict[str, Any]], schema: dict[str, Any], as_of: dt.date
) -> None:
    df = pl.DataFrame(persons, schema=schema, orient="row") if persons else pl.DataFrame(schema=schema)
    batch = engine.evaluate_frame(df, as_of=as_of, masks=True)
    rows = batch.to_dicts()
    for i, person in enumerate(persons):
        res = engine.evaluate(person, as_of=as_of)
        # the generated interpreter (rulebook.codegen) records exactly what the node closures record
        ref = engine.compiled(as_of).evaluate(person, closures=True)
        assert [(type(x), x) for x in res.vals] == [(type(x), x) for x in ref.vals], person
        for o, q in zip(res, ref, strict=True):
            assert (o.rule_id, o.status, o.eligible, o.amount, o.amount_raw, o.points, o.tier, o.mask,
                    o.excluded_by, o.detail) == (q.rule_id, q.status, q.eligible, q.amount, q.amount_raw, q.points,
                                                 q.tier, q.mask, q.excluded_by, q.detail), (o.rule_id, person)  # fmt: skip
            assert type(o.status) is type(q.status) and type(o.amount) is type(q.amount), (o.rule_id, person)
        for o in res:
            rid = o.rule_id
            got = rows[i]
            ctx = f"rule {rid}, person {person}, as_of {as_of}"
            assert got[col_name(rid, "eligible")] == o.eligible, ctx
            assert got[col_name(rid, "amount")] == o.amount, ctx
            if o.rule.has_points:
                assert got[col_name(rid, "points")] == o.points, ctx
            if o.rule.has_tier:
                assert got[col_name(rid, "tier")] == o.tier, ctx
            mask_col = col_name(rid, "mask")
            if mask_col in got:
                assert got[mask_col] == o.mask, ctx


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(persons=st.lists(SINK_PERSON, min_size=1, max_size=25), as_of=AS_OF)
def test_kitchen_sink_interpreter_equals_batch(persons: list[dict[str, Any]], as_of: dt.date) -> None:
    assert_agree(ENGINES["sink"], persons, SINK_SCHEMA, as_of)


TALENT_PERSON = st.fixed_dictionaries(
    {
        "birth_date": maybe(near_dates()),
        "education": maybe(st.sampled_from(["大专", "本科", "硕士", "博士"])),
        "graduation_date": maybe(st.dates(dt.date(2020, 1, 1), dt.date(2025, 1, 1))),
        "employed_in_zone": maybe(st.booleans()),
        "insured_months": maybe(st.integers(0, 30)),
        "owns_home_in_city": maybe(st.booleans()),
        "monthly_salary": maybe(st.integers(0, 9_000_000)),
        "honours": maybe(
            st.lists(
                st.sampled_from(["院士", "长江学者", "中原学者", "省杰青", "市突出贡献专家"]), max_size=2
            )
        ),
        "title_level": maybe(st.sampled_from(["无", "初级", "中级", "副高", "正高"])),
        "skill_level": maybe(st.sampled_from(["无", "初级工", "中级工", "高级工", "技师", "高级技师"])),
    }
)
TALENT_SCHEMA = {"birth_date": pl.Date, "education": pl.String, "graduation_date": pl.Date, "employed_in_zone": pl.Boolean,
                 "insured_months": pl.Int64, "owns_home_in_city": pl.Boolean, "monthly_salary": pl.Int64,
                 "honours": pl.List(pl.String), "title_level": pl.String, "skill_level": pl.String}  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(persons=st.lists(TALENT_PERSON, min_size=1, max_size=25), as_of=AS_OF)
def test_talent_example_interpreter_equals_batch(persons: list[dict[str, Any]], as_of: dt.date) -> None:
    assert_agree(ENGINES["talent"], persons, TALENT_SCHEMA, as_of)


SME_PERSON = st.fixed_dictionaries(
    {
        "founded": maybe(near_dates()),
        "niche_years": maybe(st.integers(0, 12)),
        "rd_expense": maybe(st.sampled_from([0, 9_999_999, 10_000_000, 50_000_000])),
        "revenue": maybe(st.sampled_from([99_999_999, 100_000_000, 500_000_000])),
        "rd_ratio": maybe(st.integers(0, 1500).map(lambda k: k / 10000)),
        "revenue_growth": maybe(st.integers(-500, 1500).map(lambda k: k / 10000)),
        "main_business_share": maybe(st.integers(6000, 10000).map(lambda k: k / 10000)),
        "patents_i": maybe(st.integers(0, 6)),
        "rd_staff_ratio": maybe(st.integers(0, 3000).map(lambda k: k / 10000)),
        "quality_cert": maybe(st.booleans()),
        "rd_center_level": maybe(st.sampled_from(["无", "市级", "省级", "国家级"])),
        "provincial_award": maybe(st.booleans()),
        "maker_top500": maybe(st.booleans()),
    }
)
SME_SCHEMA = {"founded": pl.Date, "niche_years": pl.Int64, "rd_expense": pl.Int64, "revenue": pl.Int64, "rd_ratio": pl.Float64,
              "revenue_growth": pl.Float64, "main_business_share": pl.Float64, "patents_i": pl.Int64,
              "rd_staff_ratio": pl.Float64, "quality_cert": pl.Boolean, "rd_center_level": pl.String,
              "provincial_award": pl.Boolean, "maker_top500": pl.Boolean}  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(persons=st.lists(SME_PERSON, min_size=1, max_size=25), as_of=AS_OF)
def test_sme_example_interpreter_equals_batch(persons: list[dict[str, Any]], as_of: dt.date) -> None:
    assert_agree(ENGINES["sme"], persons, SME_SCHEMA, as_of)


@settings(max_examples=40, deadline=None)
@given(
    d=near_dates(),
    as_of=st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)),
    k=st.integers(-2, 60),
    op=st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
    fn=st.sampled_from(["age", "months_between", "months_rev", "years_rev", "days_between"]),
)
def test_date_threshold_folding_is_exact(d: dt.date, as_of: dt.date, k: int, op: str, fn: str) -> None:
    """Derived date comparisons folded to boundary dates agree with direct computation."""
    value: Any = {
        "age": {"age": {"attr": "d"}},
        "months_between": {"months_between": [{"attr": "d"}, {"as_of": True}]},
        "months_rev": {"months_between": [{"as_of": True}, {"attr": "d"}]},
        "years_rev": {"years_between": [{"as_of": True}, {"attr": "d"}]},
        "days_between": {"days_between": [{"attr": "d"}, {"as_of": True}]},
    }[fn]
    rs = RuleSet.from_dict(
        {
            "id": "t",
            "version": "1",
            "attributes": {"d": {"type": "date"}},
            "rules": [{"id": "x", "when": {op: [value, k]}}],
        }
    )
    engine = Engine(rs)
    assert_agree(engine, [{"d": d}], {"d": pl.Date}, as_of)


@settings(max_examples=200, deadline=None)
@given(k=st.integers(-(10**9), 10**9), scale=st.integers(0, 6))
def test_float_threshold_is_the_exact_boundary(k: int, scale: int) -> None:
    """Decimal data kept as floats: ``scaled(x) >= k`` ⇔ ``x >= t`` with ``t`` the first float reaching k."""
    import math

    from rulebook.compile_polars import _float_threshold
    from rulebook.values import float_to_scaled

    t = _float_threshold(k, scale)
    assert t is not None and t != -math.inf
    assert float_to_scaled(t, scale) >= k
    assert float_to_scaled(math.nextafter(t, -math.inf), scale) < k


@settings(max_examples=150, deadline=None)
@given(
    xs=st.lists(
        st.one_of(
            st.integers(0, 2**34),
            st.integers(0, 5_000_000),
            st.sampled_from([0, 1, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**32 + 1, 2**40]),
        ),
        min_size=1,
        max_size=30,
    ),
    rate=st.integers(1, 99_999),
    scale=st.sampled_from([2, 3, 4, 5]),
    cap=st.one_of(st.integers(0, 10**8), st.sampled_from([0, 1, 2**31, 2**32 - 1, 2**32, 2**33])),
    op=st.sampled_from(["min", "max"]),
    flags=st.lists(st.booleans(), min_size=30, max_size=30),
)
def test_clamped_product_is_exact(
    xs: list[int], rate: int, scale: int, cap: int, op: str, flags: list[bool]
) -> None:
    """``min/max(round(x × rate), cap)`` on non-negative data: the threshold fold and its narrow (32-bit)
    evaluation below the threshold — chosen from the data's magnitude — agree with the interpreter,
    including values that do not fit 32 bits."""
    rate_text = f"{rate // 10**scale}.{rate % 10**scale:0{scale}d}"
    rs = RuleSet.from_dict(
        {
            "id": "t",
            "version": "1",
            "attributes": {"x": {"type": "money"}, "b": {"type": "bool"}},
            "parameters": {
                "rate": {
                    "type": "decimal",
                    "scale": scale,
                    "values": [{"from": "2024-01-01", "value": rate_text}],
                },
                "cap": {"type": "money", "values": [{"from": "2024-01-01", "value": cap}]},
            },
            "rules": [
                {
                    "id": "r",
                    "when": {"attr": "b"},
                    "amount": {op: [{"mul": [{"attr": "x"}, {"param": "rate"}]}, {"param": "cap"}]},
                }
            ],
        }
    )
    persons = [{"x": x, "b": b} for x, b in zip(xs, flags, strict=False)]
    assert_agree(Engine(rs), persons, {"x": pl.Int64, "b": pl.Boolean}, dt.date(2024, 8, 1))


@settings(max_examples=150, deadline=None)
@given(
    xs=st.lists(
        st.one_of(
            st.integers(0, 5_000_000),
            st.sampled_from([0, 1, 2**31 - 1, 2**31, 2**32 - 2, 2**32 - 1, 2**32, 2**33]),
        ),
        min_size=1,
        max_size=30,
    ),
    bounds=st.lists(
        st.one_of(
            st.integers(-3, 6_000_000),
            st.sampled_from([-1, 0, 1, 2**31, 2**32 - 2, 2**32 - 1, 2**32, 2**32 + 1, 2**40]),
        ),
        min_size=3,
        max_size=3,
    ),
    ops=st.lists(st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), min_size=2, max_size=2),
    flags=st.lists(st.booleans(), min_size=30, max_size=30),
)
def test_comparisons_on_the_narrow_copy_are_exact(
    xs: list[int], bounds: list[int], ops: list[str], flags: list[bool]
) -> None:
    """Comparisons of a column that a capped rate amount reads as a wrapping UInt32 copy: the batch reads
    the copy when every value fits 32 bits (bounds beyond the data's range fold away) and the column
    itself otherwise — both agree with the interpreter, with and without masks."""
    lo, hi, k = bounds
    rs = RuleSet.from_dict(
        {
            "id": "t",
            "version": "1",
            "attributes": {"x": {"type": "money"}, "b": {"type": "bool"}},
            "parameters": {
                "rate": {"type": "decimal", "scale": 4, "values": [{"from": "2024-01-01", "value": "0.0235"}]},
                "cap": {"type": "money", "values": [{"from": "2024-01-01", "value": 65_000}]},
            },
            "rules": [
                {
                    "id": "capped",
                    "when": {"all": [{"attr": "b"}, {ops[0]: [{"attr": "x"}, k]}]},
                    "amount": {"min": [{"mul": [{"attr": "x"}, {"param": "rate"}]}, {"param": "cap"}]},
                },
                {"id": "range", "when": {"between": [{"attr": "x"}, lo, hi]}, "amount": 100},
                {"id": "flipped", "when": {"any": [{ops[1]: [k, {"attr": "x"}]}, {"not": {"attr": "b"}}]}},
            ],
        }
    )
    persons = [{"x": x, "b": b} for x, b in zip(xs, flags, strict=False)]
    schema = {"x": pl.Int64, "b": pl.Boolean}
    engine = Engine(rs)
    as_of = dt.date(2024, 8, 1)
    assert_agree(engine, persons, schema, as_of)
    df = pl.DataFrame(persons, schema=schema, orient="row")
    plain = engine.evaluate_frame(df, as_of=as_of)
    masked = engine.evaluate_frame(df, as_of=as_of, masks=True)
    assert plain.equals(masked.select(plain.columns))
