"""免申即享: evaluate every published 免申即享 policy over the whole registry with rulebook's batch evaluator.

One run: read the facts of every talent once (``facts_io``), then per policy evaluate its rule set on the frame,
insert the offers/grants of people newly eligible (on PostgreSQL COPY into a temporary staging table, then one
``INSERT … SELECT … ON CONFLICT DO NOTHING``; ``INSERT OR IGNORE`` batches on SQLite; the unique constraint "one
offer per policy per person" makes a rerun or a concurrent writer unable to duplicate, and the counts of the run
record are the rows the statement actually inserted), flag existing offers whose
holder is no longer eligible (never deleted; unflagged if eligible again), and list the people one condition short
(with the condition) for staff outreach. Each policy commits on its own, so the progress bar moves and a failing
policy is recorded in the run's errors without losing the others. Notifications are sent afterwards by a task.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import polars as pl
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.exceptions import Conflict
from onestop.core.models import User
from onestop.workflow import calendar as wd

from .choices import BenefitMode, OfferStatus, RunStatus
from .models import BenefitOffer, BenefitSetting, MatchRun, NearMiss

DEFAULT_NEAR_MISS_LIMIT = 1000


def near_miss_limit() -> int:
    """People listed per policy rule and run (the run counts them all); outreach works through a list, not 1e5."""
    return int(getattr(settings, "ONETHING_NEAR_MISS_LIMIT", DEFAULT_NEAR_MISS_LIMIT))


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


def _existing_offers() -> pl.DataFrame:
    """(policy_id, person_id, flagged) of every offer, in one pass (COPY on PostgreSQL)."""
    from .facts_io import read_frame

    table = connection.ops.quote_name(BenefitOffer._meta.db_table)
    return read_frame(f"SELECT policy_id, profile_id, CASE WHEN ineligible_since IS NULL THEN 0 ELSE 1 END "  # noqa: S608
                      f"FROM {table}", {"policy_id": pl.Int64, "person_id": pl.Int64, "flagged": pl.Boolean})


def _update_flags(policy_id: int, ids: list[int], **values: Any) -> int:
    changed = 0
    for start in range(0, len(ids), 5000):
        changed += BenefitOffer.objects.filter(policy_id=policy_id, profile_id__in=ids[start:start + 5000]).update(
            **values)
    return changed


def match_policy(*, run: MatchRun, version: Any, mode: str, facts: pl.DataFrame, as_of: date,
                 existing: pl.DataFrame | None = None) -> dict[str, int]:
    """Evaluate one policy over ``facts`` and persist its consequences (inside the caller's transaction)."""
    from onestop.policies.rules import engine_for

    engine = engine_for(version.document)
    rule_ids = [r["id"] for r in version.document.get("rules", [])]
    out = engine.evaluate_frame(facts, as_of=as_of)
    eligible_cols = [f"{r}.eligible" for r in rule_ids if f"{r}.eligible" in out.columns]
    amount_cols = [f"{r}.amount" for r in rule_ids if f"{r}.amount" in out.columns]
    if not eligible_cols:
        return {"offers": 0, "grants": 0, "flagged": 0, "near_misses": 0}
    present = [r for r in rule_ids if f"{r}.eligible" in out.columns]
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
    status = OfferStatus.GRANTED if mode == BenefitMode.GRANT else OfferStatus.OFFERED
    now = timezone.now()
    postgres = connection.vendor == "postgresql"
    if not new.is_empty():
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
        inserted = _insert_offers(rows)
    else:
        inserted = 0
    # Flag holders who are no longer eligible; clear the flag of those eligible again.
    active = existing.filter(~pl.col("flagged"))
    lost = active.join(eligible, on="person_id", how="anti")["person_id"].to_list()
    back = existing.filter(pl.col("flagged")).join(eligible, on="person_id", how="semi")["person_id"].to_list()
    flagged = _update_flags(version.policy_id, lost, ineligible_since=now, ineligible_run=run) if lost else 0
    if back:
        _update_flags(version.policy_id, back, ineligible_since=None, ineligible_run=None)
    near = _near_misses(run=run, version=version, engine=engine, facts=facts, as_of=as_of, eligible=eligible)
    return {"offers": inserted if status == OfferStatus.OFFERED else 0,
            "grants": inserted if status == OfferStatus.GRANTED else 0, "flagged": flagged, "near_misses": near}


def _near_misses(*, run: MatchRun, version: Any, engine: Any, facts: pl.DataFrame, as_of: date,
                 eligible: pl.DataFrame) -> int:
    near = engine.near_misses(facts, as_of=as_of, max_missing=1, id_column="person_id")
    if near.is_empty():
        return 0
    # Somebody who already qualifies under another rule of the policy needs no outreach.
    near = near.join(eligible.select("person_id"), on="person_id", how="anti")
    total = len(near)
    limit = near_miss_limit()
    listed = (near.sort("person_id").group_by("rule", maintain_order=True).head(limit)
              .select(pl.lit(run.pk, dtype=pl.Int64).alias("run_id"),
                      pl.lit(version.policy_id, dtype=pl.Int64).alias("policy_id"),
                      pl.col("person_id").alias("profile_id"), pl.col("rule").alias("rule_id"),
                      pl.col("conditions").list.join("；").str.slice(0, 300).alias("condition")))
    _bulk_insert(NearMiss._meta.db_table, ["run_id", "policy_id", "profile_id", "rule_id", "condition"], listed)
    return total


def match_run_execute(*, run_id: int, read_facts: Callable[..., pl.DataFrame] | None = None) -> MatchRun:
    """Execute a queued run. Idempotent with respect to offers; safe to call for a run that was already picked up
    (the conditional update lets exactly one executor start it)."""
    from .facts_io import registry_facts_frame

    if MatchRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
            status=RunStatus.RUNNING, started_at=timezone.now()) != 1:
        raise Conflict(_("该匹配批次已在运行或已结束。"))
    run = MatchRun.objects.get(pk=run_id)
    timings: dict[str, float] = {}
    errors: list[dict[str, str]] = []
    totals = {"offers": 0, "grants": 0, "flagged": 0, "near_misses": 0}
    try:
        policies = benefit_policies(as_of=run.as_of)
        MatchRun.objects.filter(pk=run.pk).update(policies_total=len(policies))
        t0 = time.perf_counter()
        facts = (read_facts or registry_facts_frame)(as_of=run.as_of)
        timings["read_facts"] = round(time.perf_counter() - t0, 3)
        existing = _existing_offers()
        MatchRun.objects.filter(pk=run.pk).update(persons=len(facts))
        t1 = time.perf_counter()
        for done, (version, mode) in enumerate(policies, start=1):
            try:
                with transaction.atomic():
                    counts = match_policy(run=run, version=version, mode=mode, facts=facts, as_of=run.as_of,
                                          existing=existing)
            except Exception as exc:
                errors.append({"policy": version.policy.code, "error": f"{type(exc).__name__}: {exc}"[:500]})
                counts = {}
            for key, value in counts.items():
                totals[key] += value
            MatchRun.objects.filter(pk=run.pk).update(policies_done=done, errors=errors, **totals)
        timings["evaluate_and_persist"] = round(time.perf_counter() - t1, 3)
        status = RunStatus.DONE
    except Exception as exc:
        errors.append({"policy": "", "error": f"{type(exc).__name__}: {exc}"[:500]})
        status = RunStatus.FAILED
    MatchRun.objects.filter(pk=run.pk).update(status=status, is_active=False, finished_at=timezone.now(), errors=errors,
                                              timings=timings, **totals)
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
