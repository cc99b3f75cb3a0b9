"""The restore drill (issue 11 §6): back up a populated platform, restore into a fresh database and fresh file
stores, and prove the copy complete — row counts, file checksums and the audit chain."""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connections

from onestop.core.backup import BackupError, backup_create, backup_restore, read_archive, verify_restored

pytestmark = pytest.mark.django_db(transaction=True)
DRILL = "restore_drill"


@pytest.fixture
def stores(settings: Any, tmp_path: Path) -> dict[str, Path]:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ONESTOP_PRIVATE_MEDIA_ROOT = tmp_path / "private"
    (tmp_path / "private" / "talents" / "2026" / "11").mkdir(parents=True)
    (tmp_path / "private" / "talents" / "2026" / "11" / "a1.pdf").write_bytes(b"%PDF-1.4 degree certificate")
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n....")
    return {"media": tmp_path / "media", "private": tmp_path / "private"}


@pytest.fixture
def fresh_database(transactional_db: None, tmp_path: Path) -> Iterator[str]:
    """An empty database beside the test database: a new SQLite file, or a new PostgreSQL database."""
    default = connections["default"]
    config = dict(default.settings_dict)
    if default.vendor == "sqlite":
        config["NAME"] = str(tmp_path / "restored.sqlite3")
    else:
        config["NAME"] = f"{default.settings_dict['NAME']}_drill"
        _postgres(config, f'DROP DATABASE IF EXISTS "{config["NAME"]}"', f'CREATE DATABASE "{config["NAME"]}"')
    connections.settings[DRILL] = config
    connections[DRILL].connect()
    yield DRILL
    connections[DRILL].close()
    del connections[DRILL]
    del connections.settings[DRILL]
    if default.vendor != "sqlite":
        _postgres(config, f'DROP DATABASE IF EXISTS "{config["NAME"]}"')  # leave no drill database behind


def _postgres(config: dict[str, Any], *statements: str) -> None:
    import psycopg

    with psycopg.connect(dbname="postgres", host=config["HOST"] or "127.0.0.1", port=config["PORT"] or 5432,
                         user=config["USER"], password=config["PASSWORD"] or None, autocommit=True) as pg:
        for statement in statements:
            pg.execute(statement)


def populate() -> None:
    from onestop.core.audit import audit_record
    from onestop.core.tests.factories import NotificationFactory, StaffFactory, TalentFactory

    for _ in range(5):
        NotificationFactory(recipient=TalentFactory())
    StaffFactory()
    audit_record(action="drill.marker", detail={"note": "before backup"})


def test_restore_drill_into_a_fresh_database(stores: dict[str, Path], fresh_database: str, tmp_path: Path,
                                             settings: Any) -> None:
    populate()
    archive = backup_create(tmp_path / "backups")

    settings.MEDIA_ROOT = tmp_path / "restored-media"
    settings.ONESTOP_PRIVATE_MEDIA_ROOT = tmp_path / "restored-private"
    manifest = backup_restore(archive, using=fresh_database)
    connections[fresh_database].connect()  # the test runner refuses lazy connections to an alias it did not set up
    report = verify_restored(manifest, using=fresh_database)

    assert report.ok, report.mismatches
    assert report.rows == sum(manifest["row_counts"].values()) and report.rows > 50
    assert report.files == 2
    assert report.audit_events == manifest["audit_head"]["last_seq"] > 0
    assert (tmp_path / "restored-private" / "talents" / "2026" / "11" / "a1.pdf").read_bytes().startswith(b"%PDF")


def test_restore_refuses_a_tampered_archive(stores: dict[str, Path], tmp_path: Path) -> None:
    archive = backup_create(tmp_path / "backups")
    unpacked = tmp_path / "unpacked"
    read_archive(archive, unpacked)
    (unpacked / "files" / "private" / "talents" / "2026" / "11" / "a1.pdf").write_bytes(b"%PDF-1.4 forged")
    forged = tmp_path / "forged.tar"
    with tarfile.open(forged, "w") as tar:
        for path in sorted(unpacked.rglob("*")):
            if path.is_file():
                tar.add(path, arcname=path.relative_to(unpacked).as_posix())
    with pytest.raises(BackupError, match="checksum"):
        backup_restore(forged)


def test_the_commands_round_trip(stores: dict[str, Path], tmp_path: Path) -> None:
    """``backup`` then a change then ``restore --yes``: the change is gone and the result verifies."""
    from onestop.core.models import Notification
    from onestop.core.tests.factories import NotificationFactory

    populate()
    call_command("backup", "--to", str(tmp_path / "backups"), verbosity=0)
    (archive,) = (tmp_path / "backups").glob("onestop-*.tar")
    before = Notification.objects.count()
    NotificationFactory()
    call_command("restore", str(archive), "--yes", verbosity=0)
    connections["default"].close()
    assert Notification.objects.count() == before
