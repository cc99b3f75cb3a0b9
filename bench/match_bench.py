"""免申即享 batch matching benchmark: end to end over synthetic talents stored in the database.

    python bench/match_bench.py --db sqlite --n 1e5            # SQLite file var/match_bench.sqlite3
    python bench/match_bench.py --db postgres --n 1e6          # database onestop_bench on the local PostgreSQL
    python bench/match_bench.py --db postgres --n 1e6 --json   # figures as one JSON object
    options: --runs 2 (fresh processes per measured run), --reseed (drop and seed again), --pg-url URL,
             --only first (measure some phases only), --pg-set wal_compression=lz4 (session settings of the runs)

What is measured (each run in a fresh process, so the peak RSS is the run's own):
*first run*: read the facts of every talent from the registry tables, evaluate ~20 published 免申即享 policies with
rulebook's batch evaluator, persist every new grant/offer (and the near-miss outreach list) — offers are emptied
before, so everything is new; *rerun*: the same again with the offers in place (nothing new is written: the
idempotent path). *COPY floor* (PostgreSQL): the same source queries as ``COPY (…) TO STDOUT`` on one connection,
one after the other, read with psycopg's ``Copy`` iterator and the output discarded — the I/O floor the issue
compares against; *copy_floor_libpq*: the same with rows taken straight from libpq by the run's own reader
(``facts_io.copy_out``), a stricter floor, with its ratios too. Client CPU = user + system seconds of the run's
process (all its threads), a figure less sensitive than wall time to other load on a shared machine. Notifications are sent afterwards by a task and are not part
of the run. On PostgreSQL each run starts right after a ``CHECKPOINT`` (the same start for every variant; the
worst case for full-page images) and reports the server settings it ran with and what the server did meanwhile:
WAL MB (from the LSN), records, full-page images, checkpoints, buffers written by backends — cluster-wide counters,
so on a shared server other sessions' work counts too (docs/adr/0008, addendum). Seeding uses COPY (PostgreSQL) / executemany (SQLite) into a separate benchmark database, never the
test or development database.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2024, 9, 23)
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/onestop_bench"


def _setup_django(db: str, pg_url: str) -> None:
    sys.path.insert(0, str(ROOT))
    if db == "postgres":
        os.environ["DATABASE_URL"] = pg_url
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'match_bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # no query log: a benchmark, not a debugging session


def _ensure_pg_database(pg_url: str) -> None:
    import psycopg

    parsed = urlparse(pg_url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


# --- seeding -------------------------------------------------------------------------------------------------------


def _columns(n: int, seed: int = 7) -> dict[str, Any]:
    """Synthetic registry columns (numpy, vectorised)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    epoch = date(1970, 1, 1).toordinal()

    def days(start: date, end: date, size: int) -> Any:
        return rng.integers(start.toordinal() - epoch, end.toordinal() - epoch, size)

    return {
        "birth": days(date(1965, 1, 1), date(2003, 1, 1), n),
        "grad": days(date(2014, 1, 1), date(2025, 7, 1), n),
        "education": rng.choice(
            ["high_school", "junior_college", "bachelor", "master", "doctor"],
            n,
            p=[0.08, 0.17, 0.45, 0.22, 0.08],
        ),
        "skill": rng.choice(
            ["", "senior_worker", "pre_technician", "technician", "senior_technician"],
            n,
            p=[0.7, 0.12, 0.06, 0.08, 0.04],
        ),
        "employed": rng.random(n) < 0.7,
        "months": rng.integers(0, 9, n),
        "hukou": rng.choice(
            ["zone", "zhengzhou", "henan", "other", "none"], n, p=[0.3, 0.2, 0.2, 0.27, 0.03]
        ),
        "has_hukou": rng.random(n) < 0.85,
        "home": rng.random(n) < 0.2,
        "declared": rng.random(n) < 0.6,
        "spouse": rng.random(n) < 0.45,
        "children": rng.integers(0, 3, n) * (rng.random(n) < 0.4),
        "certified": rng.random(n) < 0.06,
        "tier": rng.choice(["A", "B", "C", "D", "E"], n, p=[0.01, 0.04, 0.15, 0.3, 0.5]),
        "honour": rng.random(n) < 0.02,
        "postdoc": rng.random(n) < 0.02,
        "contract": rng.choice(["labour", "public", "flexible"], n, p=[0.8, 0.15, 0.05]),
        "salary": rng.integers(400_000, 5_000_000, n),
        "industry": rng.choice(
            ["electronic_info", "new_energy_vehicle", "biomedicine", "aerospace", "logistics"], n
        ),
        "seeking": rng.random(n) < 0.05,
        "enterprise": rng.integers(0, 1000, n),
    }


