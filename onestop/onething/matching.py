"""免申即享: evaluate every published 免申即享 policy over the whole registry with rulebook's batch evaluator.

One run: read the facts of every talent and the existing offers once, in one snapshot (``facts_io``), then per
policy evaluate its rule set on the frame (``policy_evaluate``: the offers/grants of people newly eligible, the
holders no longer eligible, the people one condition short) and persist that (``policy_persist``, one transaction
per policy): new offers on PostgreSQL by COPY into a temporary staging table, then one ``INSERT … SELECT … ON CONFLICT
DO NOTHING`` (``INSERT OR IGNORE`` batches on SQLite) — the unique constraint "one offer per policy per person" makes
a rerun or a concurrent writer unable to duplicate, and the counts of the run record are the rows the statement
actually inserted; flags on existing offers whose holder is no longer eligible (never deleted; unflagged if eligible
again); the near-miss outreach list. Each policy commits on its own, with its share of the run's progress, so the
progress bar moves and a failing policy is recorded in the run's errors without losing the others.

On PostgreSQL the writes overlap the evaluation: the policies are evaluated on the calling thread while
``ONETHING_WRITE_CONNECTIONS`` (default 2) writer threads, each on its own connection, persist the policies already
evaluated — the per-row foreign-key checks of a first run keep a database core busy per writer (docs/adr/0008).
Inside a transaction (tests, a caller's ``atomic``) and on SQLite everything runs on the calling connection.
Notifications are sent afterwards by a task.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.exceptions import Conflict
from onestop.core.models import User
from onestop.workflow import calendar as wd

from .choices import BenefitMode, OfferStatus, RunStatus
from .models import BenefitOffer, BenefitSetting, MatchRun, NearMiss

DEFAULT_NEAR_MISS_LIMIT = 1000
DEFAULT_WRITE_CONNECTIONS = 2


def near_miss_limit() -> int:
    """People listed per policy rule and run (the run counts them all); outreach works through a list, not 1e5."""
    return int(getattr(settings, "ONETHING_NEAR_MISS_LIMIT", DEFAULT_NEAR_MISS_LIMIT))


def write_connections() -> int:
    """Writer threads of a run on PostgreSQL (each its own connection); 1 writes on the calling thread."""
    return max(1, int(getattr(settings, "ONETHING_WRITE_CONNECTIONS", DEFAULT_WRITE_CONNECTIONS)))


def benefit_policies(*, as_of: date) -> list[tuple[Any, str]]:
    """(version in force, mode) of every talent policy marked 免申即享."""
    from onestop.policies.selectors import versions_in_force

    modes = dict(BenefitSetting.objects.exclude(mode=BenefitMode.OFF).values_list("policy_id", "mode"))
    return [(v, modes[v.policy_id]) for v in versions_in_force(as_of=as_of, subject="talent") if v.policy_id in modes]


def match_run_create(*, actor: User | None, trigger: str = "schedule", as_of: date | None = None) -> MatchRun:
    """Queue a run (one queued or running run at a time: a DB constraint)."""
    try:
        with transaction.atomic():
            run = MatchRun.objects.create(as_of=as_of or wd.today(), trigger=trigger, started_by=actor)
            audit_record(action="onething.match.queue", actor=actor, obj=run, after={"trigger": trigger})
    except IntegrityError:
        raise Conflict(_("已有一个匹配批次正在排队或运行，请等待其完成。"))
    return run


# --- database writes at batch speed -----------------------------------------------------------------------------------

def _bulk_insert(table: str, columns: list[str], frame: pl.DataFrame) -> None:
    if frame.is_empty():
        return
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    if connection.vendor == "postgresql":
        buf = io.BytesIO()
        frame.select(columns).write_csv(buf, include_header=False)
        with connection.cursor() as cursor, \
                cursor.cursor.copy(f"COPY {qn(table)} ({cols}) FROM STDIN (FORMAT csv)") as copy:
            copy.write(buf.getvalue())
    else:
        marks = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT OR IGNORE INTO {qn(table)} ({cols}) VALUES ({marks})",  # noqa: S608 - table names from the model registry, literals typed
                               frame.select(columns).rows())


_OFFER_COLUMNS = ["policy_id", "profile_id", "rules", "amount_fen", "status", "run_id", "created_at"]
_STAGE = "onething_offer_stage"


def _insert_offers(rows: pl.DataFrame) -> int:
    """Insert new offers, skipping any (profile, policy) that already has one; returns the rows actually inserted.

    PostgreSQL: COPY into a temporary staging table (no WAL, no indexes, no constraint checks), then one set-based
    ``INSERT … SELECT … ORDER BY profile_id ON CONFLICT DO NOTHING`` (the unique index and the person foreign key are
    then visited in key order). SQLite: ``INSERT OR IGNORE`` batches. Runs inside the caller's transaction."""
    if rows.is_empty():
        return 0
    qn = connection.ops.quote_name
    table = qn(BenefitOffer._meta.db_table)
    cols = ", ".join(qn(c) for c in _OFFER_COLUMNS)
    if connection.vendor != "postgresql":
        marks = ", ".join(["%s"] * len(_OFFER_COLUMNS))
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT OR IGNORE INTO {table} ({cols}) VALUES ({marks})",  # noqa: S608 - table names from the model registry, literals typed
                               rows.select(_OFFER_COLUMNS).rows())
            return int(max(cursor.rowcount, 0))
    buf = io.BytesIO()
    rows.select(_OFFER_COLUMNS).write_csv(buf, include_header=False)
    with transaction.atomic(), connection.cursor() as cursor:
        # Session-local, never logged, dropped when the policy's transaction ends.
        cursor.execute(f"CREATE TEMP TABLE {_STAGE} (policy_id bigint NOT NULL, profile_id bigint NOT NULL, "
                       "rules text NOT NULL, amount_fen bigint NOT NULL, status varchar(10) NOT NULL, run_id bigint, "
                       "created_at timestamptz NOT NULL) ON COMMIT DROP")
        with cursor.cursor.copy(f"COPY {_STAGE} ({cols}) FROM STDIN (FORMAT csv)") as copy:
            copy.write(buf.getvalue())
        cursor.execute(
            f"INSERT INTO {table} ({cols}) "  # noqa: S608 - table names from the model registry
            f"SELECT policy_id, profile_id, rules::jsonb, amount_fen, status, run_id, created_at FROM {_STAGE} "
            "ORDER BY profile_id ON CONFLICT (profile_id, policy_id) DO NOTHING")
        inserted = int(max(cursor.rowcount, 0))
        cursor.execute(f"DROP TABLE {_STAGE}")
    return inserted


