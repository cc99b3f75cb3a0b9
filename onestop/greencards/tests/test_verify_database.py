"""How verification talks to the database (ADR 0010): on PostgreSQL the hot path's statements are prepared once per
connection and the scan-log INSERT is its own asynchronously committed transaction, without touching the connection's
own durability; on every backend the scan-log row is committed when the answer leaves."""

from __future__ import annotations

import json

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from config.settings import base
from onestop.greencards import services
from onestop.greencards.choices import VerifyChannel
from onestop.greencards.models import Verification
from onestop.greencards.services import verification

from .test_m2m_lean import verify

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


@pytest.fixture
def hospital_key(partners):
    checker = partners.hospital.checker
    return services.api_key_create(checker=checker, name="一号窗口扫码枪", actor=checker).secret


def _inserts(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")]


@pytest.mark.parametrize(
    ("url", "threshold", "expected"),
    [
        ("postgres://u@127.0.0.1:5432/db", None, 5),
        ("postgres://u@127.0.0.1:5432/db", "3", 3),
        ("postgres://u@127.0.0.1:5432/db", "", None),
        ("sqlite:///tmp-x.sqlite3", None, None),
    ],
)
def test_postgresql_connections_may_prepare_statements(monkeypatch, url, threshold, expected):
    monkeypatch.setenv("DATABASE_URL", url)
    if threshold is None:
        monkeypatch.delenv("DATABASE_PREPARE_THRESHOLD", raising=False)
    else:
        monkeypatch.setenv("DATABASE_PREPARE_THRESHOLD", threshold)
    options = dict(base.database_from_env().get("OPTIONS") or {})  # type: ignore[call-overload]
    assert options.get("prepare_threshold") == expected
    # Django's own cursors keep binding on the client (and so are never prepared): only the verification path opts in.
    assert "server_side_binding" not in options


@pytest.mark.django_db(transaction=True)
def test_the_scan_log_row_is_committed_when_the_answer_leaves(card, partners, hospital_key):
    """Autocommit, as under gunicorn: the row is visible to another connection once the response is out; on
    PostgreSQL the INSERT set synchronous_commit off for its own transaction only."""
    with CaptureQueriesContext(connection) as queries:
        answer = verify(hospital_key, card.token)
    assert answer.status_code == 200
    verification_id = answer.json()["verification_id"]
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute(
                f"SELECT channel, card_id, checker_id FROM {Verification._meta.db_table} WHERE id = %s",  # noqa: S608
                [verification_id],
            )
            assert cursor.fetchone() == (VerifyChannel.M2M, card.pk, partners.hospital.checker.pk)
    finally:
        other.close()
    [insert] = _inserts(queries)
    if connection.vendor == "postgresql":
        assert "set_config('synchronous_commit', 'off', true)" in insert
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"  # the connection's own setting is untouched


@postgresql_only
def test_inside_a_callers_transaction_the_callers_commit_decides(card, hospital_key):
    with CaptureQueriesContext(connection) as queries:
        assert verify(hospital_key, card.token).status_code == 200
    [insert] = _inserts(queries)
    assert "set_config" not in insert
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"


@postgresql_only
def test_the_hot_path_is_prepared_once_per_connection(card, hospital_key):
    from django.db.backends.postgresql.base import ServerBindingCursor

    with verification._cursor() as cursor:
        assert isinstance(cursor.cursor, ServerBindingCursor)
    threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]
    for _i in range(threshold + 2):
        assert verify(hospital_key, card.token).json()["result"] == "valid"
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("greencards_apikey" in s for s in prepared), prepared
    assert any(s.startswith(f"INSERT INTO {Verification._meta.db_table}") for s in prepared), prepared
    # and a prepared statement still sees the card's state at the next request: revocation acts at once
    services.card_revoke(card=card, reason="认定撤销")
    body = json.loads(verify(hospital_key, card.token).body)
    assert (body["result"], body["reason"]) == ("invalid", "revoked")


def test_the_lean_path_answers_the_same_without_prepared_statements(card, hospital_key):
    """``DATABASE_PREPARE_THRESHOLD=""`` (or SQLite): Django's ordinary cursor, same answer."""
    options = dict(connection.settings_dict["OPTIONS"])
    options.pop("prepare_threshold", None)
    original = connection.settings_dict["OPTIONS"]
    connection.settings_dict["OPTIONS"] = options
    try:
        with verification._cursor() as cursor:
            assert type(cursor.cursor) is type(connection.create_cursor())
        body = verify(hospital_key, card.token).json()
    finally:
        connection.settings_dict["OPTIONS"] = original
    assert body["result"] == "valid"
