"""Updates go into the inbox table before Telegram is told they arrived, then to the dialog.

The webhook route and the poller both call Inbox.accept: it writes the updates (one
transaction) and only then hands the new ones to the Application; if the write fails it
raises, so the webhook answers 5xx and the poller does not move its offset — Telegram keeps
the update. A row is marked handled in the transaction that acts on it (the dialog, a staff
command) or, for updates nothing claims, in a batch once the handlers ran. A sweep re-drives
rows left unhandled: a previous process's (SIGKILL), or ones whose handler failed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, suppress
from typing import Any, TypeAlias

from telegram import Update
from telegram.ext import Application, ContextTypes, ExtBot, JobQueue

from bot.flood import ChatOrderedProcessor, FloodGuard
from bot.runtime import Runtime
from storage import inbox as store

log = logging.getLogger(__name__)

# The Application bot.telegram.build_application makes: python-telegram-bot's defaults (ExtBot,
# a context of plain dicts, a JobQueue type), spelled out once since Application has six.
TgApp: TypeAlias = Application[
    ExtBot[None],
    ContextTypes.DEFAULT_TYPE,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    JobQueue[ContextTypes.DEFAULT_TYPE],
]

SWEEP_EVERY = 2.0  # seconds between looks for unhandled rows
MAX_ATTEMPTS = 8  # re-drives of an update whose handler keeps failing, then it is given up
BATCH = 200


def bot_key(token: str) -> str:
    """The bot's public numeric id, the part of the token before ':' (never the secret)."""
    return token.split(":", 1)[0]


def strip_nul(value: Any) -> Any:
    """The update without U+0000 anywhere: PostgreSQL text cannot hold it, nobody types it."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {strip_nul(k): strip_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_nul(v) for v in value]
    return value


def chat_of(body: dict[str, Any]) -> str | None:
    for value in body.values():
        if isinstance(value, dict):
            chat = value.get("chat") or (value.get("message") or {}).get("chat")
            if isinstance(chat, dict) and "id" in chat:
                return str(chat["id"])[:32]
    return None


class Inbox:
    """This process's side of the inbox: what it has in flight, what finished or failed."""

    def __init__(self, rt: Runtime, bot: str) -> None:
        self.rt, self.bot = rt, bot
        self.application: TgApp | None = None
        self.inflight: set[int] = set()  # handed to the Application, not finished
        self.failed: set[int] = set()  # a handler raised: leave the row for the sweep
        self._done: list[int] = []  # finished, handled_at not yet written
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._db_ok = True
        self.ready = False  # set by catch_up: until then updates are stored, not yet run

    async def accept(self, updates: list[tuple[dict[str, Any], Update | None]]) -> None:
        """Store (raw body, parsed update) pairs, then run the new ones; raises on a DB error."""
        ids = {body["update_id"] for body, _ in updates}
        fresh = ids - self.inflight
        self.inflight |= fresh  # before the write, so a sweep meanwhile leaves them alone
        rows = [(body["update_id"], chat_of(body), body) for body, _ in updates]
        try:
            async with self.rt.db.serial(), self.rt.db.session() as s:
                new = await store.store(s, self.bot, rows)
        except BaseException:
            self.inflight -= fresh
            raise
        self.inflight -= fresh - new
        if not self.ready:  # still catching up on older rows: they go first, these after
            self.inflight -= new
            self._wake.set()
            return
        for body, update in updates:
            if body["update_id"] in new and update is not None:
                await self._queue(update)
            elif body["update_id"] in new:
                self.finished(body["update_id"])  # stored but unreadable: nothing to run
        if ids - new:
            self._wake.set()  # stored before (a resend): the sweep runs it if still unhandled

    async def _queue(self, update: Update) -> None:
        assert self.application is not None
        await self.application.update_queue.put(update)

    def finished(self, update_id: int) -> None:
        """Called by InboxProcessor once the Application's handlers are done with one."""
        self.inflight.discard(update_id)
        if update_id in self.failed:
            self.failed.discard(update_id)
            return
        self._done.append(update_id)
        if len(self._done) >= BATCH:
            self._wake.set()

    async def catch_up(self) -> None:
        """Before new updates run: hand over what a previous process left, oldest first, so
        one chat's older updates are not overtaken by new ones arriving at the restart."""
        try:
            while await self.sweep():
                pass
        except Exception as exc:  # the database is away: the sweep task keeps trying
            log.warning("inbox: catching up failed (%s)", type(exc).__name__)
        self.ready = True

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="inbox")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with suppress(Exception):
            await self._flush()

    async def _run(self) -> None:
        while True:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), SWEEP_EVERY)
            self._wake.clear()
            try:
                await self._flush()
                await self.sweep()
            except Exception as exc:  # the database is away: say so once, keep trying
                if self._db_ok:
                    log.warning("inbox: database unavailable (%s); retrying", type(exc).__name__)
                self._db_ok = False
                continue
            if not self._db_ok:
                log.info("inbox: database back")
            self._db_ok = True

    async def _flush(self) -> None:
        done, self._done = self._done, []
        try:
            async with self.rt.db.serial(), self.rt.db.session() as s:
                await store.mark_handled(s, self.bot, done)
        except BaseException:
            self._done[:0] = done
            raise

    async def sweep(self) -> int:
        """Hand unhandled rows that nobody here is working on to the Application again."""
        if self.application is None:
            return 0
        skip = self.inflight | set(self._done)
        async with self.rt.db.serial(), self.rt.db.session() as s:
            rows = await store.pending(s, self.bot, limit=BATCH, skip=skip)
            if not rows:
                return 0
            gone = [uid for uid, _, attempts in rows if attempts >= MAX_ATTEMPTS]
            await store.mark_handled(s, self.bot, gone)
            await store.count_attempt(s, self.bot, [uid for uid, _, _ in rows])
        for uid in gone:  # nothing fails silently: the operator sees which update was dropped
            log.error("inbox: update %d failed %d times; given up", uid, MAX_ATTEMPTS)
        again = [(uid, body) for uid, body, attempts in rows if attempts < MAX_ATTEMPTS]
        for uid, body in again:
            self.inflight.add(uid)
            try:
                update = Update.de_json(body, self.application.bot)
            except Exception:
                self.finished(uid)
                continue
            await self._queue(update)
        if again:
            log.info("inbox: %d stored updates handed over again", len(again))
        return len(again)


class InboxProcessor(ChatOrderedProcessor):
    """Per-chat order (ChatOrderedProcessor), then tells the inbox the update ran."""

    def __init__(
        self,
        inbox: Inbox,
        max_concurrent_updates: int = 32,
        flood: FloodGuard | None = None,
        observe: Callable[[], AbstractAsyncContextManager[None]] | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates, flood, observe)
        self.inbox = inbox

    async def do_process_update(self, update: object, coroutine: Any) -> None:
        try:
            await super().do_process_update(update, coroutine)
        finally:
            if isinstance(update, Update):
                self.inbox.finished(update.update_id)


async def claim_staff(rt: Runtime, bot: str, update: Update) -> bool:
    """A staff command or button acted on once: False when this update was handled before."""
    async with rt.db.serial(), rt.db.session() as s:
        return await store.claim(s, bot, update.update_id)


async def unclaim(rt: Runtime, bot: str, update: Update) -> None:
    with suppress(Exception):
        async with rt.db.serial(), rt.db.session() as s:
            await store.release(s, bot, update.update_id)
