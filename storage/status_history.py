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


def opening_events(app: Application) -> list[StatusEvent]:
    """The steps a bulk-opened case kept on itself (Application.opened_steps), as the events
    the other doors write: at the case's creation, by the system. Not added to the session."""
    steps = app.opened_steps.split(",") if app.opened_steps else []
    return [
        StatusEvent(application_id=app.id, status=step, note="", actor="system", at=app.created_at)
        for step in steps
    ]


async def history(session: AsyncSession, app: Application) -> list[StatusEvent]:
    """The case's events, oldest first, its kept opening steps (if any) before the stored ones:
    nothing can be dated before a case's creation (check_order refuses backdating)."""
    rows = await session.scalars(
        select(StatusEvent)
        .where(StatusEvent.application_id == app.id)
        .order_by(StatusEvent.at, StatusEvent.id)
    )
    return opening_events(app) + list(rows)