def _existing_offers_query() -> Any:
    table = connection.ops.quote_name(BenefitOffer._meta.db_table)
    return (f"SELECT policy_id, profile_id, CASE WHEN ineligible_since IS NULL THEN 0 ELSE 1 END "  # noqa: S608 - table name from the model registry
            f"FROM {table}", {"policy_id": pl.Int64, "person_id": pl.Int64, "flagged": pl.Boolean})


def _existing_offers() -> pl.DataFrame:
    """(policy_id, person_id, flagged) of every offer, in one pass (COPY on PostgreSQL)."""
    from .facts_io import read_frame

    return read_frame(*_existing_offers_query())


def _update_flags(policy_id: int, ids: list[int], **values: Any) -> int:
    changed = 0
    for start in range(0, len(ids), 5000):
        changed += BenefitOffer.objects.filter(policy_id=policy_id, profile_id__in=ids[start:start + 5000]).update(
            **values)
    return changed


@dataclass(frozen=True)
class PolicyOutcome:
    """What one policy's evaluation asks to persist (``policy_evaluate`` → ``policy_persist``)."""

    policy_id: int
    status: str                  # of the new rows: granted outright or offered
    new: pl.DataFrame            # offer rows (``_OFFER_COLUMNS``) of people without an offer of the policy yet
    lost: list[int]              # holders of an unflagged offer who are no longer eligible
    back: list[int]              # holders of a flagged offer who are eligible again
    near_listed: pl.DataFrame    # the outreach list (``NearMiss`` columns), ≤ the limit per rule
    near_total: int              # everybody one condition short
    at: dt.datetime


