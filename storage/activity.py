"""Countable events for the daily report: one row per thing a person did."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Activity


def record(
    session: AsyncSession, kind: str, national_id: int | None, at: datetime | None = None
) -> None:
    """Add an activity row to the caller's transaction (counted, never shown to anyone)."""
    row = Activity(kind=kind[:32], national_id=national_id)
    if at is not None:
        row.at = at
    session.add(row)


async def count_since(session: AsyncSession, kind: str, national_id: int, since: datetime) -> int:
    """How many `kind` events about this national since `since`."""
    q = (
        select(func.count())
        .select_from(Activity)
        .where(Activity.kind == kind, Activity.at > since, Activity.national_id == national_id)
    )
    return await session.scalar(q) or 0