def _a(*exprs: Any) -> list[Any]:
    """Positional columns (COPY maps them by position): strings are column names, everything gets a unique alias."""
    import polars as pl

    return [(pl.col(e) if isinstance(e, str) else e).alias(f"c{i}") for i, e in enumerate(exprs)]


def _copy(cursor: Any, table: str, columns: list[str], frame: Any) -> None:
    buf = io.BytesIO()
    frame.write_csv(buf, include_header=False)
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)") as copy:
        copy.write(buf.getvalue())


def seed(n: int, db: str) -> dict[str, float]:
    """Departments, the policy package plus variants (20 talent policies, all 免申即享), 1,000 employers and ``n``
    talents with education, jobs, insurance months, households, homes, family, titles and certificates."""
    import numpy as np
    import polars as pl
    from django.core.management import call_command
    from django.db import connection, transaction

    from onestop.core.demo import accounts as demo
    from onestop.core.models import Department
    from onestop.employers.models import Enterprise
    from onestop.onething.models import BenefitSetting
    from onestop.policies.models import Policy, PolicyVersion
    from onestop.policies.services import policy_load_package

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    for code, name, name_en, short, order in demo.DEPARTMENTS:
        Department.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "short_name": short, "sort_order": order}
        )
    policy_load_package()
    for policy in list(
        Policy.objects.filter(subject="talent")
        .exclude(code="talent-certification")
        .exclude(code__endswith="-b")
    ):
        version = policy.versions.get(status="published")
        clone, created = Policy.objects.get_or_create(
            code=f"{policy.code}-b",
            defaults={
                "subject": "talent",
                "title": f"{policy.title}（区级配套）",
                "issuer": policy.issuer,
                "department": policy.department,
                "document_number": policy.document_number,
                "category": policy.category,
                "summary": policy.summary,
                "legal_reference": policy.legal_reference,
            },
        )
        if created:
            doc = dict(version.document, id=clone.code)
            PolicyVersion.objects.create(
                policy=clone,
                number=1,
                status="published",
                effective_from=version.effective_from,
                document=doc,
                published_at=version.published_at,
            )
    for i, policy in enumerate(
        Policy.objects.filter(subject="talent").exclude(code="talent-certification").order_by("code")
    ):
        BenefitSetting.objects.update_or_create(
            policy=policy, defaults={"mode": "grant" if i % 2 else "offer"}
        )
    if Enterprise.objects.count() < 1000:
        Enterprise.objects.bulk_create(
            [
                Enterprise(
                    uscc=f"91410100BENCH{i:05d}",
                    name=f"基准测试企业{i}",
                    industry="electronic_info",
                    status="active",
                )
                for i in range(1000)
            ],
            batch_size=1000,
        )
    enterprise_ids = np.array(sorted(Enterprise.objects.values_list("pk", flat=True)))[:1000]
    c = _columns(n)
    ids = np.arange(1, n + 1, dtype=np.int64)
    now = "2024-09-01 00:00:00+00" if db == "postgres" else "2024-09-01 00:00:00"

    def dates(values: Any) -> Any:
        return pl.Series(values, dtype=pl.Int32).cast(pl.Date)

    emp = enterprise_ids[c["enterprise"]]
    frames: dict[str, tuple[list[str], Any]] = {}
    frames["core_user"] = (
        [
            "id",
            "username",
            "password",
            "account_type",
            "real_name",
            "id_type",
            "email",
            "is_superuser",
            "is_active",
            "is_staff",
            "is_demo",
            "date_joined",
            "preferred_language",
        ],
        pl.DataFrame({"id": ids}).with_columns(
            *_a(
                pl.format("bench{}", pl.col("id")),
                pl.lit("!"),
                pl.lit("talent"),
                pl.format("基准{}", pl.col("id")),
                pl.lit(""),
                pl.lit(""),
                pl.lit(False),
                pl.lit(True),
                pl.lit(False),
                pl.lit(True),
                pl.lit(now),
                pl.lit(""),
            )
        ),
    )
    profile = pl.DataFrame(
        {
            "id": ids,
            "user_id": ids,
            "birth_date": dates(c["birth"]),
            "education": c["education"],
            "graduation_date": dates(np.maximum(c["grad"], c["birth"] + 6000)),
            "skill_level": c["skill"],
            "employer_id": pl.Series(np.where(c["employed"], emp, 0)).replace(0, None),
            "industry": c["industry"],
            "job_seeking": c["seeking"],
            "homes_declared": c["declared"],
        }
    )
    frames["talents_talentprofile"] = (
        [
            "id",
            "user_id",
            "gender",
            "birth_date",
            "nationality",
            "education",
            "school",
            "major",
            "graduation_date",
            "skill_level",
            "employer_id",
            "job_title",
            "industry",
            "employed_since",
            "email",
            "address",
            "job_seeking",
            "homes_declared",
            "created_at",
            "updated_at",
        ],
        profile.select(
            *_a(
                "id",
                "user_id",
                pl.lit("").alias("gender"),
                "birth_date",
                pl.when(pl.col("id") % 50 == 0).then(pl.lit("德国")).otherwise(pl.lit("中国")).alias("nat"),
                "education",
                pl.lit("郑州大学").alias("school"),
                pl.lit("").alias("major"),
                "graduation_date",
                "skill_level",
                "employer_id",
                pl.lit("").alias("job_title"),
                "industry",
                pl.lit(None, dtype=pl.Date).alias("since"),
                pl.lit("").alias("email"),
                pl.lit("").alias("addr"),
                "job_seeking",
                "homes_declared",
                pl.lit(now).alias("c"),
                pl.lit(now).alias("u"),
            )
        ),
    )
    edu = profile.filter(pl.col("education").is_in(["junior_college", "bachelor", "master", "doctor"]))
    frames["talents_educationrecord"] = (
        [
            "profile_id",
            "level",
            "school",
            "country",
            "field",
            "graduation_date",
            "certificate_no",
            "verified",
            "verified_source",
        ],
        edu.select(
            *_a(
                "id",
                "education",
                pl.lit("郑州大学"),
                pl.lit("中国"),
                pl.lit(""),
                "graduation_date",
                pl.lit(""),
                pl.col("id") % 3 == 0,
                pl.lit(""),
            )
        ),
    )
    employed = profile.filter(pl.col("employer_id").is_not_null())
    frames["talents_employment"] = (
        [
            "profile_id",
            "enterprise_id",
            "start_date",
            "contract_type",
            "job_title",
            "monthly_salary_fen",
            "confirmed_at",
            "confirmed_source",
        ],
        employed.select(
            *_a(
                "id",
                "employer_id",
                pl.lit("2023-03-01"),
                pl.Series(c["contract"]).gather(employed["id"] - 1).alias("contract"),
                pl.lit(""),
                pl.Series(c["salary"]).gather(employed["id"] - 1).alias("salary"),
                pl.when(pl.col("id") % 4 == 0).then(pl.lit(None, dtype=pl.String)).otherwise(pl.lit(now)),
                pl.lit(""),
            )
        ),
    )
    months = employed.select("id", pl.Series(c["months"]).gather(employed["id"] - 1).alias("m")).filter(
        pl.col("m") > 0
    )
    ins = months.select(pl.col("id"), pl.int_ranges(0, pl.col("m")).alias("k")).explode("k")
    frames["talents_socialinsurancemonth"] = (
        ["profile_id", "month"],
        ins.select(
            *_a("id", pl.date(2024, 1, 1).dt.offset_by(pl.format("{}mo", pl.col("k"))).alias("month"))
        ),
    )
    has_hukou = profile.filter(pl.Series(c["has_hukou"]))
    frames["talents_householdregistration"] = (
        ["profile_id", "hukou_type"],
        has_hukou.select("id", pl.Series(c["hukou"]).gather(has_hukou["id"] - 1)),
    )
    homes = profile.filter(pl.Series(c["home"]))
    frames["talents_homeownership"] = (["profile_id", "city"], homes.select(*_a("id", pl.lit("郑州市"))))
    fam_rows = [profile.filter(pl.Series(c["spouse"])).select("id", pl.lit("spouse").alias("r"))]
    kids = profile.select("id", pl.Series(c["children"]).alias("k")).filter(pl.col("k") > 0)
    fam_rows.append(
        kids.select("id", pl.int_ranges(0, pl.col("k")).alias("x"))
        .explode("x")
        .select("id", pl.lit("child").alias("r"))
    )
    frames["talents_familymember"] = (
        ["profile_id", "relation", "name", "school_stage", "spouse_employer"],
        pl.concat(fam_rows).select(*_a("id", "r", pl.lit("x"), pl.lit(""), pl.lit(""))),
    )
    quals = profile.filter(pl.Series(c["honour"]))
    frames["talents_qualification"] = (
        ["profile_id", "kind", "name", "title_level", "issuer", "verified"],
        quals.select(*_a("id", pl.lit("honour"), pl.lit("中原学者"), pl.lit(""), pl.lit(""), pl.lit(True))),
    )
    postdocs = profile.filter(pl.Series(c["postdoc"]))
    frames["talents_educationrecord_postdoc"] = (
        frames["talents_educationrecord"][0],
        postdocs.select(
            *_a(
                "id",
                pl.lit("postdoc"),
                pl.lit("研究院"),
                pl.lit("中国"),
                pl.lit(""),
                pl.lit("2023-06-30"),
                pl.lit(""),
                pl.lit(False),
                pl.lit(""),
            )
        ),
    )
    certified = profile.filter(pl.Series(c["certified"]))
    frames["talents_certificationapplication"] = (
        [
            "id",
            "profile_id",
            "applied_by_id",
            "track",
            "claimed_tier",
            "proposed_tier",
            "precheck",
            "equivalent_claim",
            "statement",
            "status",
            "decided_tier",
            "created_at",
            "is_demo",
        ],
        certified.select(
            *_a(
                "id",
                "id",
                "user_id",
                pl.lit("standard"),
                pl.Series(c["tier"]).gather(certified["id"] - 1).alias("t"),
                pl.lit(""),
                pl.lit("{}"),
                pl.lit(False),
                pl.lit(""),
                pl.lit("certified"),
                pl.Series(c["tier"]).gather(certified["id"] - 1).alias("t2"),
                pl.lit(now),
                pl.lit(True),
            )
        ),
    )
    frames["talents_certificate"] = (
        [
            "application_id",
            "profile_id",
            "number",
            "track",
            "tier",
            "issued_at",
            "valid_from",
            "valid_until",
            "status",
            "revoke_reason",
        ],
        certified.select(
            *_a(
                "id",
                "id",
                pl.format("BENCH{}", pl.col("id")),
                pl.lit("standard"),
                pl.Series(c["tier"]).gather(certified["id"] - 1).alias("t"),
                pl.lit(now),
                pl.lit("2024-01-01"),
                pl.lit("2028-12-31"),
                pl.lit("valid"),
                pl.lit(""),
            )
        ),
    )
    generate_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    rows = 0
    with transaction.atomic(), connection.cursor() as cursor:
        if db == "postgres":
            cursor.execute("SET LOCAL session_replication_role = replica")  # bulk load: no FK trigger per row
            raw = cursor.cursor
            for table, (columns, frame) in frames.items():
                _copy(raw, table.replace("_postdoc", ""), columns, frame)
                rows += len(frame)
            for table in ("core_user", "talents_talentprofile", "talents_certificationapplication"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - fixed table names of the benchmark
                    f"(SELECT MAX(id) FROM {table}))"
                )
        else:
            cursor.execute("PRAGMA foreign_keys = OFF")
            for table, (columns, frame) in frames.items():
                marks = ", ".join(["%s"] * len(columns))
                data = frame.with_columns(pl.col(pl.Date).cast(pl.String)).rows()
                cursor.executemany(
                    f"INSERT INTO {table.replace('_postdoc', '')} ({', '.join(columns)}) "  # noqa: S608 - fixed table names of the benchmark
                    f"VALUES ({marks})",
                    data,
                )
                rows += len(frame)
            cursor.execute("PRAGMA foreign_keys = ON")
    load_s = time.perf_counter() - t2
    if db == "postgres":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "migrate_s": round(migrate_s, 2),
        "generate_s": round(generate_s, 2),
        "load_s": round(load_s, 2),
        "seed_s": round(generate_s + load_s, 2),
        "rows": rows,
    }