def policy_evaluate(*, run: MatchRun, version: Any, mode: str, facts: pl.DataFrame, as_of: date,
                    existing: pl.DataFrame | None = None) -> PolicyOutcome:
    """Evaluate one policy over ``facts`` against the offers in ``existing`` (all policies' or this one's; read
    now if not given). Pure: writes nothing."""
    from onestop.policies.rules import engine_for

    engine = engine_for(version.document)
    rule_ids = [r["id"] for r in version.document.get("rules", [])]
    status = OfferStatus.GRANTED if mode == BenefitMode.GRANT else OfferStatus.OFFERED
    now = timezone.now()
    out = engine.evaluate_frame(facts, as_of=as_of, masks=True)  # the masks serve the near-miss list below
    present = [r for r in rule_ids if f"{r}.eligible" in out.columns]
    amount_cols = [f"{r}.amount" for r in rule_ids if f"{r}.amount" in out.columns]
    if not present:
        return PolicyOutcome(version.policy_id, str(status), pl.DataFrame(), [], [], pl.DataFrame(), 0, now)
    any_eligible = pl.any_horizontal([pl.col(f"{r}.eligible").fill_null(False) for r in present])
    amount_expr = (pl.sum_horizontal([pl.col(c).fill_null(0) for c in amount_cols]) if amount_cols
                   else pl.lit(0, dtype=pl.Int64))
    # Filter first (a few percent of the registry), then build the JSON list of granted rules as text.
    rules_json = pl.format("[{}]", pl.concat_str(
        [pl.when(pl.col(f"{r}.eligible").fill_null(False)).then(pl.lit(f'"{r}"')) for r in present],
        separator=",", ignore_nulls=True))
    eligible = (pl.concat([facts.select("person_id"), out], how="horizontal").lazy().filter(any_eligible)
                .select("person_id", rules_json.alias("rules"), amount_expr.alias("amount")).collect())
    existing = (existing if existing is not None else _existing_offers()).filter(
        pl.col("policy_id") == version.policy_id).select("person_id", "flagged")
    new = eligible.join(existing, on="person_id", how="anti")
    postgres = connection.vendor == "postgresql"
    stamp = now.isoformat() if postgres else now.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    rows = new.select(
        pl.lit(version.policy_id, dtype=pl.Int64).alias("policy_id"),
        pl.col("person_id").alias("profile_id"),
        pl.col("rules"),
        pl.col("amount").alias("amount_fen"),
        pl.lit(str(status)).alias("status"),
        pl.lit(run.pk, dtype=pl.Int64).alias("run_id"),
        pl.lit(stamp).alias("created_at"),
    )
    lost = existing.filter(~pl.col("flagged")).join(eligible, on="person_id", how="anti")["person_id"].to_list()
    back = existing.filter(pl.col("flagged")).join(eligible, on="person_id", how="semi")["person_id"].to_list()
    listed, total = _near_misses(run=run, version=version, engine=engine, facts=facts, as_of=as_of,
                                 eligible=eligible, result=out)
    return PolicyOutcome(version.policy_id, str(status), rows, lost, back, listed, total, now)


def policy_persist(*, run: MatchRun, outcome: PolicyOutcome) -> dict[str, int]:
    """Write one policy's outcome (inside the caller's transaction); the counts are the rows actually written."""
    inserted = _insert_offers(outcome.new) if not outcome.new.is_empty() else 0
    flagged = (_update_flags(outcome.policy_id, outcome.lost, ineligible_since=outcome.at, ineligible_run=run)
               if outcome.lost else 0)
    if outcome.back:
        _update_flags(outcome.policy_id, outcome.back, ineligible_since=None, ineligible_run=None)
    _bulk_insert(NearMiss._meta.db_table, ["run_id", "policy_id", "profile_id", "rule_id", "condition"],
                 outcome.near_listed)
    return {"offers": inserted if outcome.status == OfferStatus.OFFERED else 0,
            "grants": inserted if outcome.status == OfferStatus.GRANTED else 0, "flagged": flagged,
            "near_misses": outcome.near_total}


def match_policy(*, run: MatchRun, version: Any, mode: str, facts: pl.DataFrame, as_of: date,
                 existing: pl.DataFrame | None = None) -> dict[str, int]:
    """Evaluate one policy over ``facts`` and persist its consequences (inside the caller's transaction)."""
    return policy_persist(run=run, outcome=policy_evaluate(run=run, version=version, mode=mode, facts=facts,
                                                           as_of=as_of, existing=existing))


