"""Re-encrypt personal data still stored under an older key id with the active key (the first in ONESTOP_FIELD_KEYS)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from onestop.core import crypto
from onestop.core.audit import audit_record

# (table, primary key column, encrypted columns)
ENCRYPTED_COLUMNS: list[tuple[str, str, tuple[str, ...]]] = [
    ("core_user", "id", ("phone", "id_number")),
]


class Command(BaseCommand):
    help = "Re-encrypt encrypted columns under the active key. Safe to interrupt and run again."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", type=int, default=500)

    def handle(self, *args: Any, **opts: Any) -> None:
        active = crypto.keyring().active_id
        total = 0
        for table, pk, columns in ENCRYPTED_COLUMNS:
            qn = connection.ops.quote_name
            for column in columns:
                while True:
                    with transaction.atomic(), connection.cursor() as cur:
                        cur.execute(
                            f"SELECT {qn(pk)}, {qn(column)} FROM {qn(table)} "  # noqa: S608 (names are constants)
                            f"WHERE {qn(column)} IS NOT NULL AND {qn(column)} NOT LIKE %s LIMIT %s",
                            [f"{crypto.PREFIX}:{active}:%", opts["batch"]],
                        )
                        rows = cur.fetchall()
                        for row_pk, token in rows:
                            fresh = crypto.encrypt(crypto.decrypt(token))
                            cur.execute(
                                f"UPDATE {qn(table)} SET {qn(column)} = %s WHERE {qn(pk)} = %s",  # noqa: S608
                                [fresh, row_pk],
                            )
                    total += len(rows)
                    if len(rows) < opts["batch"]:
                        break
        audit_record(action="crypto.rotate_keys", detail={"active_key": active, "values": total})
        self.stdout.write(self.style.SUCCESS(f"re-encrypted {total} value(s) under key {active}"))
