"""`amayesh backup` / `amayesh restore`: a round trip into an empty database finds the same
cases, outbox and slip files (SQLite: the online backup API; PostgreSQL: pg_dump/pg_restore into
a scratch database this test creates and drops)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.backup import BackupError, backup, restore
from bot.runtime import open_runtime
from handlers import broadcasts as bc
from handlers.demo import load_demo
from handlers.runtime import Runtime
from handlers.settings import Settings
from storage.models import Application, National, Outbox, StatusEvent
from tests.conftest import PG_URL

SCRATCH = "test_ops_restore"  # never the shared `test`, never another helper's database


async def _pg_admin(sql: str) -> None:
    u = make_url(PG_URL)
    dsn = f"postgresql://{u.username or 'postgres'}@{u.host}:{u.port or 5432}/postgres"
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
async def empty_url(tmp_path: Path) -> AsyncIterator[str]:
    """A database with nothing in it, not even the schema."""
    if not PG_URL:
        yield f"sqlite+aiosqlite:///{tmp_path / 'restored' / 'amayesh.db'}"
        return
    await _pg_admin(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")
    await _pg_admin(f"CREATE DATABASE {SCRATCH}")
    try:
        yield make_url(PG_URL).set(database=SCRATCH).render_as_string(hide_password=False)
    finally:
        await _pg_admin(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")


async def _snapshot(rt: Runtime) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    async with rt.db.session() as s:
        for model, cols in (
            (National, ("id", "card_number", "mobile")),
            (Application, ("id", "national_id", "campaign_id", "status")),
            (StatusEvent, ("id", "application_id", "status")),
            (Outbox, ("id", "key", "channel", "address", "state", "text")),
        ):
            q = select(*(getattr(model, c) for c in cols)).order_by(model.id)
            out[model.__tablename__] = [tuple(r) for r in (await s.execute(q)).all()]
    return out


async def test_backup_restores_into_an_empty_database(
    rt: Runtime, settings: Settings, empty_url: str, tmp_path: Path
) -> None:
    now = rt.clock()
    async with rt.db.session() as s:  # what `amayesh demo` and a broadcast leave behind
        await load_demo(s, now.astimezone(settings.tz).date(), now)
        await bc.create_broadcast(rt, s, "cli:test", "", "اطلاعیهٔ آزمایشی")
    slip = settings.files_dir / "slips" / "2026" / "slip-1.jpg"
    slip.parent.mkdir(parents=True)
    slip.write_bytes(b"\xff\xd8 a slip \xff\xd9")
    before = await _snapshot(rt)
    assert before["applications"] and before["outbox"]

    archive = tmp_path / "backups" / "amayesh.tar.gz"
    summary = await backup(rt, archive)
    assert "1 files" in summary and archive.is_file()

    files = tmp_path / "restored-files"
    target = await open_runtime(settings.model_copy(update={
        "database_url": empty_url, "files_dir": files}))  # fmt: skip
    try:
        summary = await restore(target, archive)
        assert "upgrade" not in summary  # the schema came back current
        assert await _snapshot(target) == before
        assert (files / "slips" / "2026" / "slip-1.jpg").read_bytes() == slip.read_bytes()
        with pytest.raises(BackupError, match="not empty"):
            await restore(target, archive)  # it does not overwrite data by accident
        await restore(target, archive, force=True)
        assert await _snapshot(target) == before
    finally:
        await target.close()


async def test_restore_refuses_what_is_not_a_backup(rt: Runtime, tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no such file"):
        await restore(rt, tmp_path / "missing.tar.gz")
    junk = tmp_path / "junk.tar.gz"
    await asyncio.to_thread(junk.write_bytes, b"")
    with pytest.raises(BackupError, match=r"not a \.tar\.gz archive"):
        await restore(rt, junk)


async def test_backup_and_restore_commands(
    rt: Runtime, settings: Settings, empty_url: str, tmp_path: Path, monkeypatch, capsys
) -> None:
    from bot.cli import main

    now = rt.clock()
    async with rt.db.session() as s:
        await load_demo(s, now.astimezone(settings.tz).date(), now)
    archive = tmp_path / "nightly.tar.gz"
    monkeypatch.setenv("AMAYESH_DATABASE_URL", rt.db.url)
    monkeypatch.setenv("AMAYESH_FILES_DIR", str(settings.files_dir))
    # main() runs its own event loop: give it a thread, as a shell would give it a process.
    assert await asyncio.to_thread(main, ["backup", str(archive)]) == 0
    assert "backup written" in capsys.readouterr().out
    monkeypatch.setenv("AMAYESH_DATABASE_URL", empty_url)
    monkeypatch.setenv("AMAYESH_FILES_DIR", str(tmp_path / "files2"))
    assert await asyncio.to_thread(main, ["restore", str(archive)]) == 0
    assert "restored" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["restore", str(archive)]) == 1
    assert "not empty; use --force" in capsys.readouterr().out
