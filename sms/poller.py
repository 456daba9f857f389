"""Polling Kavenegar: inbound SMS (sms/receive) and delivery reports (sms/status).

sms/receive is for deployments with no public URL (AMAYESH_SMS_RECEIVE=poll). Kavenegar marks
what it hands out as read, so a message whose routing failed is kept in memory and retried on
the next round rather than fetched again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.metrics import observe
from bot.runtime import Runtime
from sms.kavenegar import (
    DELIVERY_TEXT,
    MAX_STATUS_IDS,
    KavenegarError,
    KavenegarTransportError,
)
from sms.keywords import route
from storage import sms as store

log = logging.getLogger(__name__)

RECEIVE_INTERVAL = 10.0  # seconds between polls of an empty line
RECEIVE_BATCH = 100  # Kavenegar's page size: a full page means more are waiting
MAX_BACKOFF = 300.0
REPORT_WINDOW = timedelta(hours=48)  # Kavenegar keeps delivery status this long
REPORT_PERIOD = timedelta(minutes=2)  # reports trickle in; asking every scheduler tick is waste
ProviderErrors = (KavenegarError, KavenegarTransportError)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def route_fetched(
    rt: Runtime, entries: Sequence[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """Route each fetched message; returns the ones that could not be routed this time."""
    failed = []
    for e in entries:
        try:
            async with observe(rt, "sms"):
                await route(rt, str(e.get("sender") or ""), str(e.get("message") or ""),
                            str(e["messageid"]), line=str(e.get("receptor") or ""))  # fmt: skip
        except Exception:
            log.exception("inbound SMS %s not routed; will retry", e.get("messageid"))
            failed.append(e)
    return failed


async def run_receive_poller(
    rt: Runtime, stop: asyncio.Event, *, interval: float = RECEIVE_INTERVAL
) -> None:
    """Fetch unread SMS on the sender line and route them, until `stop` is set."""
    line = rt.settings.sms_sender
    if rt.sms is None or not line:
        log.warning("sms/receive poller off: needs a Kavenegar API key and AMAYESH_SMS_SENDER")
        return
    backlog: list[Mapping[str, Any]] = []
    delay = interval
    while True:  # at least one round, so `amayesh sms receive` and tests can run it once
        try:
            fetched = await rt.sms.receive(line, isread=False)
            delay = 0.0 if len(fetched) >= RECEIVE_BATCH else interval
        except ProviderErrors as exc:
            log.warning("sms/receive failed: %s", exc)
            fetched, delay = [], min(max(delay, interval) * 2, MAX_BACKOFF)
        backlog = await route_fetched(rt, [*backlog, *fetched])
        if backlog:
            delay = max(delay, interval)
        if stop.is_set():
            return
        await _sleep(stop, delay)


def _reason(code: int) -> str:
    return f"kavenegar {code}: {DELIVERY_TEXT.get(code, 'unknown code')}"


def _reports(entries: Iterable[Mapping[str, Any]]) -> list[tuple[str, int]]:
    out = []
    for e in entries:
        try:
            out.append((str(e["messageid"]), int(e["status"])))
        except (KeyError, TypeError, ValueError):
            log.warning("malformed delivery report skipped")
    return out


async def apply_reports(rt: Runtime, entries: Iterable[Mapping[str, Any]]) -> int:
    """Record Kavenegar delivery codes on outbox rows; 14 (blocked) opts the number out."""
    changed = 0
    now = rt.clock()
    async with rt.db.session() as session:
        for ref, code in _reports(entries):
            addresses = await store.record_delivery(session, ref, code, _reason(code), now)
            changed += len(addresses)
            if code == store.BLOCKED:
                for mobile in set(addresses):
                    await store.opt_out_sms(session, mobile)
    return changed


async def poll_delivery_reports(rt: Runtime) -> int:
    """Ask sms/status about every SMS sent in the last 48 h with no final report yet."""
    if rt.sms is None:
        return 0
    async with rt.db.session() as session:
        refs = await store.refs_awaiting_report(session, rt.clock() - REPORT_WINDOW)
    changed = 0
    for i in range(0, len(refs), MAX_STATUS_IDS):
        try:
            entries = await rt.sms.status(refs[i : i + MAX_STATUS_IDS])
        except ProviderErrors as exc:
            log.warning("sms/status failed: %s", exc)
            break  # the next scheduled poll asks again
        changed += await apply_reports(rt, entries)
    return changed


def delivery_report_hook(
    period: timedelta = REPORT_PERIOD,
) -> Callable[[Runtime], Awaitable[int]]:
    """A scheduler hook that polls delivery reports at most once per `period`."""
    last: datetime | None = None

    async def sms_delivery_reports(rt: Runtime) -> int:
        nonlocal last
        now = rt.clock()
        if last is not None and now - last < period:
            return 0
        last = now
        return await poll_delivery_reports(rt)

    return sms_delivery_reports