def _near_misses(*, run: MatchRun, version: Any, engine: Any, facts: pl.DataFrame, as_of: date,
                 eligible: pl.DataFrame, result: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """(the outreach list, everybody one condition short). The list holds, per rule, the lowest person ids."""
    near = engine.near_misses(facts, as_of=as_of, max_missing=1, id_column="person_id", result=result)
    if near.is_empty():
        return pl.DataFrame(), 0
    # Somebody who already qualifies under another rule of the policy needs no outreach.
    if not eligible.is_empty():
        near = near.filter(~pl.col("person_id").is_in(eligible["person_id"].implode()))
    total = len(near)
    limit = near_miss_limit()
    # rulebook keeps the frame's row order within each rule; facts come sorted by person (derive_facts), so the
    # first rows of a rule are its lowest ids and no sort of the (large) list is needed.
    if not facts["person_id"].is_sorted():
        near = near.sort("person_id")
    listed = (near.group_by("rule", maintain_order=True).head(limit)
              .select(pl.lit(run.pk, dtype=pl.Int64).alias("run_id"),
                      pl.lit(version.policy_id, dtype=pl.Int64).alias("policy_id"),
                      pl.col("person_id").alias("profile_id"), pl.col("rule").alias("rule_id"),
                      pl.col("conditions").list.join("；").str.slice(0, 300).alias("condition")))
    return listed, total


_COUNTS = ("offers", "grants", "flagged", "near_misses")


def _persist_and_count(run: MatchRun, outcome: PolicyOutcome) -> dict[str, int]:
    """One policy's transaction: its writes and its share of the run's progress commit together."""
    with transaction.atomic():
        counts = policy_persist(run=run, outcome=outcome)
        MatchRun.objects.filter(pk=run.pk).update(policies_done=F("policies_done") + 1,
                                                  **{k: F(k) + counts[k] for k in _COUNTS})
    return counts


def _persist_on_own_connection(run: MatchRun, outcome: PolicyOutcome) -> dict[str, int]:
    try:
        return _persist_and_count(run, outcome)
    finally:
        connection.close()  # this worker thread's connection


def match_run_execute(*, run_id: int, read_facts: Callable[..., pl.DataFrame] | None = None) -> MatchRun:
    """Execute a queued run. Idempotent with respect to offers; safe to call for a run that was already picked up
    (the conditional update lets exactly one executor start it)."""
    from .facts_io import registry_facts_and

    if MatchRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
            status=RunStatus.RUNNING, started_at=timezone.now()) != 1:
        raise Conflict(_("该匹配批次已在运行或已结束。"))
    run = MatchRun.objects.get(pk=run_id)
    timings: dict[str, float] = {}
    errors: list[dict[str, str]] = []
    totals = dict.fromkeys(_COUNTS, 0)
    policies: list[tuple[Any, str]] = []

    def failed(version: Any, exc: BaseException) -> None:
        errors.append({"policy": version.policy.code, "error": f"{type(exc).__name__}: {exc}"[:500]})
        MatchRun.objects.filter(pk=run.pk).update(policies_done=F("policies_done") + 1, errors=errors)

    def collect(version: Any, future: Future[dict[str, int]]) -> None:
        try:
            counts = future.result()
        except Exception as exc:
            failed(version, exc)
            return
        for key in _COUNTS:
            totals[key] += counts[key]

    try:
        policies = benefit_policies(as_of=run.as_of)
        MatchRun.objects.filter(pk=run.pk).update(policies_total=len(policies))
        t0 = time.perf_counter()
        if read_facts is not None:
            facts, existing = read_facts(as_of=run.as_of), _existing_offers()
        else:
            facts, extra = registry_facts_and(as_of=run.as_of, extra={"existing": _existing_offers_query()})
            existing = extra["existing"]
        timings["read_facts"] = round(time.perf_counter() - t0, 3)
        MatchRun.objects.filter(pk=run.pk).update(persons=len(facts))
        t1 = time.perf_counter()
        writers = write_connections()
        overlap = connection.vendor == "postgresql" and not connection.in_atomic_block and writers > 1
        pool = ThreadPoolExecutor(max_workers=writers, thread_name_prefix="match-write") if overlap else None
        pending: list[tuple[Any, Future[dict[str, int]]]] = []
        try:
            for version, mode in policies:
                try:
                    outcome = policy_evaluate(run=run, version=version, mode=mode, facts=facts, as_of=run.as_of,
                                              existing=existing)
                except Exception as exc:
                    failed(version, exc)
                    continue
                if pool is not None:
                    pending.append((version, pool.submit(_persist_on_own_connection, run, outcome)))
                    continue
                try:
                    counts = _persist_and_count(run, outcome)
                except Exception as exc:
                    failed(version, exc)
                    continue
                for key in _COUNTS:
                    totals[key] += counts[key]
            timings["evaluate"] = round(time.perf_counter() - t1, 3)
            for version, future in pending:
                collect(version, future)
        finally:
            if pool is not None:
                pool.shutdown(wait=True)
        timings["evaluate_and_persist"] = round(time.perf_counter() - t1, 3)
        status = RunStatus.DONE
    except Exception as exc:
        errors.append({"policy": "", "error": f"{type(exc).__name__}: {exc}"[:500]})
        status = RunStatus.FAILED
    MatchRun.objects.filter(pk=run.pk).update(status=status, is_active=False, finished_at=timezone.now(), errors=errors,
                                              timings=timings, policies_done=len(policies) if status == RunStatus.DONE
                                              else F("policies_done"), **totals)
    run.refresh_from_db()
    audit_record(action="onething.match.run", actor=run.started_by, obj=run,
                 after={"status": status, "persons": run.persons, **totals, "errors": len(errors)})
    if totals["offers"] or totals["grants"]:
        from .tasks import benefit_notify_task

        transaction.on_commit(lambda: benefit_notify_task.enqueue())
    return run


def match_run_now(*, actor: User | None, trigger: str = "manual") -> MatchRun:
    """Queue a run and hand it to the task worker once the queueing commits."""
    from .tasks import match_run_task

    run = match_run_create(actor=actor, trigger=trigger)
    transaction.on_commit(lambda: match_run_task.enqueue(run.pk))
    return run
