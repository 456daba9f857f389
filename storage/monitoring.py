"""Read-only figures for /metrics and the admins' alerts: the outbox by state, recent sends,
failures, SMS parts, broadcast progress. Every query here reads an index (ix_outbox_due,
ix_outbox_sent_at, uq_outbox_broadcast) so a scrape stays cheap on a million-row outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Broadcast, National, Outbox, Staff

_OPEN_BROADCASTS = ("scheduled", "running", "paused")


async def outbox_by_state(session: AsyncSession) -> list[tuple[str, str, int]]:
    """(state, channel, rows) for every pair that has rows."""
    q = select(Outbox.state, Outbox.channel, func.count()).group_by(Outbox.state, Outbox.channel)
    return [(st, ch, int(n)) for st, ch, n in (await session.execute(q)).all()]


async def sent_since(session: AsyncSession, since: datetime) -> dict[str, int]:
    """Rows sent (or since delivered) at or after `since`, by channel."""
    q = (
        select(Outbox.channel, func.count())
        .where(Outbox.sent_at.is_not(None), Outbox.sent_at >= since)
        .group_by(Outbox.channel)
    )
    return {ch: int(n) for ch, n in (await session.execute(q)).all()}


async def sms_parts_since(session: AsyncSession, since: datetime) -> tuple[int, int]:
    """(messages, parts) sent by SMS at or after `since`."""
    q = select(func.count(), func.coalesce(func.sum(Outbox.sms_parts), 0)).where(
        Outbox.sent_at.is_not(None), Outbox.sent_at >= since, Outbox.channel == "sms"
    )
    n, parts = (await session.execute(q)).one()
    return int(n), int(parts)


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


async def broadcast_progress(
    session: AsyncSession, finished_since: datetime
) -> list[tuple[int, str, int, dict[str, int]]]:
    """(id, state, total, rows by state) of broadcasts open or finished since `finished_since`."""
    q = select(Broadcast.id, Broadcast.state, Broadcast.total).where(
        Broadcast.state.in_(_OPEN_BROADCASTS)
        | (Broadcast.finished_at.is_not(None) & (Broadcast.finished_at >= finished_since))
    )
    found = (await session.execute(q)).all()
    if not found:
        return []
    ids = [bid for bid, _, _ in found]
    counts = await session.execute(
        select(Outbox.broadcast_id, Outbox.state, func.count())
        .where(Outbox.broadcast_id.in_(ids))
        .group_by(Outbox.broadcast_id, Outbox.state)
    )
    by: dict[int, dict[str, int]] = {bid: {} for bid in ids}
    for bid, st, n in counts.all():
        by[bid][st] = int(n)
    return [(bid, st, int(total or 0), by[bid]) for bid, st, total in found]


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
