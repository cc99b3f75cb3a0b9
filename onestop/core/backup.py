"""Backup and restore of the whole platform: the database and every stored file, in one archive with a manifest.

Archive ``onestop-<UTC time>.tar`` holds ``manifest.json``, the database (``db.sqlite3`` made with SQLite's online
backup API — consistent while the site runs — or ``db.dump`` from ``pg_dump -Fc``) and ``files/<root>/<path>`` for
each file store (public media, private documents). The manifest records the row count of every table, the SHA-256 of
every file and of the database image, and the audit chain head, so a restore can prove it is complete.

Restore verifies every checksum before it touches anything, then replaces the database (SQLite: the online backup
API in reverse; PostgreSQL: ``pg_restore --clean``) and the files. ``verify_restored`` compares a restored database
with the manifest: row counts, and the audit chain walked end to end (docs/operations.md, the restore drill)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess  # nosec B404
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections

FORMAT = 1
# pg_dump / pg_restore run with fixed arguments from the settings, never through a shell (bandit B404/B603).


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class RestoreReport:
    tables: int
    rows: int
    files: int
    audit_events: int
    mismatches: list[str]

    @property
    def ok(self) -> bool:
        return not self.mismatches


def file_roots() -> dict[str, Path]:
    """The file stores to back up, by name: public media and the private document store."""
    private = getattr(settings, "ONESTOP_PRIVATE_MEDIA_ROOT", Path(settings.BASE_DIR) / "var" / "private")
    return {"media": Path(settings.MEDIA_ROOT), "private": Path(private)}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def row_counts(using: str = "default") -> dict[str, int]:
    """Rows per table of every installed model (including many-to-many tables), for the manifest and the drill."""
    counts: dict[str, int] = {}
    tables = set(connections[using].introspection.table_names())
    with connections[using].cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            if model._meta.managed and table in tables and table not in counts:
                # Table names come from the app registry, never from input.
                cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608
                counts[table] = int(cursor.fetchone()[0])
    return dict(sorted(counts.items()))


def audit_head(using: str = "default") -> dict[str, Any]:
    from .models import AuditChainHead

    head = AuditChainHead.objects.using(using).filter(pk=1).first()
    return {"last_seq": head.last_seq, "last_hash": head.last_hash} if head else {"last_seq": 0, "last_hash": ""}


def _tool(name: str) -> str:
    """The full path of a PostgreSQL client program (version-matched to the server, see docs/operations.md)."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed")
    return path


