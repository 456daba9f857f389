"""`amayesh backup FILE` / `amayesh restore FILE`: the database and the slip files in one archive.

The archive is a .tar.gz holding `manifest.json` (dialect, schema revision, when), the database
(`database.sqlite` made with SQLite's online backup API, safe while the service runs; or
`database.dump`, pg_dump's custom format) and `files/`, the AMAYESH_FILES_DIR tree.

PostgreSQL goes through pg_dump / pg_restore (the client tools of the server's major version,
Debian's postgresql-client): they are the tools that know every object of a schema, and a
custom-format dump restores with --clean into an empty or a migrated database alike. The
password, if the URL has one, reaches them through PGPASSWORD, never the command line.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from handlers.runtime import Runtime
from storage import monitoring
from storage.db import NotMigrated

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite"
PG_MEMBER = "database.dump"


class BackupError(Exception):
    """The archive cannot be restored here (wrong kind, not empty, a tool failed)."""


def _sqlite_path(url: str) -> Path:
    db = make_url(url).database
    if not db or db == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(db)


def _pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    """libpq connection options for pg_dump/pg_restore, and the environment with the password."""
    u = make_url(url)
    args = ["--host", u.host or "127.0.0.1", "--port", str(u.port or 5432)]
    if u.username:
        args += ["--username", u.username]
    env = dict(os.environ)
    if u.password is not None:
        env["PGPASSWORD"] = str(u.password)
    return [*args, "--dbname", u.database or "postgres"], env


async def _tool(*argv: str, env: dict[str, str]) -> None:
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env
    )
    _, err = await proc.communicate()
    if proc.returncode != 0:
        tail = err.decode(errors="replace").strip().splitlines()[-3:]
        raise BackupError(f"{argv[0]} exited {proc.returncode}: {' / '.join(tail)}")


def _sqlite_copy(src: Path, dst: Path) -> None:
    """SQLite's online backup: a consistent copy page by page, writers carry on meanwhile."""
    source = sqlite3.connect(src)
    target = sqlite3.connect(dst)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), 0o600
    tar.addfile(info, io.BytesIO(data))


async def _schema_current(rt: Runtime) -> bool:
    try:
        await rt.db.check_migrated()
    except NotMigrated:
        return False
    return True


def _count_files(root: Path) -> int:
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.is_dir() else 0


async def backup(rt: Runtime, archive: Path) -> str:
    """Write the archive (atomically: a temp file renamed into place); returns a summary."""
    files_dir = rt.settings.files_dir
    dialect = "sqlite" if rt.db.is_sqlite else "postgresql"
    with tempfile.TemporaryDirectory(prefix="amayesh-backup-") as tmp:
        dump = Path(tmp) / (SQLITE_MEMBER if rt.db.is_sqlite else PG_MEMBER)
        if rt.db.is_sqlite:
            await asyncio.to_thread(_sqlite_copy, _sqlite_path(rt.db.url), dump)
        else:
            conn, env = _pg_args(rt.db.url)
            await _tool("pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                        "--file", str(dump), *conn, env=env)  # fmt: skip
        manifest = {
            "format": FORMAT, "dialect": dialect, "schema_current": await _schema_current(rt),
            "created_at": rt.clock().isoformat(),
            "files": await asyncio.to_thread(_count_files, files_dir),
        }  # fmt: skip
        size = await asyncio.to_thread(_write_archive, archive, manifest, dump, files_dir) / 1e6
    return f"backup written: {archive} ({dialect}, {manifest['files']} files, {size:.1f} MB)"


def _write_archive(archive: Path, manifest: dict[str, Any], dump: Path, files_dir: Path) -> int:
    """Returns the archive's size in bytes."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    partial = archive.with_name(archive.name + ".partial")
    with tarfile.open(partial, "w:gz") as tar:
        _add_bytes(tar, MANIFEST, json.dumps(manifest, ensure_ascii=False).encode())
        tar.add(dump, arcname=dump.name)
        if files_dir.is_dir():
            tar.add(files_dir, arcname="files")
    os.replace(partial, archive)  # a crash midway never leaves a half archive under the name
    return archive.stat().st_size


async def _has_data(rt: Runtime) -> bool:
    """Any nationals or outbox rows (an empty or unmigrated database has none)."""
    try:
        async with rt.db.session() as s:
            return await monitoring.has_rows(s)
    except Exception:  # no tables yet
        return False


async def restore(rt: Runtime, archive: Path, *, force: bool = False) -> str:
    """Restore into this runtime's database (empty, unless `force`) and files directory.

    Stop the service first: the database is replaced underneath whatever is connected.
    """
    with tempfile.TemporaryDirectory(prefix="amayesh-restore-") as tmp:
        manifest = await asyncio.to_thread(_extract, archive, Path(tmp))
        want = "sqlite" if rt.db.is_sqlite else "postgresql"
        if manifest.get("dialect") != want:
            raise BackupError(f"the archive holds a {manifest.get('dialect')} database, "
                              f"this one is {want}")  # fmt: skip
        if not force and await _has_data(rt):
            raise BackupError("the database is not empty; use --force to replace it")
        await rt.db.dispose()  # no pooled connection may hold the old file or tables
        if rt.db.is_sqlite:
            await asyncio.to_thread(_sqlite_restore, Path(tmp) / SQLITE_MEMBER,
                                    _sqlite_path(rt.db.url))  # fmt: skip
        else:
            conn, env = _pg_args(rt.db.url)
            await _tool("pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
                        "--exit-on-error", *conn, str(Path(tmp) / PG_MEMBER), env=env)  # fmt: skip
        n = await asyncio.to_thread(_restore_files, Path(tmp) / "files", rt.settings.files_dir)
    note = ""
    try:
        await rt.db.check_migrated()
    except NotMigrated:
        note = "; the schema is older than this code: run `amayesh db upgrade`"
    return f"restored {archive} ({want}, {n} files, backed up {manifest.get('created_at')}){note}"


def _extract(archive: Path, into: Path) -> dict[str, Any]:
    if not archive.is_file():
        raise BackupError(f"{archive}: no such file")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(into, filter="data")  # no absolute paths, links out or devices
    except (tarfile.TarError, EOFError) as exc:
        raise BackupError(f"{archive}: not a .tar.gz archive ({exc})") from exc
    try:
        manifest = json.loads((into / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{archive}: not an amayesh backup ({MANIFEST} unreadable)") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive}: unknown backup format {manifest.get('format')!r}")
    return dict(manifest)


def _sqlite_restore(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm"):  # a stale log of the old file must not replay onto the new
        Path(f"{dst}{suffix}").unlink(missing_ok=True)
    _sqlite_copy(src, dst)


def _restore_files(src: Path, dst: Path) -> int:
    if not src.is_dir():
        return 0
    shutil.copytree(src, dst, dirs_exist_ok=True)
    return _count_files(src)
