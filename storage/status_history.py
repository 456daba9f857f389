"""A national's cases and the history of each, for the status answer."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Application, Campaign, StatusEvent


async def cases_of(
    session: AsyncSession, national_id: int, limit: int = 2
) -> Sequence[tuple[Application, Campaign]]:
    """The national's newest cases (newest campaign first) with their campaigns."""
    rows = await session.execute(
        select(Application, Campaign)
        .join(Campaign, Campaign.id == Application.campaign_id)
        .where(Application.national_id == national_id)
        .order_by(Campaign.starts_on.desc(), Application.id.desc())
        .limit(limit)
    )
    return [(a, c) for a, c in rows]


async def history(session: AsyncSession, application_id: int) -> Sequence[StatusEvent]:
    rows = await session.scalars(
        select(StatusEvent)
        .where(StatusEvent.application_id == application_id)
        .order_by(StatusEvent.at, StatusEvent.id)
    )
    return rows.all()
