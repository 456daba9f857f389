"""Sending claimed outbox rows: Telegram at its rate limits, SMS by batches, fallback to SMS.

One `Delivery` per process (bot/runtime.py's `Process.delivery`) holds the process's one Bot,
the rate limiters and the outcome recorder, so the worker and the interactive adapters share the
same limits and the same connection pool. `send` is the one way out: the worker hands it the
rows it claimed, the adapters the rows their transaction enqueued already leased to this process.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
import warnings
from collections import defaultdict
from datetime import timedelta
from typing import Any

import telegram
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.aiohttp_request import AiohttpRequest
from bot.metrics import Metrics
from bot.ratelimit import ChatLimiter, TokenBucket
from bot.recorder import Recorder
from bot.render import render
from bot.sms_out import SmsSender, backoff
from handlers.runtime import Runtime
from handlers.settings import Settings
from storage import delivery as store
from storage import reminders as reminder_store
from storage.delivery import Outcome
from storage.outbox import DEADLINES, Job

log = logging.getLogger(__name__)

OWNER = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
MAX_ATTEMPTS = 8
# Telegram answers these when the chat itself cannot take messages: go to SMS instead.
_GONE = ("chat not found", "user not found", "peer_id_invalid", "chat_id is empty")


def _describe(exc: NetworkError) -> str:
    """The error's class and message; a 5xx keeps its status ("Bad Gateway")."""
    return f"{type(exc).__name__}: {exc.message}"[:120]


def concurrency(rate: float) -> int:
    """Requests in flight at once: enough to keep `rate` going at round trips of ~250 ms (a busy
    server), and no more, since each one in flight may be sent twice after a crash."""
    return max(8, min(256, int(rate / 4) + 8))


def make_bot(settings: Settings) -> ExtBot[None] | None:
    """The process's Bot for AMAYESH_TELEGRAM_API_URL (Telegram or Bale); None without a token.

    An ExtBot, as python-telegram-bot's ApplicationBuilder would make, so the Application is
    built on this one (bot/telegram.py) and its staff replies share the worker's pool. aiohttp,
    not httpx: httpx's pool bookkeeping was a fifth of the bot's CPU per update
    (bench/bot_throughput)."""
    if settings.telegram_token is None:
        return None
    # The sends' slots, plus 8 for what goes around Delivery (getMe, staff replies, files).
    pool = concurrency(settings.telegram_rate) + 8  # aiohttp's pool costs no CPU per slot
    request = AiohttpRequest(pool=pool, read_timeout=15.0)
    base = settings.telegram_api_url.rstrip("/")
    return ExtBot(
        settings.telegram_token.get_secret_value(),
        base_url=f"{base}/bot",
        base_file_url=f"{base}/file/bot",
        request=request,
        get_updates_request=AiohttpRequest(pool=1, read_timeout=40.0),
    )


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that retry_after will become a timedelta
        warnings.simplefilter("ignore")
        wait = exc.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


