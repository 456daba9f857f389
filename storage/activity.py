"""Countable events for the daily report: one row per thing a person did."""

from __future__ import annotations

from datetime import datetime

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
