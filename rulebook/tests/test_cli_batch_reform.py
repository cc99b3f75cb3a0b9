"""CLI (every error class → one line, exit 2), batch data errors, near misses, reform, golden explanations."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from rulebook import DataError, Engine, Reform, RuleSet, RuleSetError, simulate_reform
from rulebook.cli import main
from rulebook.tests.conftest import EXAMPLES, HERE
from rulebook.tests.test_interpret import PERSON

RULES = str(EXAMPLES / "talent_2024.json")
GOLDEN = HERE / "golden"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data_csv(tmp_path: Path) -> Path:
    rows = [PERSON, {**PERSON, "education": "本科", "insured_months": 5}, {**PERSON, "honours": ["省杰青"]}]
    df = pl.DataFrame([{**r, "honours": "|".join(r["honours"]), "district": "北区"} for r in rows])
    path = tmp_path / "people.csv"
    df.write_csv(path)
    return path


def test_cli_check_ok_and_invalid(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "check", RULES)
    assert code == 0 and "通过" in out
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"id": "x", "version": "1", "rules": [{"id": "r", "when": {"attr": "nope"}}]}))
    code, _, err = run(capsys, "check", str(bad), "--lang", "en")
    assert (
        code == 2 and err.strip() == f"rulebook: error: {bad}: $.rules[0].when.attr: unknown attribute 'nope'"
    )


@pytest.mark.parametrize(
    ("content", "needle"),
    [("{not json", "invalid JSON"), (None, "cannot read file")],
)
def test_cli_bad_rules_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str | None, needle: str
) -> None:
    path = tmp_path / "rules.json"
    if content is not None:
        path.write_text(content)
    code, _, err = run(capsys, "check", str(path), "--lang", "en")
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_eval_prints_counts_and_writes_parquet(
    capsys: pytest.CaptureFixture[str], data_csv: Path, tmp_path: Path
) -> None:
    out_path = tmp_path / "out.parquet"
    code, out, err = run(
        capsys, "eval", RULES, str(data_csv), "--as-of", "2024-08-01", "--out", str(out_path), "--masks"
    )
    assert code == 0, err
    assert "living_allowance" in out and "合计" in out
    result = pl.read_parquet(out_path)
    assert result["living_allowance.eligible"].to_list() == [True, False, True]
    assert result["living_allowance.amount"].sum() == 2 * 6_000_000
    assert "living_allowance.mask" in result.columns


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda df: df.drop("education"), "data has no column 'education'"),
        (lambda df: df.with_columns(pl.lit("中专").alias("education")), "column education, row 1"),
        (lambda df: df.with_columns(pl.lit(1.5).alias("monthly_salary")), "column monthly_salary, row 1"),
        (lambda df: df.with_columns(pl.lit("2024-13-01").alias("birth_date")), "column birth_date, row 1"),
        (lambda df: df.with_columns(pl.lit("yes").alias("employed_in_zone")), "column employed_in_zone"),
        (lambda df: df.with_columns(pl.lit("院士|神仙").alias("honours")), "column honours, row 1"),
    ],
)
def test_cli_eval_bad_data(
    capsys: pytest.CaptureFixture[str], data_csv: Path, tmp_path: Path, mutate: Any, needle: str
) -> None:
    bad = tmp_path / "bad.csv"
    mutate(pl.read_csv(data_csv)).write_csv(bad)
    code, _, err = run(capsys, "eval", RULES, str(bad), "--as-of", "2024-08-01", "--lang", "en")
    assert code == 2 and needle in err and str(bad) in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_eval_bad_data_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for name, content in (("x.parquet", b"not parquet"), ("x.txt", b"a,b")):
        path = tmp_path / name
        path.write_bytes(content)
        code, _, err = run(capsys, "eval", RULES, str(path), "--as-of", "2024-08-01")
        assert code == 2 and "无法读取文件" in err and len(err.strip().splitlines()) == 1


def test_cli_parameter_not_effective(capsys: pytest.CaptureFixture[str], data_csv: Path) -> None:
    code, _, err = run(capsys, "eval", RULES, str(data_csv), "--as-of", "2023-01-01", "--lang", "en")
    assert code == 2 and "has no value in force on 2023-01-01" in err and "$.rules[0]" in err


def test_cli_bad_as_of(capsys: pytest.CaptureFixture[str], data_csv: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["eval", RULES, str(data_csv), "--as-of", "2024-02-30"])
    assert exc.value.code == 2
    assert "not a date" in capsys.readouterr().err


def test_cli_explain(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    person = tmp_path / "p.json"
    person.write_text(json.dumps({**PERSON, "insured_months": 4}, ensure_ascii=False))
    code, out, _ = run(capsys, "explain", RULES, str(person), "--as-of", "2024-08-01")
    assert code == 0 and "还差什么 · 青年人才生活补贴" in out and "区内社保满6个月" in out
    code, out, _ = run(
        capsys, "explain", RULES, str(person), "--as-of", "2024-08-01", "--json", "--lang", "en"
    )
    doc = json.loads(out)
    assert code == 0 and doc["rules"][0]["eligible"] is False
    assert doc["missing"][0]["missing"][0]["required"] == "≥ 6"
    person.write_text(json.dumps({**PERSON, "nickname": "x"}))
    code, _, err = run(capsys, "explain", RULES, str(person), "--as-of", "2024-08-01", "--lang", "en")
    assert code == 2 and f"{person}: $.nickname: unknown field" in err
    person.write_text("[1, 2]")
    code, _, err = run(capsys, "explain", RULES, str(person), "--as-of", "2024-08-01")
    assert code == 2 and "$" in err


def test_cli_reform(capsys: pytest.CaptureFixture[str], data_csv: Path, tmp_path: Path) -> None:
    reform = tmp_path / "reform.json"
    reform.write_text(json.dumps({"id": "five-months", "patches": [
        {"op": "replace", "path": "/rules/living_allowance/when/all/4/>=/1", "value": 5}]}))  # fmt: skip
    code, out, err = run(
        capsys,
        "reform",
        RULES,
        str(reform),
        str(data_csv),
        "--as-of",
        "2024-08-01",
        "--by",
        "district",
        "--json",
    )
    assert code == 0, err
    rows = {r["rule"]: r for r in json.loads(out)["rows"]}
    assert rows["living_allowance"]["reform_eligible"] == rows["living_allowance"]["base_eligible"] + 1
    assert rows["living_allowance"]["gainers"] == 1 and rows["TOTAL"]["losers"] == 0
    reform.write_text(json.dumps({"id": "x", "parameters": {"nope": 1}}))
    code, _, err = run(
        capsys, "reform", RULES, str(reform), str(data_csv), "--as-of", "2024-08-01", "--lang", "en"
    )
    assert code == 2 and f"{reform}: $.parameters.nope: unknown parameter" in err
    reform.write_text(
        json.dumps({"id": "x", "patches": [{"op": "replace", "path": "/rules/ghost/amount", "value": 1}]})
    )
    code, _, err = run(
        capsys, "reform", RULES, str(reform), str(data_csv), "--as-of", "2024-08-01", "--lang", "en"
    )
    assert code == 2 and "$.patches[0].path: unknown rule 'ghost'" in err


def test_batch_data_errors_directly(talent_engine: Engine) -> None:
    df = pl.DataFrame([PERSON]).with_columns(pl.lit(1.25).alias("insured_months"))
    with pytest.raises(DataError) as err:
        talent_engine.evaluate_frame(df, as_of="2024-08-01")
    assert err.value.path == "column insured_months, row 1"


def test_near_misses_one_condition_short(talent_engine: Engine) -> None:
    df = pl.DataFrame(
        [PERSON, {**PERSON, "insured_months": 4}, {**PERSON, "insured_months": 4, "employed_in_zone": False}]
    )
    near = talent_engine.near_misses(df, as_of="2024-08-01", max_missing=1).filter(
        pl.col("rule") == "living_allowance"
    )
    assert near["row"].to_list() == [1]
    assert near["conditions"].to_list() == [["区内社保满6个月"]]


def test_near_misses_reuse_an_evaluation_with_masks(talent_engine: Engine) -> None:
    df = pl.DataFrame(
        [PERSON, {**PERSON, "insured_months": 4}, {**PERSON, "insured_months": 4, "employed_in_zone": False}]
    )
    masked = talent_engine.evaluate_frame(df, as_of="2024-08-01", masks=True)
    reused = talent_engine.near_misses(df, as_of="2024-08-01", max_missing=1, result=masked)
    assert reused.equals(talent_engine.near_misses(df, as_of="2024-08-01", max_missing=1))
    with pytest.raises(ValueError):
        talent_engine.near_misses(df, as_of="2024-08-01", result=masked.head(1))


def test_reform_parameter_override_and_grouping(talent_rules: RuleSet) -> None:
    df = pl.DataFrame([{**PERSON, "district": d} for d in ("北区", "南区", "南区")])
    res = simulate_reform(talent_rules, Reform.from_dict({"id": "up", "parameters": {"allowance_doctor": 600000}}), df,
                          as_of=dt.date(2024, 8, 1), by=["district"])  # fmt: skip
    south = res.table.filter((pl.col("district") == "南区") & (pl.col("rule") == "living_allowance")).row(
        0, named=True
    )
    assert (
        south["base_cost"] == 2 * 6_000_000
        and south["reform_cost"] == 2 * 7_200_000
        and south["gainers"] == 2
    )
    assert res.total()["delta_cost"].item() == 3 * 1_200_000


def test_reform_removing_a_rule_makes_losers(talent_rules: RuleSet) -> None:
    df = pl.DataFrame([PERSON])
    res = simulate_reform(talent_rules, Reform.from_dict({"id": "cut", "patches": [{"op": "remove", "path": "/rules/living_allowance"}]}),
                          df, as_of="2024-08-01")  # fmt: skip
    row = res.table.filter(pl.col("rule") == "living_allowance").row(0, named=True)
    assert (row["base_eligible"], row["reform_eligible"], row["losers"]) == (1, 0, 1)
    with pytest.raises(RuleSetError):
        Reform.from_dict({"id": "x", "patches": [{"op": "move", "path": "/rules/0"}]}).apply(talent_rules)


GOLDEN_CASES = {
    "talent_doctor_short_insurance_zh": ("talent", {**PERSON, "insured_months": 4}, "zh"),
    "talent_missing_home_en": ("talent", {**PERSON, "owns_home_in_city": None, "honours": ["省杰青"]}, "en"),
    "sme_short_of_points_zh": (
        "sme",
        {
            "founded": "2021-01-01",
            "niche_years": 3,
            "rd_expense": 20_000_000,
            "revenue": 300_000_000,
            "rd_ratio": "0.05",
            "revenue_growth": "0.05",
            "main_business_share": "0.95",
            "patents_i": 1,
            "rd_staff_ratio": "0.12",
            "quality_cert": True,
            "rd_center_level": "无",
            "provincial_award": False,
            "maker_top500": False,
        },
        "zh",
    ),
}


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden_explanations(
    name: str, talent_rules: RuleSet, sme_rules: RuleSet, request: pytest.FixtureRequest
) -> None:
    which, person, lang = GOLDEN_CASES[name]
    engine = Engine(talent_rules if which == "talent" else sme_rules)
    res = engine.evaluate(person, as_of="2024-08-01")
    text = (
        res.explain(lang=lang).render()
        + "\n\n"
        + "\n\n".join(m.render() for m in res.missing(lang=lang))
        + "\n"
    )
    path = GOLDEN / f"{name}.txt"
    if not path.exists():  # first run writes the golden file; review it and commit it
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