def _pg_env(db: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    args = ["-h", str(db.get("HOST") or "127.0.0.1"), "-p", str(db.get("PORT") or 5432),
            "-U", str(db.get("USER") or "")]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _dump_database(work: Path, using: str) -> str:
    db = connections[using].settings_dict
    if connections[using].vendor == "sqlite":
        connections[using].ensure_connection()
        target = sqlite3.connect(work / "db.sqlite3")
        try:
            connections[using].connection.backup(target)  # online: readers and writers may continue
        finally:
            target.close()
        return "db.sqlite3"
    if connections[using].vendor == "postgresql":
        args, env = _pg_env(db)
        command = [_tool("pg_dump"), "-Fc", "--no-owner", *args, "-f", str(work / "db.dump"), str(db["NAME"])]
        subprocess.run(command, check=True, env=env, capture_output=True)  # noqa: S603  # nosec B603
        return "db.dump"
    raise BackupError(f"unsupported database engine {db['ENGINE']}")


def backup_create(destination: Path, *, using: str = "default") -> Path:
    """Write one archive into ``destination`` and return its path."""
    destination.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    with tempfile.TemporaryDirectory(prefix="onestop-backup-") as tmp:
        work = Path(tmp)
        manifest: dict[str, Any] = {
            "format": FORMAT, "created_at": stamp, "engine": connections[using].vendor,
            "row_counts": row_counts(using), "audit_head": audit_head(using), "files": {},
        }
        database = _dump_database(work, using)
        manifest["database"] = {"name": database, "sha256": _sha256(work / database)}
        for root_name, root in file_roots().items():
            if not root.is_dir():
                continue
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                rel = f"files/{root_name}/{path.relative_to(root).as_posix()}"
                (work / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, work / rel)
                manifest["files"][rel] = _sha256(path)
        (work / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        archive = destination / f"onestop-{stamp}.tar"
        with tarfile.open(archive, "w") as tar:
            for path in sorted(work.rglob("*")):
                if path.is_file():
                    tar.add(path, arcname=path.relative_to(work).as_posix())
    return archive


def read_archive(archive: Path, into: Path) -> dict[str, Any]:
    """Unpack and check every checksum; refuse members that would land outside ``into``."""
    with tarfile.open(archive, "r") as tar:
        tar.extractall(into, filter="data")  # the "data" filter refuses absolute paths, .. and links out
    manifest: dict[str, Any] = json.loads((into / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError("unknown archive format")
    database = manifest["database"]
    if _sha256(into / database["name"]) != database["sha256"]:
        raise BackupError("the database image does not match its checksum")
    for rel, digest in manifest["files"].items():
        if _sha256(into / rel) != digest:
            raise BackupError(f"{rel} does not match its checksum")
    return manifest


def _load_database(work: Path, manifest: dict[str, Any], db: dict[str, Any], vendor: str) -> None:
    name = manifest["database"]["name"]
    if vendor == "sqlite":
        if name != "db.sqlite3":
            raise BackupError("a PostgreSQL archive cannot be restored into SQLite")
        source = sqlite3.connect(work / name)
        target = sqlite3.connect(str(db["NAME"]))
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        return
    if name != "db.dump":
        raise BackupError("a SQLite archive cannot be restored into PostgreSQL")
    args, env = _pg_env(db)
    command = [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction", *args,
               "-d", str(db["NAME"]), str(work / name)]
    subprocess.run(command, check=True, env=env, capture_output=True)  # noqa: S603  # nosec B603


def backup_restore(archive: Path, *, using: str = "default", files: bool = True) -> dict[str, Any]:
    """Replace the database behind ``using`` (and, with ``files``, the file stores) by the archive's content."""
    with tempfile.TemporaryDirectory(prefix="onestop-restore-") as tmp:
        work = Path(tmp)
        manifest = read_archive(archive, work)
        connection = connections[using]
        settings_dict = dict(connection.settings_dict)
        connection.close()
        _load_database(work, manifest, settings_dict, connection.vendor)
        if files:
            for root_name, root in file_roots().items():
                source = work / "files" / root_name
                if source.is_dir():
                    root.mkdir(parents=True, exist_ok=True)
                    shutil.copytree(source, root, dirs_exist_ok=True)
    return manifest


def verify_restored(manifest: dict[str, Any], *, using: str = "default") -> RestoreReport:
    """Row counts and the audit chain of a restored database against the manifest, and the files on disk."""
    from .audit import audit_verify

    mismatches: list[str] = []
    counts = row_counts(using)
    for table, expected in manifest["row_counts"].items():
        if counts.get(table) != expected:
            mismatches.append(f"{table}: {counts.get(table)} rows, the backup had {expected}")
    chain = audit_verify(using=using)
    if not chain.ok:
        mismatches.append(f"audit chain broken at #{chain.broken_seq}: {chain.reason}")
    if audit_head(using) != manifest["audit_head"]:
        mismatches.append("the audit chain head differs from the backup's")
    files = 0
    roots = file_roots()
    for rel, digest in manifest["files"].items():
        _files, root_name, path = rel.split("/", 2)
        on_disk = roots[root_name] / path
        files += 1
        if not on_disk.is_file() or _sha256(on_disk) != digest:
            mismatches.append(f"{rel}: missing or altered after restore")
    return RestoreReport(len(counts), sum(counts.values()), files, chain.checked, mismatches)
