"""Rules engine benchmark: rulebook batch vs rulebook interpreter vs OpenFisca, same rules, same data.

    python bench/rules_bench.py                       # sizes 1e4,1e5,1e6 (a few minutes on 2 cores)
    python bench/rules_bench.py --sizes 1e4,1e5       # quick run
    python bench/rules_bench.py --json                # figures as one JSON object

A generated set of 20 rules (3–5 conditions each, effective-dated parameters, one override) is evaluated on
N generated persons. Correctness is checked first (identical eligibility per person and identical exact
totals across engines); then compile / load / evaluate / end-to-end are timed (best and median of 5), peak
memory is measured in a fresh subprocess per engine, explain latency over 1,000 persons, and baseline +
reform at the largest size.

Definitions. *compile*: rule document → executable form (rulebook: parse, validate, compile for the date,
build polars expressions; OpenFisca: build the TaxBenefitSystem with its variables and parameters).
*load*: the in-memory columnar table → the engine's input (rulebook: check and convert the columns;
OpenFisca: build the simulation and set_input every attribute). *evaluate*: compute every rule's
eligibility and amount for everybody. Reading files is excluded (identical for both).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from rulebook import Engine, Reform, RuleSet, col_name, simulate_reform
from rulebook.compile_polars import BatchPlan
from rulebook.interpret import CompiledRuleSet

AS_OF = dt.date(2024, 8, 1)
N_RULES = 20
EDU = ["大专", "本科", "硕士", "博士"]
HUKOU = ["本地", "省内", "外省"]
INDUSTRY = ["电子信息", "新能源汽车", "生物医药", "航空航天", "其他"]


# --------------------------------------------------------------------------------------------- rules


def generate_rules(n_rules: int = N_RULES) -> dict[str, Any]:
    """A deterministic rule set: 20 rules of 3–5 conditions each; dated parameters; rule 19 overrides 18."""
    attributes = {
        "birth_date": {"type": "date", "label": {"zh": "出生日期", "en": "Date of birth"}},
        "education": {"type": "ordered_enum", "values": EDU},
        "income": {"type": "money", "label": {"zh": "月收入", "en": "Monthly income"}},
        "insured_months": {"type": "int"},
        "employed": {"type": "bool"},
        "owns_home": {"type": "bool"},
        "hukou": {"type": "enum", "values": HUKOU},
        "industry": {"type": "enum", "values": INDUSTRY},
        "start_date": {"type": "date"},
        "rd_ratio": {"type": "decimal", "scale": 4},
        "children": {"type": "int"},
    }
    parameters: dict[str, Any] = {}
    rules = []
    for i in range(n_rules):
        base = 50_000 + 10_000 * i
        parameters[f"amount_{i}"] = {
            "type": "money",
            "values": [
                {"from": "2024-01-01", "value": base},
                {"from": "2024-07-01", "value": base + 5_000 * (i % 3)},
            ],
        }
        parameters[f"max_age_{i}"] = {
            "type": "int",
            "values": [
                {"from": "2024-01-01", "value": 30 + i % 10},
                {"from": "2024-07-01", "value": 32 + i % 10},
            ],
        }
        parameters[f"rate_{i}"] = {
            "type": "decimal",
            "scale": 4,
            "values": [{"from": "2024-01-01", "value": f"0.{(i % 9) + 1:02d}35"}],
        }
        pool = [
            {"<=": [{"age": {"attr": "birth_date"}}, {"param": f"max_age_{i}"}]},
            {">=": [{"attr": "education"}, EDU[i % 4]]},
            {">=": [{"attr": "income"}, 300_000 + 50_000 * (i % 7)]},
            {">=": [{"attr": "insured_months"}, 3 + i % 12]},
            {"attr": "employed"},
            {"not": {"attr": "owns_home"}},
            {"in": [{"attr": "hukou"}, HUKOU[: 1 + i % 3]]},
            {"in": [{"attr": "industry"}, INDUSTRY[i % 5 : i % 5 + 2]]},
            {"<=": [{"months_between": [{"attr": "start_date"}, {"as_of": True}]}, 12 + 6 * (i % 5)]},
            {">=": [{"attr": "rd_ratio"}, f"0.0{i % 8}"]},
            {">=": [{"attr": "children"}, i % 3]},
        ]
        k = 3 + i % 3
        conds = [pool[(i * 3 + j * 4) % len(pool)] for j in range(k)]
        if i % 2 == 0:
            amount: Any = {"param": f"amount_{i}"}
        else:
            amount = {
                "min": [{"mul": [{"attr": "income"}, {"param": f"rate_{i}"}]}, {"param": f"amount_{i}"}]
            }
        rule: dict[str, Any] = {
            "id": f"rule_{i:02d}",
            "title": {"zh": f"政策{i}", "en": f"Policy {i}"},
            "when": {"all": conds},
            "amount": amount,
        }
        if i == n_rules - 1:
            rule["overrides"] = [f"rule_{i - 1:02d}"]
        rules.append(rule)
    return {"id": "bench", "version": "1", "attributes": attributes, "parameters": parameters, "rules": rules}


def generate_reform() -> dict[str, Any]:
    return {
        "id": "bench-reform",
        "parameters": {"amount_0": 80_000, "max_age_3": 40},
        "patches": [{"op": "replace", "path": "/rules/rule_05/when/all/0", "value": {"attr": "employed"}}],
    }


# --------------------------------------------------------------------------------------------- data


def generate_data(n: int, seed: int = 7) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    epoch = np.datetime64("1970-01-01", "D")
    birth = (np.datetime64("1960-01-01", "D") - epoch).astype(int) + rng.integers(0, 45 * 365, n)
    start = (np.datetime64("2019-01-01", "D") - epoch).astype(int) + rng.integers(0, 5 * 365 + 200, n)
    return pl.DataFrame(
        {
            "birth_date": pl.Series(birth.astype(np.int32)).cast(pl.Date),
            "education": pl.Series(rng.integers(0, 4, n).astype(np.uint8)).cast(pl.UInt8),
            "income": rng.integers(100_000, 3_000_000, n).astype(np.int64),
            "insured_months": rng.integers(0, 36, n).astype(np.int64),
            "employed": rng.random(n) < 0.8,
            "owns_home": rng.random(n) < 0.3,
            "hukou": pl.Series(rng.integers(0, 3, n).astype(np.uint8)),
            "industry": pl.Series(rng.integers(0, 5, n).astype(np.uint8)),
            "start_date": pl.Series(start.astype(np.int32)).cast(pl.Date),
            "rd_ratio": np.round(rng.random(n) * 0.12, 4),
            "children": rng.integers(0, 4, n).astype(np.int64),
        }
    ).pipe(_enums)


def _enums(df: pl.DataFrame) -> pl.DataFrame:
    """Enum columns as polars Enum (what a loader of dictionary-encoded data produces)."""
    out = []
    for name, values in (("education", EDU), ("hukou", HUKOU), ("industry", INDUSTRY)):
        codes = df[name].cast(pl.UInt32)
        out.append(pl.Series(name, values).gather(codes).cast(pl.Enum(values)))
    return df.with_columns(out)


# --------------------------------------------------------------------------------------------- rulebook


def rulebook_compile(doc: dict[str, Any], masks: bool = False) -> BatchPlan:
    """Parse, validate, compile for the date. The polars expressions are specialised to the data's profile
    (missing values, signs) on the first evaluation and cached with the plan: end-to-end includes that."""
    _ = masks
    return BatchPlan(CompiledRuleSet(RuleSet.from_dict(doc), AS_OF))


def rulebook_totals(out: pl.DataFrame, rule_ids: list[str]) -> dict[str, tuple[int, int]]:
    return {
        r: (int(out[col_name(r, "eligible")].sum()), int(out[col_name(r, "amount")].sum())) for r in rule_ids
    }


# --------------------------------------------------------------------------------------------- OpenFisca


def openfisca_available() -> bool:
    try:
        import openfisca_core  # noqa: F401
    except ImportError:
        return False
    return True


def openfisca_compile(doc: dict[str, Any]) -> Any:
    """The same rules as OpenFisca variables (formulas) and parameters (dated values)."""
    from openfisca_core.entities import build_entity
    from openfisca_core.parameters import ParameterNode
    from openfisca_core.periods import DateUnit
    from openfisca_core.taxbenefitsystems import TaxBenefitSystem
    from openfisca_core.variables import Variable

    person = build_entity(key="person", plural="persons", label="Person", is_person=True)
    tbs = TaxBenefitSystem([person])
    pdata: dict[str, Any] = {}
    for name, p in doc["parameters"].items():
        values = {}
        for v in p["values"]:
            val = v["value"]
            if p["type"] == "decimal":  # exact: rates as integer basis points of 1/10000
                val = round(float(val) * 10000)
            values[v["from"]] = {"value": val}
        pdata[name] = {"values": values}
    tbs.parameters = ParameterNode("", data=pdata)

    def add(name: str, value_type: type, formula: Callable[..., Any] | None = None) -> None:
        attrs: dict[str, Any] = {
            "value_type": value_type,
            "entity": person,
            "definition_period": DateUnit.MONTH,
            "label": name,
        }
        if formula is not None:
            attrs["formula"] = formula
        tbs.add_variable(type(name, (Variable,), attrs))

    for name, spec in doc["attributes"].items():
        vt = {
            "bool": bool,
            "int": int,
            "money": int,
            "decimal": int,
            "date": int,
            "enum": int,
            "ordered_enum": int,
        }[spec["type"]]
        add(name, vt)  # dates as days since epoch, enums as codes, decimals as 1/10000 (exact)

    asof_ymd = AS_OF.year * 10000 + AS_OF.month * 100 + AS_OF.day
    asof_m100 = (AS_OF.year * 12 + AS_OF.month) * 100 + AS_OF.day

    def ymd_parts(days: Any) -> tuple[Any, Any, Any]:
        d = days.astype("datetime64[D]")
        y = d.astype("datetime64[Y]").astype(np.int64) + 1970
        m = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
        day = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
        return y, m, day

    def age_formula(p: Any, period: Any, parameters: Any) -> Any:
        y, m, d = ymd_parts(p("birth_date", period))
        return (asof_ymd - (y * 10000 + m * 100 + d)) // 10000

    def months_formula(p: Any, period: Any, parameters: Any) -> Any:
        y, m, d = ymd_parts(p("start_date", period))
        return (asof_m100 - ((y * 12 + m) * 100 + d)) // 100

    add("age", int, age_formula)
    add("months_since_start", int, months_formula)

    def cond_fn(c: dict[str, Any]) -> Callable[[Any, Any, Any], Any]:
        key = next(iter(c))
        if key == "attr":
            return lambda p, per, par: p(c["attr"], per)
        if key == "not":
            inner = cond_fn(c["not"])
            return lambda p, per, par: ~inner(p, per, par)
        left, right = c[key]
        if key == "in":
            values = doc["attributes"][left["attr"]]["values"]
            codes = [values.index(v) for v in right]
            return lambda p, per, par: np.isin(p(left["attr"], per), codes)
        if "age" in left:
            var = "age"
        elif "months_between" in left:
            var = "months_since_start"
        else:
            var = left["attr"]
        spec = doc["attributes"].get(var, {})
        if isinstance(right, dict):
            return lambda p, per, par: _CMP[key](p(var, per), par(per.start)[right["param"]])
        if spec.get("type") == "ordered_enum":
            k: Any = spec["values"].index(right)
        elif spec.get("type") == "decimal":
            k = round(float(right) * 10000)
        else:
            k = right
        return lambda p, per, par: _CMP[key](p(var, per), k)

    rules = doc["rules"]
    for rule in rules:
        rid = rule["id"]
        conds = [cond_fn(c) for c in rule["when"]["all"]]

        def base(p: Any, period: Any, parameters: Any, conds: list[Any] = conds) -> Any:
            out = conds[0](p, period, parameters)
            for c in conds[1:]:
                out = out & c(p, period, parameters)
            return out

        add(f"{rid}_base", bool, base)
        amount = rule["amount"]
        if "param" in amount:

            def amt_const(p: Any, period: Any, parameters: Any, pname: str = amount["param"]) -> Any:
                return np.full(p.count, parameters(period.start)[pname], dtype=np.int64)

            add(f"{rid}_amount_raw", int, amt_const)
        else:
            rname = amount["min"][0]["mul"][1]["param"]
            cap = amount["min"][1]["param"]

            def amt_rate(p: Any, period: Any, parameters: Any, rname: str = rname, cap: str = cap) -> Any:
                par = parameters(period.start)
                x = p("income", period).astype(np.int64) * par[rname]
                return np.minimum((2 * x + 10000) // 20000, par[cap])  # half up, exact integers

            add(f"{rid}_amount_raw", int, amt_rate)
    winners = {r["overrides"][0]: r["id"] for r in rules if r.get("overrides")}
    for rule in rules:
        rid = rule["id"]

        def elig(p: Any, period: Any, parameters: Any, rid: str = rid) -> Any:
            e = p(f"{rid}_base", period)
            if rid in winners:
                e = e & ~p(f"{winners[rid]}_eligible", period)
            return e

        def amount_final(p: Any, period: Any, parameters: Any, rid: str = rid) -> Any:
            return np.where(p(f"{rid}_eligible", period), p(f"{rid}_amount_raw", period), 0)

        add(f"{rid}_eligible", bool, elig)
        add(f"{rid}_amount", int, amount_final)
    return tbs


_CMP: dict[str, Callable[[Any, Any], Any]] = {
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
}


def openfisca_arrays(df: pl.DataFrame) -> dict[str, Any]:
    """Columns as OpenFisca inputs: dates as day numbers, enums as codes, decimals as 1/10000."""
    out = {}
    for name in df.columns:
        s = df[name]
        if s.dtype == pl.Date:
            out[name] = s.cast(pl.Int32).to_numpy()
        elif isinstance(s.dtype, pl.Enum):
            out[name] = s.to_physical().cast(pl.Int32).to_numpy()
        elif s.dtype == pl.Float64:
            out[name] = np.floor(s.to_numpy() * 10000 + 0.5).astype(np.int64)
        else:
            out[name] = s.to_numpy()
    return out


def openfisca_load(tbs: Any, arrays: dict[str, Any], n: int) -> Any:
    from openfisca_core.simulations import SimulationBuilder

    sim = SimulationBuilder().build_default_simulation(tbs, count=n)
    period = AS_OF.strftime("%Y-%m")
    for name, arr in arrays.items():
        sim.set_input(name, period, arr)
    return sim


def openfisca_evaluate(sim: Any, rule_ids: list[str]) -> dict[str, Any]:
    period = AS_OF.strftime("%Y-%m")
    out = {}
    for rid in rule_ids:
        out[f"{rid}_eligible"] = sim.calculate(f"{rid}_eligible", period)
        out[f"{rid}_amount"] = sim.calculate(f"{rid}_amount", period)
    return out


# --------------------------------------------------------------------------------------------- timing


def timed(fn: Callable[[], Any], repeat: int = 5) -> tuple[float, float, Any]:
    times = []
    result = None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times), result


def peak_rss_mb() -> float:
    """Peak resident memory of this process (VmHWM: reset by exec, unlike ru_maxrss)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_probe(engine: str, n: int) -> dict[str, float]:
    """Run one engine end to end in a fresh process; report its peak RSS (data included) in MB."""
    code = subprocess.run(
        [sys.executable, __file__, "--_probe", engine, "--sizes", str(n)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    try:
        return dict(json.loads(code.stdout.strip().splitlines()[-1]))
    except (IndexError, json.JSONDecodeError):
        return {"error": 1.0}


def probe(engine: str, n: int) -> None:
    doc = generate_rules()
    df = generate_data(n)
    gc.collect()
    data_mb = df.estimated_size() / 2**20
    before = peak_rss_mb()
    rule_ids = [r["id"] for r in doc["rules"]]
    if engine == "rulebook":
        plan = rulebook_compile(doc)
        plan.evaluate_prepared(plan.prepare(df))
    elif engine == "rulebook_masks":
        plan = rulebook_compile(doc, masks=True)
        plan.evaluate_prepared(plan.prepare(df), masks=True)
    elif engine == "reform":
        simulate_reform(RuleSet.from_dict(doc), Reform.from_dict(generate_reform()), df, as_of=AS_OF)
    else:
        tbs = openfisca_compile(doc)
        openfisca_evaluate(openfisca_load(tbs, openfisca_arrays(df), n), rule_ids)
    print(json.dumps({"peak_mb": peak_rss_mb(), "before_mb": before, "data_mb": data_mb}))


# --------------------------------------------------------------------------------------------- main


def bench_size(
    doc: dict[str, Any], n: int, with_openfisca: bool, memory: bool, log: Callable[[str], None]
) -> dict[str, Any]:
    rule_ids = [r["id"] for r in doc["rules"]]
    log(f"== {n:,} persons × {len(rule_ids)} rules")
    df = generate_data(n)
    entry: dict[str, Any] = {}
    # correctness first
    plan = rulebook_compile(doc)
    batch = plan.evaluate_prepared(plan.prepare(df))
    totals = rulebook_totals(batch, rule_ids)
    sample_n = min(n, 2000)
    sample = df.head(sample_n).to_dicts()
    compiled = plan.compiled
    interp = [compiled.evaluate(p) for p in sample]
    for rid in rule_ids:
        elig = batch[col_name(rid, "eligible")].head(sample_n).to_list()
        amt = batch[col_name(rid, "amount")].head(sample_n).to_list()
        assert elig == [r[rid].eligible for r in interp], f"interpreter differs on {rid}"
        assert amt == [r[rid].amount for r in interp], f"interpreter amount differs on {rid}"
    check: dict[str, Any] = {"interpreter_sample": sample_n, "interpreter_agrees": True}
    if with_openfisca:
        tbs = openfisca_compile(doc)
        of = openfisca_evaluate(openfisca_load(tbs, openfisca_arrays(df), n), rule_ids)
        mism_e = sum(
            int((of[f"{r}_eligible"] != batch[col_name(r, "eligible")].to_numpy()).sum()) for r in rule_ids
        )
        mism_a = sum(
            int((of[f"{r}_amount"] != batch[col_name(r, "amount")].to_numpy()).sum()) for r in rule_ids
        )
        of_tot = {
            r: (int(of[f"{r}_eligible"].sum()), int(of[f"{r}_amount"].astype(np.int64).sum()))
            for r in rule_ids
        }
        check.update(
            {
                "openfisca_eligibility_mismatches": mism_e,
                "openfisca_amount_mismatches": mism_a,
                "openfisca_totals_identical": of_tot == totals,
            }
        )
        # the idiomatic float32 variant of a rate-based amount, to show the rounding risk
        x32 = (df["income"].to_numpy().astype(np.float32) * np.float32(0.0135)).astype(np.float32)
        exact = (df["income"].to_numpy().astype(np.int64) * 135 * 2 + 10000) // 20000
        check["float32_rate_amount_mismatches"] = int(
            (np.floor(x32 + np.float32(0.5)).astype(np.int64) != exact).sum()
        )
    entry["correctness"] = check
    entry["total_amount_fen"] = sum(a for _e, a in totals.values())
    entry["eligible_person_rules"] = sum(e for e, _a in totals.values())
    log(f"   correctness: {check}")

    # rulebook batch
    c_best, c_med, plan = timed(lambda: rulebook_compile(doc))
    l_best, l_med, prepared = timed(lambda: plan.prepare(df))
    e_best, e_med, _ = timed(lambda: plan.evaluate_prepared(prepared))
    m_best, m_med, _ = timed(lambda: plan.evaluate_prepared(prepared, masks=True))
    t_best, t_med, _ = timed(lambda: (lambda p: p.evaluate_prepared(p.prepare(df)))(rulebook_compile(doc)))
    tm_best, tm_med, _ = timed(
        lambda: (lambda p: p.evaluate_prepared(p.prepare(df), masks=True))(rulebook_compile(doc, masks=True))
    )
    entry["rulebook"] = {
        "compile": [c_best, c_med],
        "load": [l_best, l_med],
        "evaluate": [e_best, e_med],
        "evaluate_masks": [m_best, m_med],
        "end_to_end": [t_best, t_med],
        "end_to_end_masks": [tm_best, tm_med],
    }
    log(f"   rulebook batch e2e best {t_best * 1e3:.1f} ms (masks {tm_best * 1e3:.1f} ms)")

    # interpreter, row by row on the sample, scaled
    i_best, i_med, _ = timed(lambda: [compiled.evaluate(p) for p in sample], repeat=3)
    entry["interpreter"] = {
        "sample": sample_n,
        "per_person_us": i_best / sample_n * 1e6,
        "scaled_evaluate": [i_best / sample_n * n, i_med / sample_n * n],
    }

    if with_openfisca:
        arrays = openfisca_arrays(df)
        oc_best, oc_med, tbs = timed(lambda: openfisca_compile(doc), repeat=5)
        ol_best, ol_med, _ = timed(lambda: openfisca_load(tbs, arrays, n))
        sims = [openfisca_load(tbs, arrays, n) for _ in range(5)]
        it = iter(sims)
        oe_best, oe_med, _ = timed(lambda: openfisca_evaluate(next(it), rule_ids))
        del sims
        ot_best, ot_med, _ = timed(
            lambda: openfisca_evaluate(openfisca_load(openfisca_compile(doc), arrays, n), rule_ids)
        )
        entry["openfisca"] = {
            "compile": [oc_best, oc_med],
            "load": [ol_best, ol_med],
            "evaluate": [oe_best, oe_med],
            "end_to_end": [ot_best, ot_med],
        }
        entry["speedup_e2e"] = ot_best / t_best
        entry["speedup_e2e_masks"] = ot_best / tm_best
        log(
            f"   OpenFisca e2e best {ot_best * 1e3:.1f} ms → speed-up {entry['speedup_e2e']:.1f}× "
            f"({entry['speedup_e2e_masks']:.1f}× with masks)"
        )
    entry["person_rule_evals_per_s"] = n * len(rule_ids) / t_best
    if memory:
        entry["memory_mb"] = {
            e: memory_probe(e, n)
            for e in ["rulebook", "rulebook_masks"] + (["openfisca"] if with_openfisca else [])
        }
    return entry


def run(sizes: list[int], with_openfisca: bool, memory: bool, log: Callable[[str], None]) -> dict[str, Any]:
    doc = generate_rules()
    rule_ids = [r["id"] for r in doc["rules"]]
    leaves = sum(len(r["when"]["all"]) for r in doc["rules"])
    figures: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "polars": pl.__version__,
            "threads": pl.thread_pool_size(),
            "load_average_start": [round(x, 2) for x in os.getloadavg()],
        },
        "rules": len(rule_ids),
        "conditions": leaves,
        "as_of": AS_OF.isoformat(),
        "sizes": {},
    }
    for n in sizes:
        figures["sizes"][str(n)] = bench_size(doc, n, with_openfisca, memory, log)
        gc.collect()

    # explain latency over 1,000 persons (20 rules)
    df = generate_data(1000, seed=11)
    engine = Engine(RuleSet.from_dict(doc))
    persons = df.to_dicts()
    engine.evaluate(persons[0], as_of=AS_OF)
    ev, ex, ext, exd = [], [], [], []
    for p in persons:
        t0 = time.perf_counter()
        r = engine.evaluate(p, as_of=AS_OF)
        t1 = time.perf_counter()
        e = r.explain()  # the explanation handle (trees are built on access)
        t2 = time.perf_counter()
        trees = list(e.rules)  # materialise every rule's tree
        t3 = time.perf_counter()
        e.to_dict()
        r.missing()
        t4 = time.perf_counter()
        assert len(trees) == N_RULES
        ev.append(t1 - t0)
        ex.append(t2 - t0)
        ext.append(t3 - t0)
        exd.append(t4 - t0)
        # release this person's result and trees now, so that freeing them (≈ 20 µs for the materialised
        # trees) is not counted in the next person's latency
        del r, e, trees

    def pct(xs: list[float], q: float) -> float:
        return sorted(xs)[int(q * (len(xs) - 1))] * 1e6

    figures["explain_us"] = {
        "evaluate_p50": pct(ev, 0.5),
        "evaluate_p99": pct(ev, 0.99),
        "evaluate_explain_p50": pct(ex, 0.5),
        "evaluate_explain_p99": pct(ex, 0.99),
        "evaluate_explain_tree_p50": pct(ext, 0.5),
        "evaluate_explain_tree_p99": pct(ext, 0.99),
        "with_dict_and_missing_p50": pct(exd, 0.5),
        "with_dict_and_missing_p99": pct(exd, 0.99),
    }
    log(f"== explain 20 rules: {figures['explain_us']}")

    # baseline + reform at the largest size
    n = max(sizes)
    df = generate_data(n)
    base = RuleSet.from_dict(doc)
    reform = Reform.from_dict(generate_reform())
    reformed = reform.apply(base)
    from rulebook import CompileCache

    cache = CompileCache()
    simulate_reform(base, reformed, df, as_of=AS_OF, cache=cache)
    r_best, r_med, res = timed(lambda: simulate_reform(base, reformed, df, as_of=AS_OF, cache=cache))
    rc_best, rc_med, _ = timed(lambda: simulate_reform(base, reform, df, as_of=AS_OF))
    total = res.total().row(0, named=True)
    figures["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    figures["reform"] = {
        "size": n,
        "compiled_cached": [r_best, r_med],
        "including_compile": [rc_best, rc_med],
        "total": total,
    }
    if memory:
        figures["reform"]["memory_mb"] = memory_probe("reform", n)
    log(
        f"== baseline+reform at {n:,}: best {r_best * 1e3:.1f} ms (cached compile), {rc_best * 1e3:.1f} ms incl. compile"
    )
    return figures


