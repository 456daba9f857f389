"""Read-only figures for /metrics and the admins' alerts: the outbox by state, recent sends,
failures, open broadcasts. Each query reads an index (ix_outbox_due, ix_outbox_sent_at) and
rows that are few on a busy day (waiting, failed, sent in the last minute), never all the
sent ones, so a scrape stays cheap on a million-row outbox (bench/metrics_scrape). The inbox
backlog is the inbox store's own query (storage.inbox.backlog, on its partial index)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Broadcast, National, Outbox, Staff

_OPEN_BROADCASTS = ("running", "paused")
UNSENT = ("queued", "held", "sending", "failed", "cancelled")


async def outbox_by_state(session: AsyncSession) -> list[tuple[str, str, int]]:
    """(state, channel, rows) of rows not (yet) out: waiting, in flight, failed, cancelled.

    Sent and delivered rows are left out: they are most of a busy outbox and counting them
    scans it; /metrics counts sends as they happen instead."""
    q = (
        select(Outbox.state, Outbox.channel, func.count())
        .where(Outbox.state.in_(UNSENT))
        .group_by(Outbox.state, Outbox.channel)
    )
    return [(st, ch, int(n)) for st, ch, n in (await session.execute(q)).all()]


async def sent_since(session: AsyncSession, since: datetime) -> dict[str, int]:
    """Rows sent (or since delivered) at or after `since`, by channel."""
    q = (
        select(Outbox.channel, func.count())
        .where(Outbox.sent_at.is_not(None), Outbox.sent_at >= since)
        .group_by(Outbox.channel)
    )
    return {ch: int(n) for ch, n in (await session.execute(q)).all()}


async def failed_count(session: AsyncSession) -> int:
    q = select(func.count()).select_from(Outbox).where(Outbox.state == "failed")
    return int(await session.scalar(q) or 0)


async def failures_by_error(session: AsyncSession, limit: int = 50) -> list[tuple[str, int]]:
    """The commonest error texts of failed rows."""
    q = (
        select(func.coalesce(Outbox.error, ""), func.count())
        .where(Outbox.state == "failed")
        .group_by(Outbox.error)
        .order_by(func.count().desc())
        .limit(limit)
    )
    return [(err, int(n)) for err, n in (await session.execute(q)).all()]


async def open_broadcasts(session: AsyncSession) -> list[Broadcast]:
    """Broadcasts under way (running or paused), whose progress /metrics shows."""
    q = select(Broadcast).where(Broadcast.state.in_(_OPEN_BROADCASTS)).order_by(Broadcast.id)
    return list((await session.scalars(q)).all())


async def admin_chats(session: AsyncSession) -> list[int]:
    """The Telegram ids of active admins (who get alerts in their own chat with the bot)."""
    q = select(Staff.telegram_id).where(Staff.active.is_(True), Staff.role == "admin")
    return sorted(int(t) for t in (await session.scalars(q)).all())


async def has_rows(session: AsyncSession) -> bool:
    """Whether the registry or the outbox holds anything (a restore refuses to overwrite it)."""
    for model in (National, Outbox):
        if await session.scalar(select(model.id).limit(1)) is not None:
            return True
    return False