# --- one measured run (fresh process) ------------------------------------------------------------------------------


def _peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# Server settings that decide what a write-heavy first run costs in WAL and checkpoints (docs/operations.md).
SERVER_SETTINGS = ("wal_compression", "max_wal_size", "checkpoint_timeout", "wal_buffers", "shared_buffers",
                   "full_page_writes", "synchronous_commit")


def _server_state(cursor: Any) -> dict[str, Any]:
    """Cluster-wide WAL and checkpoint counters (PostgreSQL ≥ 14); other sessions' work on a shared server counts too."""
    cursor.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn, w.wal_records, w.wal_fpi, w.wal_bytes, "
                   "w.wal_buffers_full, b.checkpoints_timed + b.checkpoints_req, b.buffers_backend, "
                   "b.buffers_checkpoint FROM pg_stat_wal w, pg_stat_bgwriter b")
    keys = ("lsn", "wal_records", "wal_fpi", "wal_bytes", "wal_buffers_full", "checkpoints", "buffers_backend",
            "buffers_checkpoint")
    return dict(zip(keys, (int(v) for v in cursor.fetchone()), strict=True))


def _server_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    delta = {k: after[k] - before[k] for k in before}
    delta["wal_mb"] = round(delta.pop("lsn") / 2**20, 1)
    delta.pop("wal_bytes")  # the LSN difference says the same, counted by every process
    return delta


