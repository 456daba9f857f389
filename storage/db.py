"""The database handle: engine, sessions, health and migrations, for SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeAlias, cast

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Connection, CursorResult, Result
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS = Path(__file__).with_name("migrations")


_DmlResult: TypeAlias = CursorResult[*tuple[Any, ...]]


def affected(result: Result[*tuple[Any, ...]]) -> int:
    """The rows an INSERT, UPDATE or DELETE touched (`CursorResult.rowcount`).

    `AsyncSession.execute` is typed to return `Result` for every statement; for DML it returns
    a `CursorResult`, the one that has `rowcount`.
    """
    return cast(_DmlResult, result).rowcount


async def inserted(session: AsyncSession, result: Result[*tuple[Any, ...]]) -> int:
    """The rows an INSERT…SELECT wrote, on SQLite too."""
    n = affected(result)
    if n is None or n < 0:
        # Python's sqlite3 reports no rowcount for a statement that begins with WITH.
        return int(await session.scalar(select(func.changes())) or 0)
    return n


class NotMigrated(Exception):
    """The schema is missing or older than this code; run `amayesh db upgrade`."""


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations (synchronous: Alembic runs its own event loop in env.py)."""
    command.upgrade(alembic_config(url), revision)


@functools.cache
def head_revision() -> str | None:
    """The code's newest migration (fixed for the process's life; /readyz asks it often)."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; busy_timeout waits instead of failing.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


class Database:
    """Owns the engine; hand it around explicitly (no module-level globals)."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        # hide_parameters: an error's text (logged with its traceback) and echo show the SQL
        # without its bound values, which are nationals' data, codes' hashes, TOTP secrets.
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        if not self.is_sqlite:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer per file. Writers of this process that take this lock (the
        # dialog, the delivery recorder) queue here instead of meeting in SQLite's busy handler,
        # which sleeps in steps of up to 100 ms: that sleeping was the bot's latency tail.
        self.write_lock: asyncio.Lock | None = asyncio.Lock() if self.is_sqlite else None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits on success, rolls back on error."""
        async with self.sessions() as s, s.begin():
            yield s

    @asynccontextmanager
    async def serial(self) -> AsyncIterator[None]:
        """Hold the SQLite write lock (a no-op on PostgreSQL); never hold it across network I/O."""
        if self.write_lock is None:
            yield
            return
        async with self.write_lock:
            yield

    async def ping(self, wait: float = 3.0) -> bool:
        try:
            async with asyncio.timeout(wait), self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def upgrade(self) -> None:
        await asyncio.to_thread(upgrade, self.url)

    async def check_migrated(self) -> None:
        head = await asyncio.to_thread(head_revision)  # reads files once, off the event loop

        def current(conn: Connection) -> str | None:
            return MigrationContext.configure(conn).get_current_revision()

        async with self.engine.connect() as conn:
            rev = await conn.run_sync(current)
        if rev != head:
            state = "has no schema" if rev is None else f"is at revision {rev}, code needs {head}"
            raise NotMigrated(f"the database {state}; run `amayesh db upgrade` first")

    async def dispose(self) -> None:
        await self.engine.dispose()
