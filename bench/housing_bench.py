"""Talent-apartment allocation benchmark: one round, N applicants with preferences, M units.

    python bench/housing_bench.py                    # 10,000 applicants × 1,000 units, best and median of 7
    python bench/housing_bench.py --applicants 50000 --units 5000 --repeat 5
    python bench/housing_bench.py --json             # figures as one JSON object

The applicants are generated deterministically (fixed seed) in the shape of the registry's polars frame
(``onestop.talents.facts.registry_frame``). Timed, with the code the platform runs (no Django, no database):

* *rules*     — the shipped apartment rule set (``onestop/housing/rulesets/apartment.json``) evaluated on the frame
                with ``Engine.evaluate_frame`` (eligibility, C/D and young groups, points); compiled once beforehand
                (the compile is reported separately as *compile*);
* *rank*      — ``ranking.assess_frame`` + ``ranking.dense_ranks`` (group, tie-breakers, equal keys share a rank);
* *allocate*  — ``lottery.allocate`` (SHA-256 draw keys, serial allocation over preferences);
* *publish*   — canonical bytes of ``result.json`` and their SHA-256;
* *total*     — rules + rank + allocate + publish. Target: ≤ 1 s for 10,000 × 1,000.

Determinism: every repeat must produce the same result digest (checked; the digest is printed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

from onestop.housing import lottery, ranking  # noqa: E402
from onestop.talents.facts import FACT_ATTRIBUTES, FACT_NAMES  # noqa: E402
from rulebook import Engine, RuleSet  # noqa: E402

AS_OF = dt.date(2026, 3, 10)
LAYOUTS = ["studio", "one_bed", "two_bed", "three_bed"]
EDU = ["大专", "本科", "本科", "本科", "硕士", "硕士", "博士"]
INDUSTRY = ["电子信息", "新能源汽车", "生物医药", "航空航天", "航空物流", "其他"]
SEED = "5eed" * 16


def applicants_frame(n: int, rng: random.Random) -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    for i in range(n):
        certified = rng.random() < 0.08
        rows.append({
            "person_id": i + 1,
            "birth_date": dt.date(1985 + rng.randrange(18), 1 + rng.randrange(12), 1 + rng.randrange(28)),
            "education": rng.choice(EDU),
            "skill_level": rng.choice(["无", "无", "无", "高级工", "技师"]),
            "employed_in_zone": rng.random() < 0.95,
            "owns_home_in_city": rng.random() < 0.05,
            "insured_months": rng.randrange(0, 60),
            "industry": rng.choice(INDUSTRY),
            "certified_tier": rng.choice(["C", "D"]) if certified else None,
        })
    frame = pl.DataFrame(rows)
    missing = [name for name in FACT_NAMES if name not in frame.columns]
    return frame.with_columns([pl.lit(None).alias(name) for name in missing]).select("person_id", *FACT_NAMES)


def side_data(n: int, rng: random.Random) -> tuple[dict[int, dict[str, str]], dict[str, list[str]]]:
    keys = {}
    prefs = {}
    for i in range(1, n + 1):
        keys[i] = {"cert_batch": f"2025-{1 + rng.randrange(12):02d}-01",
                   "pension_start": f"20{15 + rng.randrange(10)}-{1 + rng.randrange(12):02d}-01",
                   "applied_on": f"2026-03-0{2 + rng.randrange(5)}"}
        prefs[f"A{i:06d}"] = rng.sample(LAYOUTS, k=1 + rng.randrange(3))
    return keys, prefs


def units_list(m: int, rng: random.Random) -> list[tuple[str, str]]:
    return [(f"U{j:05d}", rng.choices(LAYOUTS, weights=[2, 5, 4, 1])[0]) for j in range(m)]


def run_once(engine: Engine, spec: dict[str, Any], frame: pl.DataFrame, keys: dict[int, dict[str, str]],
             prefs: dict[str, list[str]], units: list[tuple[str, str]]) -> tuple[dict[str, float], bytes, int]:
    t0 = time.perf_counter()
    out = engine.evaluate_frame(frame, as_of=AS_OF, keep=["person_id"])
    t1 = time.perf_counter()
    assessed = ranking.assess_frame(out, spec["ranking"])
    for pid, item in assessed.items():
        item.cert_batch = keys[pid]["cert_batch"] if item.group_order == 0 else ""
        item.pension_start = keys[pid]["pension_start"]
        item.applied_on = keys[pid]["applied_on"]
    groups = spec["ranking"]["groups"]
    ranks = ranking.dense_ranks(assessed.values(), groups)
    candidates = [lottery.Candidate(code=f"A{pid:06d}", rank=rank,
                                    guaranteed=bool(groups[assessed[pid].group_order or 0].get("guaranteed")))
                  for pid, rank in ranks.items()]
    t2 = time.perf_counter()
    placements = lottery.allocate(applicants=candidates, units=units, preferences=prefs, seed=SEED)
    t3 = time.perf_counter()
    result = lottery.canonical_bytes(lottery.result_document(round_code="BENCH", seed=SEED, placements=placements))
    digest = lottery.sha256_hex(result)
    t4 = time.perf_counter()
    allocated = sum(1 for p in placements if p.unit)
    return ({"rules": t1 - t0, "rank": t2 - t1, "allocate": t3 - t2, "publish": t4 - t3, "total": t4 - t0},
            digest.encode(), allocated)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applicants", type=int, default=10_000)
    parser.add_argument("--units", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    rng = random.Random(20260302)
    spec = json.loads((ROOT / "onestop/housing/rulesets/apartment.json").read_text(encoding="utf-8"))
    frame = applicants_frame(args.applicants, rng)
    keys, prefs = side_data(args.applicants, rng)
    units = units_list(args.units, rng)

    t0 = time.perf_counter()
    engine = Engine(RuleSet.from_dict({**spec["document"], "attributes": FACT_ATTRIBUTES}))
    engine.batch(AS_OF)
    compile_s = time.perf_counter() - t0

    timings: list[dict[str, float]] = []
    digests = set()
    ranked = allocated = 0
    for _ in range(args.repeat):
        t, digest, allocated = run_once(engine, spec, frame, keys, prefs, units)
        timings.append(t)
        digests.add(digest)
    if len(digests) != 1:
        raise SystemExit(f"NOT DETERMINISTIC: {len(digests)} different results")
    out = engine.evaluate_frame(frame, as_of=AS_OF, keep=["person_id"])
    ranked = sum(1 for a in ranking.assess_frame(out, spec["ranking"]).values() if a.eligible)

    phases = ["rules", "rank", "allocate", "publish", "total"]
    figures = {p: {"best_ms": round(min(t[p] for t in timings) * 1000, 1),
                   "median_ms": round(statistics.median(t[p] for t in timings) * 1000, 1)} for p in phases}
    report = {"applicants": args.applicants, "units": args.units, "eligible_ranked": ranked,
              "allocated": allocated, "repeat": args.repeat, "compile_ms": round(compile_s * 1000, 1),
              "phases": figures, "result_sha256": next(iter(digests)).decode(), "deterministic": True,
              "target_ms": 1000, "meets_target": figures["total"]["median_ms"] <= 1000,
              "python": sys.version.split()[0], "polars": pl.__version__, "cpus": os.cpu_count()}
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    print(f"housing allocation: {args.applicants:,} applicants × {args.units:,} units, {args.repeat} repeats "
          f"({ranked:,} eligible and ranked, {allocated:,} allocated)")
    print(f"compile (once): {report['compile_ms']:.1f} ms")
    print(f"{'phase':<10}{'best ms':>10}{'median ms':>12}")
    for p in phases:
        print(f"{p:<10}{figures[p]['best_ms']:>10.1f}{figures[p]['median_ms']:>12.1f}")
    print(f"result sha256 {report['result_sha256']} (identical in every repeat)")
    print(f"target ≤ 1000 ms: {'met' if report['meets_target'] else 'NOT met'}")


if __name__ == "__main__":
    main()
