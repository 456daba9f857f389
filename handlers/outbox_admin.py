"""Staff's view of messages that could go nowhere: list them, send them again (audited)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.runtime import Runtime
from handlers.staff_auth import require
from storage import admin
from storage import failed as store
from storage.models import Outbox


def mask_address(channel: str, address: str) -> str:
    """A mobile as 0915***4567; a chat id as is (it names no one outside Telegram)."""
    if channel == "sms" and len(address) >= 8:
        return f"{address[:4]}***{address[-4:]}"
    return address


async def list_failed(
    rt: Runtime, session: AsyncSession, actor: str, since: datetime | None = None
) -> Sequence[Outbox]:
    await require(session, actor, "outbox")
    rows = await store.failed(session, since)
    await admin.audit(session, actor, "outbox.failed", "", after={"listed": len(rows)})
    return rows


async def retry_failed(
    rt: Runtime, session: AsyncSession, actor: str, ids: Sequence[int] | None
) -> list[int]:
    """Requeue the given failed rows, or every failed row when `ids` is None."""
    await require(session, actor, "outbox")
    wanted = list(ids) if ids is not None else await store.failed_ids(session)
    done = await store.retry(session, wanted, rt.clock())
    target = "all-failed" if ids is None else ",".join(map(str, wanted))[:120]
    await admin.audit(session, actor, "outbox.retry", target, after={"requeued": done})
    return done


def describe(rt: Runtime, row: Outbox) -> str:
    """One line per failed row, in the order an operator reads it."""
    when = row.created_at.astimezone(rt.settings.tz).strftime("%Y-%m-%d %H:%M")
    where = f"{row.channel}:{mask_address(row.channel, row.address)}"
    return f"{row.id}\t{when}\t{row.kind}\t{where}\t{row.error or ''}"
