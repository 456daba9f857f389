"""Planned outages: recorded once, read by the menu until they are over."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Outage


async def add(
    session: AsyncSession,
    *,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    actor: str,
    forced: bool,
    now: datetime,
) -> Outage:
    outage = Outage(starts_at=starts_at, ends_at=ends_at, reason=reason, created_by=actor[:64],
                    forced=forced, created_at=now)  # fmt: skip
    session.add(outage)
    await session.flush()
    return outage


async def active_or_upcoming(session: AsyncSession, now: datetime) -> Outage | None:
    """The outage under way, else the next one; None when none is planned."""
    return await session.scalar(
        select(Outage).where(Outage.ends_at > now).order_by(Outage.starts_at, Outage.id).limit(1)
    )


async def recent(session: AsyncSession, limit: int = 100) -> list[Outage]:
    """Planned and past outages, the latest start first (the console's list)."""
    q = select(Outage).order_by(Outage.starts_at.desc()).limit(limit)
    return list((await session.scalars(q)).all())
