"""The delivery worker: claim due outbox rows, send them, record the outcome — per channel.

`amayesh run` and `amayesh worker` run this same loop. On PostgreSQL several workers share the
outbox (row locks, SKIP LOCKED, leases); on SQLite one process does everything.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from contextlib import suppress
from datetime import datetime, time
from typing import Any

from bot.delivery import Delivery
from bot.health import worker_beat
from bot.runtime import Process
from handlers.runtime import Runtime
from storage import delivery as store
from storage.outbox import Job

log = logging.getLogger(__name__)


def in_quiet_hours(rt: Runtime, now: datetime) -> bool:
    """Inside AMAYESH_QUIET_HOURS (Tehran time by default): only urgent rows go out."""
    window = rt.settings.quiet
    if window is None:
        return False
    start, end = window
    t: time = now.astimezone(rt.settings.tz).time()
    return start <= t < end if start <= end else (t >= start or t < end)


async def _wait(stop: asyncio.Event, tasks: set[asyncio.Task[None]], seconds: float) -> None:
    """Until stop is set, a send task finishes, or `seconds` pass."""
    waiters: set[asyncio.Future[Any]] = {asyncio.ensure_future(stop.wait()), *tasks}
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            if w not in tasks:
                w.cancel()


async def _lane(
    rt: Runtime, d: Delivery, channel: str, stop: asyncio.Event, batch: int, lease: float,
    poll: float,
) -> None:  # fmt: skip
    """Keep up to two batches of one channel in flight, so sending never waits for a claim."""
    tasks: set[asyncio.Task[None]] = set()
    outstanding = 0

    def done(task: asyncio.Task[None], n: int) -> None:
        nonlocal outstanding
        outstanding -= n
        tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("sending a %s batch failed", channel, exc_info=task.exception())

    while not stop.is_set():
        worker_beat(rt)  # /readyz: the worker's last loop
        jobs: list[Job] = []
        if outstanding < 2 * batch:  # claim the next batch while this one is still sending
            now = rt.clock()
            try:
                async with rt.db.session() as s:
                    quiet = in_quiet_hours(rt, now)
                    jobs = await store.claim(
                        s, d.owner, channel, batch, lease_seconds=lease, urgent_only=quiet, now=now
                    )
            except Exception:
                log.exception("claiming %s rows failed", channel)
        if jobs:
            outstanding += len(jobs)
            task = asyncio.create_task(d.send(jobs))
            tasks.add(task)
            task.add_done_callback(functools.partial(done, n=len(jobs)))
            continue
        await _wait(stop, tasks, poll)
    if tasks:  # let in-flight sends finish briefly; their rows are otherwise released below
        await asyncio.wait(tasks, timeout=10)
        for t in tasks:
            t.cancel()


# A sender renews its leases every LEASE/3 while it works, so a lease can be short: rows of a
# process that died are taken over (by the renewer of any live worker) within LEASE seconds.
LEASE_SECONDS = 15.0


async def _renew(rt: Runtime, d: Delivery, stop: asyncio.Event, lease: float) -> None:
    while not stop.is_set():
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), lease / 3)
        try:
            async with rt.db.session() as s:
                await store.renew_leases(s, d.owner, lease, rt.clock())
            async with rt.db.session() as s:  # the rows of a process that died
                n = await store.requeue_expired(s, rt.clock())
            if n:
                log.info("took over %d rows whose sender stopped renewing its lease", n)
        except Exception:
            log.exception("renewing leases failed")


async def run_worker(
    rt: Process,
    stop: asyncio.Event,
    *,
    lease_seconds: float = LEASE_SECONDS,
    poll: float = 0.5,
) -> None:
    """Deliver the outbox until `stop` is set, by the process's Delivery (and its one Bot)."""
    d = rt.delivery
    if rt.db.is_sqlite:  # one process: any other owner's lease belongs to a dead process
        async with rt.db.session() as s:
            n = await store.requeue_expired(s, not_owner=d.owner)
        if n:
            log.info("requeued %d rows a previous process left in flight", n)
    size = rt.settings.worker_batch
    channels = ["telegram", "sms", "shell"] if d.bot is not None else ["sms", "shell"]
    if rt.sms is None:
        channels.remove("sms")
    log.info("worker %s delivering %s", d.owner, ", ".join(channels))
    lanes = [_lane(rt, d, ch, stop, size, lease_seconds, poll) for ch in channels]
    try:
        await asyncio.gather(*lanes, _renew(rt, d, stop, lease_seconds))
    finally:
        await d.close()
        with suppress(Exception):
            async with rt.db.session() as s:  # hand unsent rows back at once, not after the lease
                await store.release(s, d.owner)
