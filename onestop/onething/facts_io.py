"""The registry's facts for the whole population, read at database speed.

``onestop.talents.facts.registry_frame`` is the reference: it reads each registry table through the ORM (Python
tuples). That is right for the sandbox's thousands of rows but not for a nightly run over a million talents. This
reader issues the same per-table queries as SQL — on PostgreSQL as ``COPY (SELECT …) TO STDOUT`` parsed by polars'
multi-threaded CSV reader, on SQLite through the DB-API cursor — aggregates the month-per-row insurance table in the
database, and hands the frames to the one derivation both readers share (``talents.facts.derive_facts``). The test
``test_matching.py::test_the_fast_reader_agrees_with_the_registry_frame`` proves both give the same frame.

On PostgreSQL, outside a transaction, the queries run concurrently on ``ONETHING_READ_CONNECTIONS`` (default 3)
connections of their own, all reading one snapshot exported by the calling connection (``pg_export_snapshot``), so
the frames are as consistent as one query would be and the database uses both cores. Inside a transaction (tests, a
caller's ``atomic``) they run one after the other on the caller's connection, which alone sees its uncommitted rows.
"""

from __future__ import annotations

import io
import re
import select
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import polars as pl
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from onestop.talents.choices import CertificateStatus
from onestop.talents.facts import SOURCE_SCHEMAS, derive_facts

Query = tuple[str, dict[str, Any]]


def _table(model_label: str) -> str:
    from django.apps import apps

    return connection.ops.quote_name(apps.get_model(model_label)._meta.db_table)


def _wait(pgconn: Any, *, write: bool = False) -> None:
    if write:
        select.select([], [pgconn.socket], [])
    else:
        select.select([pgconn.socket], [], [])


def _result(pgconn: Any) -> Any:
    while pgconn.is_busy():
        _wait(pgconn)
        pgconn.consume_input()
    return pgconn.get_result()


def _message(res: Any) -> str:
    return res.error_message.decode(errors="replace").strip() if res is not None else "COPY: no result"


def _drain(pgconn: Any) -> None:
    try:
        while _result(pgconn) is not None:
            pass
    except Exception:  # noqa: S110 - a broken connection: its owner sees the error on its next use
        pass


def copy_out(sql: str) -> bytearray:
    """``COPY (sql) TO STDOUT (FORMAT csv)`` on the current thread's connection, as one buffer.

    PostgreSQL sends one protocol message per row; psycopg's ``Copy`` iterator hands each to Python through its
    generator and wait machinery (≈ 1 µs a row, 6.5 million rows at 1e6 talents). This loop takes the messages
    straight from libpq (``PQgetCopyData``) into one ``bytearray`` and waits on the socket only when libpq has
    nothing buffered (``select`` releases the GIL, so concurrent readers overlap). It runs inside whatever
    transaction the connection is in."""
    from psycopg import pq

    connection.ensure_connection()
    raw = connection.connection
    pgconn = raw.pgconn
    if raw.info.transaction_status == pq.TransactionStatus.IDLE and not raw.autocommit:
        # psycopg opens a transaction lazily, with the next statement it sends; the raw query below bypasses it.
        raw.execute("SELECT 1")
    with raw.lock:
        pgconn.send_query(f"COPY ({sql}) TO STDOUT (FORMAT csv)".encode())
        try:
            while pgconn.flush():
                _wait(pgconn, write=True)
            res = _result(pgconn)
            if res is None or res.status != pq.ExecStatus.COPY_OUT:
                raise DatabaseError(_message(res))
            buf = bytearray()
            get = pgconn.get_copy_data
            while True:
                nbytes, data = get(1)
                if nbytes > 0:
                    buf += data
                elif nbytes == 0:
                    _wait(pgconn)
                    pgconn.consume_input()
                else:
                    break
            res = _result(pgconn)
            if res is None or res.status != pq.ExecStatus.COMMAND_OK:
                raise DatabaseError(_message(res))
        finally:
            # Leave libpq idle whatever happened, so the connection's next command (or rollback) can be sent.
            _drain(pgconn)
    return buf


def read_frame(sql: str, schema: dict[str, Any]) -> pl.DataFrame:
    """Run ``sql`` (no parameters: literals are formatted by the caller from typed values) into a polars frame.
    Dates arrive as days since 1970-01-01 and booleans as 0/1 on both databases (``_d``, ``_b``)."""
    names = list(schema)
    # Dates arrive as days since 1970-01-01 on both (``_d``: shorter than ISO text, and an integer column becomes a
    # polars Date by a cast instead of a parse; on SQLite it also bypasses Django's per-value ``date`` converter).
    raw = {n: (pl.Int32 if t == pl.Date else pl.Int8 if t == pl.Boolean else t) for n, t in schema.items()}
    if connection.vendor == "postgresql":
        buf = copy_out(sql)
        frame = (pl.read_csv(io.BytesIO(buf), has_header=False, new_columns=names, schema=raw) if buf
                 else pl.DataFrame(schema=raw))
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            rows = cursor.fetchall()
        frame = pl.DataFrame(rows, schema=raw, orient="row") if rows else pl.DataFrame(schema=raw)
    casts = [pl.col(n).cast(t) for n, t in schema.items() if t in (pl.Date, pl.Boolean)]
    return frame.with_columns(casts) if casts else frame


