"""The SMS sender: Kavenegar sendarray in batches of up to 200, local ids = outbox ids."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from datetime import timedelta
from typing import Any

from bot.ratelimit import TokenBucket
from bot.recorder import Recorder
from handlers.runtime import Runtime
from handlers.sms_parts import MAX_RECEPTORS, count_segments, fit_sms
from sms.kavenegar import KavenegarError, KavenegarTransportError
from sms.verify import is_verify_row, send_verify_row
from storage import sms_account as account_store
from storage.delivery import Outcome
from storage.otp import scrub_code
from storage.outbox import Job

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# Delivery codes that mean the message will not arrive (docs/text.md).
_DEAD = {6, 11, 13, 14, 100}
# A permanent error that one bad row can cause: split the batch in halves until it is found
# (about 2·log2(200) = 16 calls for one bad receptor in 200, not 200).
_PER_ROW = {411, 413, 422}
# The account, not the message, is at fault (no credit, disabled, key, IP, line, trial): the
# rows are held, not failed, and go out once the account can send again (bot/sms_account).
ACCOUNT_LEVEL = {401, 403, 407, 412, 418, 427, 501}
HELD_PREFIX = "held: kavenegar"
# 451 is Kavenegar's "too many calls": wait a little and try again, it is not a failure.
_SLOW_DOWN = 451
HOLD_RECHECK = 300.0  # seconds


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s ... capped at 15 minutes."""
    return timedelta(seconds=min(900, 5 * 2 ** max(0, attempts - 1)))


async def alert_held(rt: Runtime, status: int, message: str) -> None:
    """The sender hit an account-level error: log it and queue the admins' alert (once per
    error and Tehran day; bot/sms_account.py lets the held rows go and says so)."""
    log.error("sms account refused (kavenegar %d: %s): SMS are held until it can send again",
              status, message)  # fmt: skip
    day = rt.clock().astimezone(rt.settings.tz).date().isoformat()
    text = rt.t("fa", "outbound.sms_held", status=status, reason=message)
    async with rt.db.session() as s:
        await account_store.alert_admins(s, f"alert:sms-held:{status}:{day}", text)


