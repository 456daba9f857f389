"""GET /metrics in the Prometheus text format (prometheus-client), behind a bearer token.

Two kinds of figure:
- this process's own, counted as things happen (Prometheus sums the processes): updates
  received and handled per channel and how long handling took, send outcomes, SMS parts and
  their cost, Telegram 429s and the seconds they asked to wait, fallbacks to SMS, event-loop
  lag, RSS and CPU (the client's ProcessCollector);
- the deployment's, read from the database at scrape time (at most every 30 s per process):
  outbox rows not yet out by state and channel, sends per second over the last minute, failed
  rows by reason, running broadcasts' progress, updates stored and not yet handled (the inbox
  backlog), the database pool, and Kavenegar's credit (bot/health's probe). None of these reads
  counts the sent rows or the handled updates, which are most of their tables.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from prometheus_client.core import GaugeMetricFamily, Metric

from bot import health
from handlers.runtime import Runtime
from storage import broadcasts as broadcast_store
from storage import inbox as inbox_store
from storage import monitoring
from storage.broadcasts import Progress
from storage.delivery import Outcome

log = logging.getLogger(__name__)
SNAPSHOT_AGE = timedelta(seconds=30)  # a scrape reads the database at most this often
LAG_INTERVAL = 0.5
# Handling latency: a reply is expected within a second or two; a slip download takes longer.
BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass
class Snapshot:
    """The database's figures at one moment (what the collector yields)."""

    outbox: list[tuple[str, str, int]] = field(default_factory=list)
    sent_last_minute: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    broadcasts: list[Progress] = field(default_factory=list)
    inbox_backlog: int | None = None
    credit: float | None = None


def reason_of(error: str) -> str:
    """A failure reason with the ids and numbers taken out, so that labels stay few."""
    text = re.sub(r"\d+", "N", error.strip())[:80]
    return text or "unknown"


class Metrics:
    """One registry per runtime (tests build several runtimes in one process)."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.registry = r = CollectorRegistry()
        self.received = Counter(
            "amayesh_updates_received", "Updates received", ["channel"], registry=r
        )
        self.handled = Counter(
            "amayesh_updates_handled", "Updates handled", ["channel", "outcome"], registry=r
        )
        self.latency = Histogram(
            "amayesh_update_handling_seconds", "From receipt to handled", ["channel"],
            buckets=BUCKETS, registry=r,
        )  # fmt: skip
        self.throttled = Counter("amayesh_telegram_429", "Telegram 429 (flood) answers", registry=r)
        self.retry_after = Counter(
            "amayesh_telegram_retry_after_seconds", "Seconds Telegram asked to wait", registry=r
        )
        self.fallbacks = Counter(
            "amayesh_fallbacks_to_sms", "Telegram messages rerouted to SMS", registry=r
        )
        self.outcomes = Counter(
            "amayesh_outcomes", "Send outcomes recorded (sent, failed, queued again...)",
            ["state"], registry=r,
        )  # fmt: skip
        self.sms_parts = Counter("amayesh_sms_parts", "SMS parts sent", registry=r)
        self.sms_cost = Counter(
            "amayesh_sms_cost_rials", "SMS parts sent x AMAYESH_SMS_COST_RIALS", registry=r
        )
        self.loop_lag = Gauge(
            "amayesh_event_loop_lag_seconds", "Worst event-loop lag over the last second",
            registry=r,
        )  # fmt: skip
        ProcessCollector(registry=r)
        self.snapshot = Snapshot()
        self.snapshot_at: datetime | None = None
        r.register(_SnapshotCollector(self))
        self._lag_task: asyncio.Task[None] | None = None

    @asynccontextmanager
    async def observe(self, channel: str) -> AsyncIterator[None]:
        """Count one update of `channel` and time its handling."""
        self.received.labels(channel).inc()
        started = time.perf_counter()
        outcome = "error"
        try:
            yield
            outcome = "ok"
        finally:
            self.handled.labels(channel, outcome).inc()
            self.latency.labels(channel).observe(time.perf_counter() - started)

    def outcome(self, o: Outcome) -> None:
        """Every outcome the process records (the Recorder calls this)."""
        self.outcomes.labels(o.state).inc()
        if o.state in ("sent", "delivered") and o.sms_parts:
            self.sms_parts.inc(o.sms_parts)
            self.sms_cost.inc(o.sms_parts * self.rt.settings.sms_cost_rials)

    def throttle(self, seconds: float) -> None:
        self.throttled.inc()
        self.retry_after.inc(max(0.0, seconds))

    async def refresh(self) -> None:
        """Read the database's figures unless this process did within SNAPSHOT_AGE."""
        now = self.rt.clock()
        if self.snapshot_at is not None and now - self.snapshot_at < SNAPSHOT_AGE:
            return
        rt, snap = self.rt, Snapshot()
        async with rt.db.session() as s:
            snap.outbox = await monitoring.outbox_by_state(s)
            snap.sent_last_minute = await monitoring.sent_since(s, now - timedelta(seconds=60))
            for error, n in await monitoring.failures_by_error(s):
                key = reason_of(error)
                snap.failures[key] = snap.failures.get(key, 0) + n
            for b in await monitoring.open_broadcasts(s):  # what `broadcast status` shows
                snap.broadcasts.append(await broadcast_store.progress(s, b, now))
            snap.inbox_backlog = await inbox_store.backlog(s)  # the partial ix_inbox_pending
        if rt.sms is not None:
            probe = await health.kavenegar(rt)
            if probe.ok and "remaincredit" in probe.info:
                snap.credit = float(probe.info["remaincredit"])
        self.snapshot, self.snapshot_at = snap, now

    def start_lag_monitor(self) -> None:
        if self._lag_task is None or self._lag_task.done():
            self._lag_task = asyncio.get_running_loop().create_task(self._watch_lag())

    async def stop_lag_monitor(self) -> None:
        if self._lag_task is not None:
            self._lag_task.cancel()
            with suppress(asyncio.CancelledError):
                await self._lag_task
            self._lag_task = None

    async def _watch_lag(self) -> None:
        """Sleep LAG_INTERVAL and see how late the loop wakes us: that is what every callback
        waiting behind a blocking one would have waited too."""
        worst, since = 0.0, time.monotonic()
        while True:
            started = time.monotonic()
            await asyncio.sleep(LAG_INTERVAL)
            now = time.monotonic()
            worst = max(worst, now - started - LAG_INTERVAL)
            if now - since >= 1.0:
                self.loop_lag.set(worst)
                worst, since = 0.0, now