def measure(kind: str, db: str) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    from onestop.onething.facts_io import source_queries
    from onestop.onething.matching import match_run_create, match_run_execute
    from onestop.onething.models import BenefitOffer, MatchRun, NearMiss

    call_command("migrate", verbosity=0)  # not timed: the benchmark database follows the code
    MatchRun.objects.filter(is_active=True).update(is_active=False, status="failed")
    if kind == "first":
        with connection.cursor() as cursor:
            for model in (NearMiss, BenefitOffer):
                table = connection.ops.quote_name(model._meta.db_table)
                cursor.execute(f"TRUNCATE {table}" if db == "postgres" else f"DELETE FROM {table}")  # noqa: S608 - fixed table names of the benchmark
    if kind == "copy_floor":
        # One connection, one query after the other, through psycopg's Copy iterator (one Python round trip per
        # row), output discarded: the plain client's I/O floor, as in earlier reports.
        t0 = time.perf_counter()
        size = 0
        with connection.cursor() as cursor:
            for sql, _schema in source_queries(AS_OF).values():
                with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
                    for block in copy:
                        size += len(block)
        return {"seconds": round(time.perf_counter() - t0, 3), "bytes": size, "peak_mb": round(_peak_mb())}
    if kind == "copy_floor_libpq":
        # The same, rows taken straight from libpq by the run's own reader (facts_io.copy_out): a stricter floor.
        from onestop.onething.facts_io import copy_out

        connection.ensure_connection()
        t0 = time.perf_counter()
        size = 0
        for sql, _schema in source_queries(AS_OF).values():
            size += len(copy_out(sql))
        return {"seconds": round(time.perf_counter() - t0, 3), "bytes": size, "peak_mb": round(_peak_mb())}
    import polars as pl

    from onestop.onething.matching import benefit_policies

    policies = len(benefit_policies(as_of=AS_OF))
    server: dict[str, Any] = {}
    if db == "postgres":
        with connection.cursor() as cursor:
            # Every variant starts right after a checkpoint (the worst case for full-page images, but the same one).
            cursor.execute("CHECKPOINT")
            server["settings"] = {}
            for name in SERVER_SETTINGS:
                cursor.execute(f"SHOW {name}")
                server["settings"][name] = cursor.fetchone()[0]
            before = _server_state(cursor)
    cpu0 = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
    t0 = time.perf_counter()
    run = match_run_execute(run_id=match_run_create(actor=None, as_of=AS_OF).pk)
    seconds = time.perf_counter() - t0
    if db == "postgres":
        with connection.cursor() as cursor:
            server["during_run"] = _server_delta(before, _server_state(cursor))
    return {
        **server,
        "seconds": round(seconds, 3),
        "persons": run.persons,
        "policies": policies,
        "offers": run.offers,
        "grants": run.grants,
        "flagged": run.flagged,
        "near_misses": run.near_misses,
        "errors": run.errors,
        "timings": run.timings,
        "peak_mb": round(_peak_mb()),
        "client_cpu_s": round(sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - cpu0, 2),
        "polars_threads": pl.thread_pool_size(),
    }


