"""Messages that could go nowhere: listing them for staff, and sending them again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Outbox
from storage.outbox import default_deadline, route


async def failed(
    session: AsyncSession, since: datetime | None = None, limit: int = 500
) -> Sequence[Outbox]:
    """Failed rows, newest first (one-time codes included: staff must see them too)."""
    q = select(Outbox).where(Outbox.state == "failed")
    if since is not None:
        q = q.where(Outbox.created_at >= since)
    return (await session.scalars(q.order_by(Outbox.id.desc()).limit(limit))).all()


async def failed_ids(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(Outbox.id).where(Outbox.state == "failed")))


async def retry(session: AsyncSession, ids: Sequence[int], now: datetime) -> list[int]:
    """Queue failed rows again, each by the national's best channel today (the chat may take
    messages again, or a mobile may have been added); one-time codes are not resent (their
    code is scrubbed and expired: the national asks for a new one). Returns the ids requeued."""
    rows = (await session.scalars(
        select(Outbox).where(Outbox.id.in_(list(ids)), Outbox.state == "failed",
                             Outbox.kind != "otp").with_for_update()
    )).all()  # fmt: skip
    done = []
    for row in rows:
        channel, address = row.channel, row.address
        if row.national_id is not None and (where := await route(session, row.national_id)):
            channel, address = where
        await session.execute(
            update(Outbox).where(Outbox.id == row.id).values(
                state="queued", channel=channel, address=address, due_at=now, attempts=0,
                deadline_at=default_deadline(row.kind, now), lease_owner=None, lease_until=None,
                fell_back=row.fell_back and channel == "sms",
                error=f"retried after: {row.error or ''}"[:200],
            )
        )  # fmt: skip
        done.append(row.id)
    return done