class _SnapshotCollector:
    """Yields the last Snapshot as gauges (prometheus-client calls collect() when rendering)."""

    def __init__(self, m: Metrics) -> None:
        self.m = m

    def describe(self) -> list[Metric]:
        return []  # nothing to check at registration: the names are fixed below

    def collect(self) -> Iterator[Metric]:
        snap, rt = self.m.snapshot, self.m.rt
        g = GaugeMetricFamily("amayesh_outbox_rows", "Outbox rows", labels=["state", "channel"])
        for st, ch, n in snap.outbox:
            g.add_metric([st, ch], n)
        yield g
        g = GaugeMetricFamily(
            "amayesh_sends_per_second", "Rows sent over the last minute / 60", labels=["channel"]
        )
        for ch, n in snap.sent_last_minute.items():
            g.add_metric([ch], n / 60)
        yield g
        g = GaugeMetricFamily("amayesh_outbox_failed", "Failed rows by reason", labels=["reason"])
        for reason, n in snap.failures.items():
            g.add_metric([reason], n)
        yield g
        if snap.credit is not None:
            yield GaugeMetricFamily("amayesh_sms_credit_rials", "Kavenegar credit", snap.credit)
        if snap.inbox_backlog is not None:
            yield GaugeMetricFamily(
                "amayesh_inbox_backlog", "Updates stored, not yet handled", snap.inbox_backlog
            )
        total = GaugeMetricFamily(
            "amayesh_broadcast_total", "Recipients of a broadcast", labels=["broadcast", "state"]
        )
        rows = GaugeMetricFamily(
            "amayesh_broadcast_rows", "A broadcast's rows by state", labels=["broadcast", "state"]
        )
        rate = GaugeMetricFamily(
            "amayesh_broadcast_sends_per_second", "A broadcast's last minute", labels=["broadcast"]
        )
        for p in snap.broadcasts:
            total.add_metric([str(p.broadcast_id), p.state], p.total)
            rate.add_metric([str(p.broadcast_id)], p.rate)
            for st, k in p.counts.items():
                rows.add_metric([str(p.broadcast_id), st], k)
        yield total
        yield rows
        yield rate
        yield from _pool(rt)


def _pool(rt: Runtime) -> Iterator[Metric]:
    """The SQLAlchemy pool: connections in use, idle, and the pool's size."""
    pool = rt.db.engine.pool
    g = GaugeMetricFamily("amayesh_db_pool_connections", "Database pool", labels=["state"])
    for state, attr in (("in_use", "checkedout"), ("idle", "checkedin"), ("size", "size")):
        fn = getattr(pool, attr, None)
        if callable(fn):
            with suppress(Exception):
                g.add_metric([state], float(fn()))
    yield g
