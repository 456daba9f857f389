"""Writes send outcomes to the outbox in small group commits, as soon as they are known."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress

from storage import delivery as store
from storage.db import Database
from storage.delivery import Outcome

log = logging.getLogger(__name__)


class Recorder:
    """One writer task per process: each flush commits every outcome gathered since the last.

    Recording promptly is what bounds duplicates after a crash: a row sent but not yet recorded
    is sent again once its lease runs out.
    """

    def __init__(
        self, db: Database, owner: str, observe: Callable[[Outcome], None] | None = None
    ) -> None:
        self.db, self.owner = db, owner
        self._observe = observe  # counts outcomes for /metrics (bot/metrics)
        self._pending: list[Outcome] = []
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def add(self, outcome: Outcome) -> None:
        if self._observe is not None:
            self._observe(outcome)
        self._pending.append(outcome)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        self._wake.set()

    async def flush(self) -> None:
        """Commit everything pending; on a database error keep it for the next try."""
        async with self._lock:
            batch, self._pending = self._pending, []
            if not batch:
                return
            try:
                # SQLite: wait our turn behind the dialog's writes, not in the busy handler.
                async with self.db.serial(), self.db.session() as s:
                    await store.record(s, self.owner, batch)
            except Exception:
                self._pending[:0] = batch
                raise

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.flush()
            except Exception:
                log.exception("recording outcomes failed; retrying in 1 s")
                await asyncio.sleep(1)
                self._wake.set()

    async def close(self) -> None:
        with suppress(Exception):
            await self.flush()
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