_SNAPSHOT = re.compile(r"^[0-9A-F]+-[0-9A-F]+(-[0-9A-F]+)?$")


def read_connections() -> int:
    return max(1, int(getattr(settings, "ONETHING_READ_CONNECTIONS", 3)))


def _read_in_snapshot(snapshot: str, sql: str, schema: dict[str, Any]) -> pl.DataFrame:
    """One query on this worker thread's own connection, in the exporting connection's snapshot."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")  # checked against _SNAPSHOT
            return read_frame(sql, schema)
    finally:
        connection.close()


def read_frames(queries: dict[str, Query]) -> dict[str, pl.DataFrame]:
    """Every query into a frame: concurrently in one snapshot on PostgreSQL outside a transaction (module
    docstring), else one after the other. The largest queries are listed first by the callers."""
    workers = read_connections()
    if connection.vendor != "postgresql" or connection.in_atomic_block or workers < 2 or len(queries) < 2:
        return {name: read_frame(sql, schema) for name, (sql, schema) in queries.items()}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        row = cursor.fetchone()
        snapshot = str(row[0]) if row else ""
        if not _SNAPSHOT.match(snapshot):
            raise DatabaseError(f"unexpected snapshot id {snapshot!r}")
        # The snapshot stays importable while this transaction is open.
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="facts-read") as pool:
            futures = {name: pool.submit(_read_in_snapshot, snapshot, sql, schema)
                       for name, (sql, schema) in queries.items()}
            return {name: future.result() for name, future in futures.items()}


def _b(column: str) -> str:
    return f"CASE WHEN {column} THEN 1 ELSE 0 END"


def _d(column: str) -> str:
    """A DATE column as days since 1970-01-01 (NULL stays NULL)."""
    if connection.vendor == "postgresql":
        return f"({column} - DATE '1970-01-01')"
    return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"


def source_queries(as_of: date) -> dict[str, Query]:
    """The SQL of every source table, largest first (also what the benchmark's COPY floor reads); the columns are
    those of ``talents.facts.SOURCE_SCHEMAS``."""
    day = f"'{as_of.isoformat()}'"  # a ``date``: no injection possible
    cast_day = f"CAST({day} AS DATE)" if connection.vendor == "postgresql" else day
    sql = {
        "base": (f"SELECT id, {_d('birth_date')}, education, {_d('graduation_date')}, skill_level, employer_id, "  # noqa: S608 - table names from the model registry
                 f"{_d('employed_since')}, "
                 f"nationality, industry, {_b('job_seeking')}, {_b('homes_declared')} "
                 f"FROM {_table('talents.TalentProfile')}"),
        "edu": (f"SELECT profile_id, level, country, {_d('graduation_date')}, {_b('verified')} "  # noqa: S608 - table names from the model registry, literals typed
                f"FROM {_table('talents.EducationRecord')}"),
        "ins": (f"SELECT profile_id, COUNT(*) FROM {_table('talents.SocialInsuranceMonth')} "  # noqa: S608 - table names from the model registry, literals typed
                f"WHERE month <= {cast_day} GROUP BY profile_id"),
        "hh": f"SELECT profile_id, hukou_type FROM {_table('talents.HouseholdRegistration')}",  # noqa: S608 - table names from the model registry
        "fam": f"SELECT profile_id, relation FROM {_table('talents.FamilyMember')}",  # noqa: S608 - table names from the model registry
        "jobs": (f"SELECT profile_id, {_d('start_date')}, contract_type, monthly_salary_fen, "  # noqa: S608 - table names from the model registry, literals typed
                 f"CASE WHEN confirmed_at IS NULL THEN 0 ELSE 1 END FROM {_table('talents.Employment')} "
                 f"WHERE end_date IS NULL"),
        "homes": f"SELECT profile_id, city FROM {_table('talents.HomeOwnership')}",  # noqa: S608 - table names from the model registry
        "certs": (f"SELECT profile_id, track, tier FROM {_table('talents.Certificate')} "  # noqa: S608 - table names from the model registry, literals typed
                  f"WHERE status = '{CertificateStatus.VALID.value}' AND valid_from <= {cast_day} "
                  f"AND valid_until >= {cast_day}"),
        "quals": f"SELECT profile_id, kind, name, title_level FROM {_table('talents.Qualification')}",  # noqa: S608 - table names from the model registry
    }
    return {name: (query, SOURCE_SCHEMAS[name]) for name, query in sql.items()}


def registry_facts_frame(*, as_of: date) -> pl.DataFrame:
    """Every talent's facts on ``as_of``: column ``person_id`` (profile id) and the catalogue's fact columns, equal
    to ``registry_frame(as_of=…)`` without its two sandbox grouping columns."""
    return registry_facts_and(as_of=as_of)[0]


def registry_facts_and(*, as_of: date, extra: dict[str, Query] | None = None,
                       ) -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
    """The facts, plus the frames of ``extra`` queries read alongside them (in the same snapshot)."""
    frames = read_frames({**source_queries(as_of), **(extra or {})})
    facts = derive_facts({name: frames.pop(name) for name in SOURCE_SCHEMAS})
    return facts, frames