class SmsSender:
    def __init__(self, rt: Runtime, recorder: Recorder, owner: str) -> None:
        self.rt, self.recorder, self.owner = rt, recorder, owner
        self.calls = TokenBucket(rt.settings.sms_rate, 1.0)
        # (status, message) while the account cannot send: rows are held without a call.
        # Cleared by bot/sms_account when account/info shows it can send again, or after
        # HOLD_RECHECK (another process's check may have released the rows meanwhile).
        self.hold: tuple[int, str] | None = None
        self._hold_since = 0.0

    async def send(self, jobs: list[Job]) -> None:
        """Send SMS jobs, MAX_RECEPTORS to a call; record an outcome for each."""
        if self.rt.sms is None:  # not configured: leave them queued for when it is
            for job in jobs:
                due = self.rt.clock() + timedelta(minutes=5)
                self.recorder.add(Outcome(job.id, "queued", error="sms not configured", due_at=due))
            return
        jobs = await self._drop_expired_codes(jobs)
        if self._held():
            self._hold_rows(jobs)
            return
        codes = [job for job in jobs if is_verify_row(job)]
        for job in codes:
            await self._verify(job)
        jobs = [job for job in jobs if not is_verify_row(job)]
        for i in range(0, len(jobs), MAX_RECEPTORS):
            await self._batch(jobs[i : i + MAX_RECEPTORS])

    def _held(self) -> bool:
        if self.hold is not None and time.monotonic() - self._hold_since > HOLD_RECHECK:
            self.hold = None  # try one call again: maybe the account was fixed elsewhere
        return self.hold is not None

    def _hold_rows(self, jobs: list[Job]) -> None:
        assert self.hold is not None
        status, message = self.hold
        for job in jobs:  # not a try: the row was never offered to the operator
            reason = f"{HELD_PREFIX} {status}: {message}"
            self.recorder.add(Outcome(job.id, "held", error=reason, refund=True))

    async def _account_error(self, jobs: list[Job], exc: KavenegarError) -> None:
        """Hold these rows and every later one; tell the admins once (staff chat and log)."""
        first = self.hold is None
        self.hold, self._hold_since = (exc.status, exc.message), time.monotonic()
        self._hold_rows(jobs)
        if first:
            await alert_held(self.rt, exc.status, exc.message)

    async def _drop_expired_codes(self, jobs: list[Job]) -> list[Job]:
        """A one-time code past its deadline is not sent (it could no longer be used), and its
        text is scrubbed: no usable code stays at rest, whatever became of the row."""
        now, keep = self.rt.clock(), []
        for job in jobs:
            if job.kind == "otp" and job.deadline_at is not None and now > job.deadline_at:
                await self._fail_code(job, "code expired before it could be sent")
            else:
                keep.append(job)
        return keep

    async def _fail_code(self, job: Job, reason: str) -> None:
        async with self.rt.db.session() as s:
            await scrub_code(s, job.id)
        self.recorder.add(Outcome(job.id, "failed", error=reason))

    async def _verify(self, job: Job) -> None:
        """A one-time code goes by verify/lookup (its template), then the code is scrubbed."""
        assert self.rt.sms is not None
        await self.calls.acquire()
        try:
            ref = await send_verify_row(self.rt.sms, job)
        except KavenegarError as exc:
            if exc.status in ACCOUNT_LEVEL:
                await self._account_error([job], exc)
            elif exc.retryable and job.attempts < MAX_ATTEMPTS:
                self._retry([job], f"kavenegar {exc.status}")
            else:
                await self._fail_code(job, f"kavenegar {exc.status}: {exc.message}")
            return
        except KavenegarTransportError as exc:
            if job.attempts < MAX_ATTEMPTS:
                self._retry([job], f"kavenegar: {exc.message}")
            else:
                await self._fail_code(job, f"kavenegar: {exc.message} (gave up)")
            return
        except ValueError as exc:
            await self._fail_code(job, f"sms: {exc}")
            return
        # The outbox must not keep a usable code once it is on its way (only its hash stays).
        async with self.rt.db.session() as s:
            await scrub_code(s, job.id)
        self.recorder.add(
            Outcome(job.id, "sent", provider_ref=ref, sms_parts=1, at=self.rt.clock())
        )

    async def _batch(self, jobs: list[Job], tries: int = 0) -> None:
        texts = [fit_sms(job.sms_text or job.text) for job in jobs]
        await self.calls.acquire()
        try:
            entries = await self._call(jobs, texts)
        except KavenegarError as exc:
            if exc.status == _SLOW_DOWN and tries < 5:
                self.calls.pause(1.0)
                await self._batch(jobs, tries + 1)
            elif exc.status in ACCOUNT_LEVEL:
                await self._account_error(jobs, exc)
            elif exc.retryable:
                self._retry(jobs, f"kavenegar {exc.status}")
            elif exc.status in _PER_ROW and len(jobs) > 1:
                # Kavenegar refuses the whole call for one bad row and does not say which:
                # halve until it is alone (localids make resending a good half harmless).
                half = len(jobs) // 2
                await self._batch(jobs[:half])
                if self.hold is None:
                    await self._batch(jobs[half:])
                else:
                    self._hold_rows(jobs[half:])
            else:
                self._fail(jobs, f"kavenegar {exc.status}: {exc.message}")
            return
        except KavenegarTransportError as exc:
            self._retry(jobs, f"kavenegar: {exc.message}")
            return
        except ValueError as exc:  # refused locally (bad length, bad receptor)
            self._fail(jobs, f"sms: {exc}")
            return
        self._record(jobs, texts, entries)

    async def _call(self, jobs: list[Job], texts: list[str]) -> list[dict[str, Any]]:
        """sendarray with the configured line; without one, send grouped by text."""
        assert self.rt.sms is not None
        lids = [str(job.id) for job in jobs]
        receptors = [job.address for job in jobs]
        sender = self.rt.settings.sms_sender
        if sender:
            return await self.rt.sms.sendarray(receptors, texts, sender, localids=lids)
        groups: dict[str, list[int]] = defaultdict(list)
        for i, text in enumerate(texts):
            groups[text].append(i)
        entries: list[dict[str, Any]] = [{} for _ in jobs]
        for text, idx in groups.items():
            got = await self.rt.sms.send(
                [receptors[i] for i in idx], text, localid=[lids[i] for i in idx]
            )
            for i, entry in zip(idx, got, strict=False):
                entries[i] = entry
        return entries

    def _record(self, jobs: list[Job], texts: list[str], entries: list[dict[str, Any]]) -> None:
        now = self.rt.clock()
        for i, job in enumerate(jobs):
            entry = entries[i] if i < len(entries) else {}
            parts = count_segments(texts[i]).parts
            status = int(entry.get("status") or 1)
            if status in _DEAD:
                reason = f"sms status {status}"
                self.recorder.add(Outcome(job.id, "failed", error=reason, sms_parts=parts))
                continue
            ref = str(entry["messageid"]) if entry.get("messageid") else None
            self.recorder.add(Outcome(job.id, "sent", provider_ref=ref, sms_parts=parts, at=now))

    def _fail(self, jobs: list[Job], reason: str) -> None:
        log.warning("sms batch of %d failed: %s", len(jobs), reason)
        for job in jobs:
            self.recorder.add(Outcome(job.id, "failed", error=reason))

    def _retry(self, jobs: list[Job], reason: str) -> None:
        log.info("sms batch of %d will be retried: %s", len(jobs), reason)
        for job in jobs:
            if job.attempts >= MAX_ATTEMPTS:
                self.recorder.add(Outcome(job.id, "failed", error=f"{reason} (gave up)"))
            else:
                due = self.rt.clock() + backoff(job.attempts)
                self.recorder.add(Outcome(job.id, "queued", error=reason, due_at=due))