class Delivery:
    """The process's senders (`Process.delivery`; a test may build a second "worker")."""

    def __init__(
        self, rt: Runtime, bot: telegram.Bot | None, metrics: Metrics, owner: str = OWNER
    ) -> None:
        s = rt.settings
        self.rt, self.bot, self.metrics, self.owner = rt, bot, metrics, owner
        self.recorder = Recorder(rt.db, owner, observe=metrics.outcome)
        # A burst allowance of 0.2 s of sending: when the process is not scheduled for a moment
        # (a busy machine), tokens saved up to that are spent afterwards, not lost (at 1/20 s,
        # 500/s reached 84%). The server counts requests as they arrive, so much more would let
        # them arrive bunched up and draw 429s.
        self.tg_rate = TokenBucket(s.telegram_rate, max(1.0, s.telegram_rate / 5))
        self.chat_rate = ChatLimiter(s.telegram_chat_rate)
        self.tg_slots = asyncio.Semaphore(concurrency(s.telegram_rate))
        # chat -> [lock, users]: one chat's messages go out in order even when two claimed
        # batches (the worker keeps one ready behind the one sending) both hold some.
        self._chat_order: dict[str, list[Any]] = {}
        self.sms = SmsSender(rt, self.recorder, owner)

    async def send(self, jobs: list[Job]) -> None:
        """Send jobs leased to this process (claimed by the worker, or enqueued already leased
        by a chat reply) and record every outcome before returning."""
        jobs = await self._drop_cancelled(await self._drop_dead_reminders(jobs))
        chats: dict[str, list[Job]] = defaultdict(list)
        sms: list[Job] = []
        for job in jobs:
            if job.channel == "telegram":
                chats[job.address].append(job)
            elif job.channel == "sms":
                sms.append(job)
            elif job.channel == "shell":  # the terminal chat prints its own replies
                self.recorder.add(Outcome(job.id, "sent", at=self.rt.clock()))
            else:
                self.recorder.add(Outcome(job.id, "failed", error=f"unknown channel {job.channel}"))
        if chats:
            runs = [self._chat(chat_jobs) for chat_jobs in chats.values()]
            for moved in await asyncio.gather(*runs):
                sms.extend(moved)
        if sms:
            await self.sms.send(sms)
        await self.recorder.flush()

    async def _chat(self, jobs: list[Job]) -> list[Job]:
        """One chat's jobs in order; returns those that must go by SMS."""
        chat = jobs[0].address
        entry = self._chat_order.get(chat)
        if entry is None:
            entry = self._chat_order[chat] = [asyncio.Lock(), 0]
        entry[1] += 1
        moved = []
        try:
            async with entry[0]:
                for job in jobs:
                    if (sms_job := await self._telegram(job)) is not None:
                        moved.append(sms_job)
        finally:
            entry[1] -= 1
            if entry[1] == 0:  # forget idle chats: a broadcast touches a million once each
                del self._chat_order[chat]
        return moved

    async def _telegram(self, job: Job) -> Job | None:
        if self.bot is None:
            return await self._fallback(job, "telegram not configured", unreachable=False)
        await self.chat_rate.acquire(job.address)
        async with self.tg_slots:
            while True:
                if self._late(job):
                    return await self._fallback(job, "deadline passed", unreachable=False)
                await self.tg_rate.acquire()
                try:
                    message_id = await render(self.bot, job, self.rt.settings.files_dir)
                except RetryAfter as exc:
                    seconds = _seconds(exc)
                    log.info("telegram 429: waiting %.0f s", seconds)
                    self.metrics.throttle(seconds)
                    self.tg_rate.pause(seconds)  # a flood limit applies to the whole bot
                    continue
                except Forbidden as exc:
                    return await self._fallback(job, exc.message, unreachable=True)
                except BadRequest as exc:
                    if any(g in exc.message.lower() for g in _GONE):
                        return await self._fallback(job, exc.message, unreachable=True)
                    self._fail(job, f"telegram: {exc.message}")
                    return None
                except NetworkError as exc:  # 5xx, timeouts, drops: worth another try later
                    return await self._retry(job, f"telegram: {_describe(exc)}")
                except TelegramError as exc:
                    return await self._retry(job, f"telegram: {exc.message}")
                self.recorder.add(
                    Outcome(job.id, "sent", provider_ref=str(message_id), at=self.rt.clock())
                )
                return None

    async def _fallback(self, job: Job, reason: str, *, unreachable: bool) -> Job | None:
        """Reroute to the national's mobile; fail when there is none."""
        async with self.rt.db.session() as s:
            moved = await store.reroute_to_sms(s, self.owner, job, reason, unreachable=unreachable)
        if moved is None:
            self._fail(job, f"no mobile to fall back to ({reason})")
        else:
            self.metrics.fallbacks.inc()
        return moved

    def _fail(self, job: Job, reason: str) -> None:
        log.warning("message failed: %s", reason, extra={"outbox_id": job.id})
        self.recorder.add(Outcome(job.id, "failed", error=reason))

    def _late(self, job: Job) -> bool:
        """Past its deadline. A broadcast copy only counts as late once Telegram has failed it:
        a million copies take hours at Telegram's rate, and waiting in line is no failure."""
        if job.deadline_at is None or self.rt.clock() <= job.deadline_at:
            return False
        return job.kind != "broadcast" or job.attempts > 1

    async def _retry(self, job: Job, reason: str) -> Job | None:
        """Try again later; past the attempts or the deadline the message goes by SMS, once."""
        if job.attempts >= MAX_ATTEMPTS:
            gave_up = f"{reason} (gave up on telegram after {job.attempts} attempts)"
            if job.kind not in DEADLINES:  # a chat reply or a staff alert: no SMS of it
                self._fail(job, gave_up)
                return None
            return await self._fallback(job, gave_up, unreachable=False)
        due = self.rt.clock() + backoff(job.attempts)
        if job.deadline_at is not None and due > job.deadline_at:
            due = max(job.deadline_at, self.rt.clock())  # the next try is the SMS, at the deadline
        self.recorder.add(Outcome(job.id, "queued", error=reason, due_at=due))
        return None

    async def _drop_cancelled(self, jobs: list[Job]) -> list[Job]:
        """Cancel is final: copies claimed before a cancel and not yet sent are not sent."""
        wanted = {j.broadcast_id for j in jobs if j.broadcast_id is not None}
        if not wanted:
            return jobs
        async with self.rt.db.session() as s:
            gone = await store.cancelled_broadcasts(s, wanted)
        if not gone:
            return jobs
        keep = []
        for job in jobs:
            if job.broadcast_id in gone:
                self.recorder.add(Outcome(job.id, "cancelled", error="broadcast cancelled"))
            else:
                keep.append(job)
        return keep

    async def _drop_dead_reminders(self, jobs: list[Job]) -> list[Job]:
        """A reminder for a cancelled or past appointment is not sent."""
        appts = {j.id: (j.payload or {}).get("appointment_id") for j in jobs}
        wanted = {a for a in appts.values() if a}
        if not wanted:
            return jobs
        async with self.rt.db.session() as s:
            live = await reminder_store.live_appointments(s, wanted, self.rt.clock())
        keep = []
        for job in jobs:
            appt = appts[job.id]
            if appt and appt not in live:
                self.recorder.add(Outcome(job.id, "cancelled", error="appointment not upcoming"))
            else:
                keep.append(job)
        return keep

    async def close(self) -> None:
        """Write the outcomes still pending; the Bot is the process's (closed with it)."""
        await self.recorder.close()
