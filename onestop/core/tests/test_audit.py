"""The audit trail: hash-chained, append-only in the database, verified by `manage.py audit_verify`, searchable and
exportable by the audit admin only."""

from __future__ import annotations

import csv
import importlib
import io
import itertools
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from openpyxl import load_workbook

from onestop.core.audit import audit_record, audit_verify, event_digest
from onestop.core.choices import AuditResult
from onestop.core.models import AuditChainHead, AuditEvent

pytestmark = pytest.mark.django_db

append_only = importlib.import_module("onestop.core.migrations.0002_audit_append_only")


@contextmanager
def trigger_bypassed() -> Iterator[None]:
    """What an intruder with database access would do: switch the append-only trigger off, then on again."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_append_only")
        else:
            cursor.execute("DROP TRIGGER core_auditevent_no_update")
        try:
            yield
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER core_auditevent_append_only")
            else:
                cursor.execute(append_only.SQLITE_TRIGGER)


def execute(sql: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def chain(db) -> list[AuditEvent]:
    return [audit_record(action=f"test.step{i}", object_type="test", object_id=str(i), object_repr=f"第 {i} 步",
                         detail={"i": i}) for i in range(1, 6)]


# --- the chain -------------------------------------------------------------------------------------------------------

def test_each_event_links_to_the_previous_one(chain):
    for earlier, later in itertools.pairwise(chain):
        assert later.prev_hash == earlier.hash
        assert later.seq == earlier.seq + 1
    head = AuditChainHead.objects.get(pk=1)
    assert (head.last_seq, head.last_hash) == (chain[-1].seq, chain[-1].hash)


def test_intact_chain_verifies(chain):
    report = audit_verify()

    assert report.ok is True
    assert report.checked >= 5
    assert report.broken_seq is None


def test_an_edited_row_is_detected_and_named(chain):
    victim = chain[2]
    with trigger_bypassed():
        execute("UPDATE core_auditevent SET object_repr = %s WHERE seq = %s", ["已篡改", victim.seq])

    report = audit_verify()

    assert report.ok is False
    assert report.broken_seq == victim.seq
    assert "content altered" in report.reason


def test_an_edited_result_is_detected(chain):
    victim = chain[1]
    with trigger_bypassed():
        execute("UPDATE core_auditevent SET result = %s WHERE seq = %s", [AuditResult.SUCCESS.value, victim.seq])
        execute("UPDATE core_auditevent SET actor_label = %s WHERE seq = %s", ["someone else", victim.seq])

    assert audit_verify().broken_seq == victim.seq


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(chain):
    victim = chain[1]
    victim.object_repr = "已篡改"
    forged = event_digest(victim.prev_hash, {name: getattr(victim, name) for name in (
        "seq", "occurred_at", "actor_id", "actor_label", "role", "department", "source_ip", "action", "object_type",
        "object_id", "object_repr", "result", "before", "after", "detail")})
    with trigger_bypassed():
        execute("UPDATE core_auditevent SET object_repr = %s, hash = %s WHERE seq = %s",
                ["已篡改", forged, victim.seq])

    report = audit_verify()

    assert report.broken_seq == chain[2].seq
    assert "link broken" in report.reason


def test_a_deleted_row_is_detected_at_the_next_event(chain):
    with trigger_bypassed():
        execute("DELETE FROM core_auditevent WHERE seq = %s", [chain[2].seq])

    report = audit_verify()

    assert report.ok is False
    assert report.broken_seq == chain[3].seq
    assert "link broken" in report.reason


def test_a_deleted_tail_is_detected(chain):
    with trigger_bypassed():
        execute("DELETE FROM core_auditevent WHERE seq >= %s", [chain[3].seq])

    report = audit_verify()

    assert report.ok is False
    assert report.broken_seq == chain[3].seq
    assert "newest events were deleted" in report.reason


def test_audit_verify_command_passes_on_an_intact_chain(chain):
    out = io.StringIO()

    call_command("audit_verify", stdout=out)

    assert "audit chain intact" in out.getvalue()


def test_audit_verify_command_fails_naming_the_broken_event(chain):
    victim = chain[1]
    with trigger_bypassed():
        execute("UPDATE core_auditevent SET detail = %s WHERE seq = %s", ['{"i": 99}', victim.seq])

    with pytest.raises(CommandError) as info:
        call_command("audit_verify")

    assert f"#{victim.seq}" in str(info.value)
    assert info.value.returncode == 1


def test_database_refuses_update_of_an_audit_event(chain):
    with pytest.raises(DatabaseError) as info, transaction.atomic():
        execute("UPDATE core_auditevent SET action = %s WHERE seq = %s", ["test.forged", chain[0].seq])

    assert "append-only" in str(info.value)
    assert AuditEvent.objects.get(seq=chain[0].seq).action == "test.step1"


def test_orm_save_of_an_existing_event_is_refused_too(chain):
    event = AuditEvent.objects.get(seq=chain[0].seq)
    event.action = "test.forged"

    with pytest.raises(DatabaseError), transaction.atomic():
        event.save()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's trigger refuses UPDATE only (the test "
                    "flush deletes rows); DELETE is refused on PostgreSQL")
def test_postgresql_refuses_delete_of_an_audit_event(chain):
    with pytest.raises(DatabaseError) as info, transaction.atomic():
        execute("DELETE FROM core_auditevent WHERE seq = %s", [chain[0].seq])

    assert "append-only" in str(info.value)
    assert AuditEvent.objects.filter(seq=chain[0].seq).exists()


# --- who sees it -----------------------------------------------------------------------------------------------------

def test_audit_admin_reads_and_searches_the_trail(chain, audit_admin, login):
    client = login(audit_admin, otp=True)

    everything = client.get("/audit/")
    searched = client.get("/audit/", {"action": "test.step3"})

    assert everything.status_code == 200
    assert "test.step1" in everything.content.decode()
    assert "test.step5" in everything.content.decode()
    html = searched.content.decode()
    assert "test.step3" in html
    assert "test.step4" not in html


def test_audit_search_by_keyword_and_result(chain, audit_admin, login):
    audit_record(action="auth.login_failed", result=AuditResult.FAILURE, object_repr="李雷")
    client = login(audit_admin, otp=True)

    failures = client.get("/audit/", {"result": "failure"}).content.decode()
    keyword = client.get("/audit/", {"q": "李雷"}).content.decode()

    assert "auth.login_failed" in failures
    assert "test.step2" not in failures
    assert "auth.login_failed" in keyword


def test_audit_list_htmx_returns_only_rows(chain, audit_admin, login):
    response = login(audit_admin, otp=True).get("/audit/", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert "<tr>" in html
    assert "<html" not in html


def test_inverted_date_range_is_a_field_error(chain, audit_admin, login):
    response = login(audit_admin, otp=True).get("/audit/", {"date_from": "2025-02-01", "date_to": "2025-01-01"})

    assert "结束日期：不能早于开始日期。" in response.content.decode()


def test_auditor_reads_but_cannot_export(chain, auditor, login):
    client = login(auditor, otp=True)

    listing = client.get("/audit/")
    export = client.get("/audit/export/", {"format": "csv"})

    assert listing.status_code == 200
    assert "导出 CSV" not in listing.content.decode()
    assert export.status_code == 404
    assert not AuditEvent.objects.filter(action="audit.export").exists()


def test_audit_admin_exports_csv_and_the_export_is_audited(chain, audit_admin, login):
    audit_record(action="test.formula", object_repr="=HYPERLINK(\"http://x\")")

    response = login(audit_admin, otp=True).get("/audit/export/", {"format": "csv", "action": "test.formula"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["seq", "occurred_at", "actor_label"]
    assert len(rows) == 2
    assert rows[1][rows[0].index("object_repr")] == "'=HYPERLINK(\"http://x\")"  # formula neutralised
    export = AuditEvent.objects.get(action="audit.export")
    assert export.actor_id == audit_admin.pk
    assert export.detail["format"] == "csv"
    assert export.detail["rows"] == 1


def test_audit_admin_exports_xlsx(chain, audit_admin, login):
    response = login(audit_admin, otp=True).get("/audit/export/", {"format": "xlsx"})

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content), read_only=True)["audit"]
    values = list(sheet.values)
    assert values[0][0] == "seq"
    assert {row[values[0].index("action")] for row in values[1:]} >= {f"test.step{i}" for i in range(1, 6)}
    assert AuditEvent.objects.get(action="audit.export").detail["format"] == "xlsx"


def test_unknown_export_format_is_404(chain, audit_admin, login):
    assert login(audit_admin, otp=True).get("/audit/export/", {"format": "pdf"}).status_code == 404


@pytest.mark.parametrize("who", ["talent", "staff", "sys_admin", "sec_admin", "employer"])
def test_nobody_else_reads_the_audit_trail(chain, who, request, login):
    user = request.getfixturevalue(who)
    client = login(user, otp=user.needs_second_factor)

    assert client.get("/audit/").status_code == 404
    assert client.get("/audit/export/", {"format": "csv"}).status_code == 404


def test_audit_events_cannot_be_changed_in_the_admin(chain, sys_admin, login):
    assert login(sys_admin, otp=True).get("/admin/core/auditevent/").status_code == 404


def test_audit_list_query_count_does_not_grow_with_rows(audit_admin, login, django_assert_max_num_queries):
    client = login(audit_admin, otp=True)
    for i in range(120):
        audit_record(action="test.bulk", object_id=str(i))

    with django_assert_max_num_queries(7):
        response = client.get("/audit/")

    assert response.status_code == 200
    assert response.content.decode().count("test.bulk") == 50  # one page


def test_malformed_date_filter_is_a_field_error_not_a_crash(chain, audit_admin, login):
    response = login(audit_admin, otp=True).get("/audit/", {"date_from": "2025-13-45"})

    assert response.status_code == 200
    assert "开始日期：格式不正确。" in response.content.decode()