def _child(args: argparse.Namespace, phase: str, kind: str = "") -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--db",
        args.db,
        "--n",
        str(args.n),
        "--pg-url",
        args.pg_url,
        "--phase",
        phase,
    ]
    if kind:
        cmd += ["--kind", kind]
    out = subprocess.run(cmd, check=False, capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-4000:])
        raise SystemExit(f"{phase} {kind} failed")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--n", type=lambda s: int(float(s)), default=100_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--pg-url", default=os.environ.get("MATCH_BENCH_PG", DEFAULT_PG))
    parser.add_argument("--only", default="first,rerun,copy_floor,copy_floor_libpq",
                        help="comma-separated phases to measure (default all)")
    parser.add_argument("--pg-set", action="append", default=[], metavar="NAME=VALUE",
                        help="a server setting for the runs' sessions (libpq PGOPTIONS; e.g. wal_compression=lz4)")
    parser.add_argument("--phase", default="main", help=argparse.SUPPRESS)
    parser.add_argument("--kind", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase == "seed":
        _setup_django(args.db, args.pg_url)
        print(json.dumps(seed(args.n, args.db)))
        return
    if args.phase == "run":
        _setup_django(args.db, args.pg_url)
        print(json.dumps(measure(args.kind, args.db), default=str))
        return

    if args.pg_set:
        # Session settings of every connection the measured processes open (a superuser may set the WAL ones).
        os.environ["PGOPTIONS"] = " ".join(f"-c {item}" for item in args.pg_set)
    sqlite_file = ROOT / "var" / "match_bench.sqlite3"
    if args.db == "postgres":
        import psycopg

        _ensure_pg_database(args.pg_url)
        with psycopg.connect(args.pg_url, autocommit=True) as conn:
            try:
                count = conn.execute("SELECT COUNT(*) FROM talents_talentprofile").fetchone()
                present = int(count[0]) if count else 0
            except psycopg.Error:
                present = 0
            if args.reseed or (present and present != args.n):
                conn.execute("DROP SCHEMA public CASCADE")
                conn.execute("CREATE SCHEMA public")
                present = 0
    else:
        sqlite_file.parent.mkdir(exist_ok=True)
        present = 0
        if sqlite_file.exists() and not args.reseed:
            import sqlite3

            try:
                with sqlite3.connect(sqlite_file) as lite:
                    row = lite.execute("SELECT COUNT(*) FROM talents_talentprofile").fetchone()
                    present = int(row[0]) if row else 0
            except sqlite3.Error:
                present = 0
        if args.reseed or present != args.n:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
            present = 0
    seeding = _child(args, "seed") if present != args.n else None
    results: dict[str, Any] = {
        "db": args.db,
        "n": args.n,
        "as_of": AS_OF.isoformat(),
        "seed": seeding,
        "first": [],
        "rerun": [],
        "copy_floor": [],
        "copy_floor_libpq": [],
        "load_average": [],
    }
    only = set(args.only.split(","))
    for _ in range(args.runs):
        results["load_average"].append(os.getloadavg()[0])
        for kind in ("first", "rerun") + (("copy_floor", "copy_floor_libpq") if args.db == "postgres" else ()):
            if kind in only:
                results[kind].append(_child(args, "run", kind))
    results["load_average"].append(os.getloadavg()[0])

    def stats(key: str) -> dict[str, float] | None:
        values = [r["seconds"] for r in results[key]]
        return {"best": min(values), "median": statistics.median(values)} if values else None

    results["summary"] = {k: stats(k) for k in ("first", "rerun", "copy_floor", "copy_floor_libpq")}
    results["summary"]["peak_mb"] = max((r["peak_mb"] for r in results["first"] + results["rerun"]), default=None)
    floor = results["summary"]["copy_floor"]
    if floor and results["first"] and results["rerun"] and results["copy_floor_libpq"]:
        results["summary"]["first_over_floor"] = round(results["summary"]["first"]["best"] / floor["best"], 2)
        results["summary"]["rerun_over_floor"] = round(results["summary"]["rerun"]["best"] / floor["best"], 2)
        strict = results["summary"]["copy_floor_libpq"]
        results["summary"]["first_over_libpq_floor"] = round(results["summary"]["first"]["best"] / strict["best"], 2)
        results["summary"]["rerun_over_libpq_floor"] = round(results["summary"]["rerun"]["best"] / strict["best"], 2)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2, default=str))
        return
    print(f"免申即享 batch matching · {args.db} · {args.n:,} talents · as of {AS_OF}")
    if seeding:
        print(
            f"seeding: {seeding['seed_s']} s ({seeding['rows']:,} rows; generate {seeding['generate_s']} s, "
            f"load {seeding['load_s']} s; migrate {seeding['migrate_s']} s not counted)"
        )
    print(f"{'phase':<20}{'best s':>9}{'median s':>10}{'peak MB':>9}  detail")
    for key in ("first", "rerun", "copy_floor", "copy_floor_libpq"):
        if not results[key]:
            continue
        s = results["summary"][key]
        r = results[key][0]
        detail = (
            f"persons {r['persons']:,}, grants {r['grants']:,}, offers {r['offers']:,}, flagged {r['flagged']:,}, "
            f"near misses {r['near_misses']:,}, errors {len(r['errors'])}, timings {r['timings']}"
            if not key.startswith("copy_floor")
            else f"{r['bytes']:,} bytes"
        )
        print(
            f"{key:<20}{s['best']:>9.2f}{s['median']:>10.2f}{max(x['peak_mb'] for x in results[key]):>9}  {detail}"
        )
    if "first_over_floor" in results["summary"]:
        print(
            f"first run / COPY floor: {results['summary']['first_over_floor']}×; "
            f"rerun / COPY floor: {results['summary']['rerun_over_floor']}×"
        )
        print(
            f"against the libpq floor: first run {results['summary']['first_over_libpq_floor']}×, "
            f"rerun {results['summary']['rerun_over_libpq_floor']}×"
        )
    for key in ("first", "rerun"):
        if results[key] and "during_run" in results[key][0]:
            print(f"{key}: server {results[key][0]['settings']}; WAL and checkpoints during each run: "
                  f"{[r['during_run'] for r in results[key]]}")
    print(f"load average (1 min) before each round and at the end: {results['load_average']}")


if __name__ == "__main__":
    main()
