"""Periodic chores: requeue rows whose sender died, start scheduled broadcasts, close finished
ones, queue campaign-deadline reminders, move the unfinished cases of a closed window to
missed_window, and whatever hooks other parts add (e.g. SMS delivery
reports). Every chore is idempotent, so any number of processes may run the scheduler."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress

from bot import retention, sms_account
from bot.runtime import Process
from handlers.broadcasts import start_due
from handlers.cases import close_windows
from handlers.reminders import queue_due_deadline_reminders
from storage import delivery as store

log = logging.getLogger(__name__)

Hook = Callable[[Process], Awaitable[object]]
# Other features add their periodic work here (the SMS helper: poll sms/status for reports).
HOOKS: list[Hook] = []


async def tick(rt: Process, hooks: Sequence[Hook] = ()) -> None:
    """One round of every chore; a failing chore is logged and does not stop the others."""
    chores: list[tuple[str, Hook]] = [
        ("requeue", _requeue), ("broadcasts", _broadcasts), ("deadlines", _deadlines),
        ("sms_account", sms_account.check), ("retention", retention.chore),
        ("windows", _windows),
    ]  # fmt: skip
    chores += [(getattr(h, "__name__", "hook"), h) for h in (*HOOKS, *hooks)]
    for name, chore in chores:
        try:
            await chore(rt)
        except Exception:
            log.exception("scheduler chore %s failed", name)


async def _requeue(rt: Process) -> None:
    async with rt.db.session() as s:
        n = await store.requeue_expired(s, rt.clock())
    if n:
        log.info("requeued %d rows whose lease ran out", n)


async def _broadcasts(rt: Process) -> None:
    async with rt.db.session() as s:
        started = await start_due(rt, s)
    for bid in started:
        log.info("started scheduled broadcast %d", bid)


async def _deadlines(rt: Process) -> None:
    async with rt.db.session() as s:
        n = await queue_due_deadline_reminders(rt, s)
    if n:
        log.info("queued %d campaign-deadline reminders", n)


async def _windows(rt: Process) -> None:
    async with rt.db.session() as s:
        n = await close_windows(rt, s)
    if n:
        log.info("moved %d cases of closed campaigns to missed_window", n)


async def run_scheduler(
    rt: Process, stop: asyncio.Event, *, interval: float = 15.0, hooks: Sequence[Hook] = ()
) -> None:
    """Tick every `interval` seconds until `stop` is set."""
    while not stop.is_set():
        await tick(rt, hooks)
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
