"""What the main menu needs from the database: the next planned service pause."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Outage


async def next_outage(session: AsyncSession, now: datetime) -> Outage | None:
    """The outage running now, or else the soonest one planned."""
    return await session.scalar(
        select(Outage).where(Outage.ends_at > now).order_by(Outage.starts_at, Outage.id).limit(1)
    )
