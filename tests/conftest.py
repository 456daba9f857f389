"""Shared fixtures: a migrated database (SQLite or PostgreSQL), settings, runtime, fakes.

The database is chosen by AMAYESH_TEST_DATABASE_URL (default: a SQLite file per test);
the README's test command runs the suite once on each.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.runtime import open_runtime
from handlers.runtime import Runtime
from handlers.settings import Settings, load_settings
from storage.db import upgrade
from storage.models import Base
from tests.bot_kit import bot_settings, running_bot, seeded_runtime
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.kavenegar import FakeKavenegar
from tests.helpers_delivery import wired_runtime, wired_settings

PG_URL = os.environ.get("AMAYESH_TEST_DATABASE_URL", "")


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate once per session: a template SQLite file, or the PostgreSQL test database."""
    if PG_URL:
        _reset_pg_schema(PG_URL)
        upgrade(PG_URL)
        return PG_URL
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return str(path)


def _reset_pg_schema(url: str) -> None:
    import asyncio

    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")

    async def reset() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        finally:
            await conn.close()

    asyncio.run(reset())


@pytest.fixture
def db_url(migrated_template: str, tmp_path: Path) -> Iterator[str]:
    """A clean, migrated database for one test."""
    if PG_URL:
        _truncate_pg(PG_URL)
        yield PG_URL
        return
    path = tmp_path / "test.db"
    shutil.copyfile(migrated_template, path)
    yield f"sqlite+aiosqlite:///{path}"


def _truncate_pg(url: str) -> None:
    import asyncio

    import asyncpg

    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")

    async def truncate() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        finally:
            await conn.close()

    asyncio.run(truncate())


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AMAYESH_* from the developer's shell or .env leaks into a test."""
    for name in list(os.environ):
        if name.startswith("AMAYESH_") and name != "AMAYESH_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return load_settings(
        database_url=db_url,
        files_dir=tmp_path / "files",
        quiet_hours="",
        http_port=0,
    )


@pytest.fixture
async def rt(settings: Settings) -> AsyncIterator[Runtime]:
    runtime = await open_runtime(settings)
    try:
        yield runtime
    finally:
        await runtime.close()


@pytest.fixture
async def botapi() -> AsyncIterator[FakeBotAPI]:
    fake = FakeBotAPI()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


@pytest.fixture
async def kavenegar() -> AsyncIterator[FakeKavenegar]:
    fake = FakeKavenegar()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()


@pytest.fixture
async def wrt(db_url: str, botapi: FakeBotAPI, kavenegar: FakeKavenegar) -> AsyncIterator[Runtime]:
    """A runtime wired to both fakes: Telegram and Kavenegar answer on loopback."""
    rt = await wired_runtime(wired_settings(db_url, botapi, kavenegar))
    try:
        yield rt
    finally:
        await rt.close()


@pytest.fixture
async def brt(settings: Settings, botapi: FakeBotAPI) -> AsyncIterator[Runtime]:
    """A runtime with the demo data, its bot pointed at the fake Bot API (not yet running)."""
    rt = await seeded_runtime(bot_settings(settings, botapi))
    try:
        yield rt
    finally:
        await rt.close()


@pytest.fixture
async def bot(brt: Runtime) -> AsyncIterator[None]:
    """The real Application polling the fake Bot API for the test's duration."""
    async with running_bot(brt):
        yield