def table(f: dict[str, Any]) -> str:
    lines = [
        f"machine: {f['machine']}; {f['rules']} rules, {f['conditions']} conditions; as of {f['as_of']}",
        f"load average (1/5/15 min) at start {f['machine']['load_average_start']}, "
        f"before the reform run {f['machine'].get('load_average_end')}",
        "",
    ]
    hdr = f"{'N':>9} {'engine':<18} {'compile':>15} {'load':>15} {'evaluate':>15} {'end-to-end':>15} {'peak MB':>8}"
    lines += [hdr, "-" * len(hdr)]

    def ms(pair: list[float]) -> str:
        return f"{pair[0] * 1e3:7.1f}/{pair[1] * 1e3:7.1f}"

    for n, e in f["sizes"].items():
        mem = e.get("memory_mb", {})
        rb = e["rulebook"]
        lines.append(
            f"{int(n):>9} {'rulebook batch':<18} {ms(rb['compile'])} {ms(rb['load'])} {ms(rb['evaluate'])} "
            f"{ms(rb['end_to_end'])} {mem.get('rulebook', {}).get('peak_mb', 0):8.0f}"
        )
        lines.append(
            f"{'':>9} {'  + masks':<18} {'':>15} {'':>15} {ms(rb['evaluate_masks'])} {ms(rb['end_to_end_masks'])} "
            f"{mem.get('rulebook_masks', {}).get('peak_mb', 0):8.0f}"
        )
        it = e["interpreter"]
        lines.append(
            f"{'':>9} {'interpreter':<18} {'':>15} {'':>15} {ms(it['scaled_evaluate'])} {'(scaled)':>15}"
        )
        if "openfisca" in e:
            of = e["openfisca"]
            lines.append(
                f"{'':>9} {'OpenFisca':<18} {ms(of['compile'])} {ms(of['load'])} {ms(of['evaluate'])} "
                f"{ms(of['end_to_end'])} {mem.get('openfisca', {}).get('peak_mb', 0):8.0f}"
            )
            lines.append(
                f"{'':>9} speed-up e2e {e['speedup_e2e']:.1f}× (masks {e['speedup_e2e_masks']:.1f}×); "
                f"{e['person_rule_evals_per_s'] / 1e6:.0f} M person-rules/s; correctness {e['correctness']}"
            )
    lines.append("(times in ms: best/median of 5)")
    ex = f["explain_us"]
    lines.append(
        f"explain (20 rules), µs p50/p99: evaluate {ex['evaluate_p50']:.0f}/{ex['evaluate_p99']:.0f}; "
        f"+explain() {ex['evaluate_explain_p50']:.0f}/{ex['evaluate_explain_p99']:.0f}; "
        f"+all trees materialised {ex['evaluate_explain_tree_p50']:.0f}/{ex['evaluate_explain_tree_p99']:.0f}; "
        f"+dict+missing {ex['with_dict_and_missing_p50']:.0f}/{ex['with_dict_and_missing_p99']:.0f}"
    )
    rf = f["reform"]
    lines.append(
        f"baseline+reform at {rf['size']:,}: {rf['compiled_cached'][0] * 1e3:.1f}/{rf['compiled_cached'][1] * 1e3:.1f} ms "
        f"(compiled, cached); {rf['including_compile'][0] * 1e3:.1f}/{rf['including_compile'][1] * 1e3:.1f} ms incl. "
        f"compile; peak {rf.get('memory_mb', {}).get('peak_mb', 0):.0f} MB"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1e4,1e5,1e6", help="comma-separated person counts, e.g. 1e4,1e5")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    ap.add_argument("--no-openfisca", action="store_true")
    ap.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    ap.add_argument("--_probe", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    sizes = [int(float(s)) for s in args.sizes.split(",") if s]
    if args._probe:
        probe(args._probe, sizes[0])
        return 0
    with_of = not args.no_openfisca and openfisca_available()

    def log(msg: str) -> None:
        if not args.json:
            print(msg, file=sys.stderr, flush=True)

    figures = run(sizes, with_of, not args.no_memory, log)
    print(json.dumps(figures, indent=2, default=str) if args.json else table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
