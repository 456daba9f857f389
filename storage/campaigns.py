"""Campaign queries: which rounds are open, coming or just closed; what an edit must respect."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Application, Broadcast, Campaign
from storage.text import fold_keyword

# A campaign that closed longer ago than this is history, not a "window closed" answer.
RECENT_DAYS = 365


async def current_and_recent(session: AsyncSession, today: date) -> Sequence[Campaign]:
    """Campaigns not ended more than RECENT_DAYS ago, oldest start first (a handful of rows)."""
    since = today - timedelta(days=RECENT_DAYS)
    rows = await session.scalars(
        select(Campaign).where(Campaign.ends_on >= since).order_by(Campaign.starts_on, Campaign.id)
    )
    return rows.all()


def covers(campaign: Campaign, province: str | None) -> bool:
    """An empty province list means the whole country; names compare ZWNJ- and ي/ی-blind."""
    if not campaign.provinces or province is None:
        return True
    return fold_keyword(province) in {fold_keyword(p) for p in campaign.provinces}


def is_open(campaign: Campaign, today: date) -> bool:
    return campaign.starts_on <= today <= campaign.ends_on


async def provinces_in_campaigns(session: AsyncSession, today: date) -> list[str]:
    """Provinces named by current or recent campaigns, for the subscription menu."""
    names: set[str] = set()
    for c in await current_and_recent(session, today):
        names.update(c.provinces)
    return sorted(names)


async def case_count(session: AsyncSession, campaign_id: int) -> int:
    """How many cases the campaign has (any status): what editing it must not pull the rug from."""
    stmt = select(func.count()).select_from(Application)
    return await session.scalar(stmt.where(Application.campaign_id == campaign_id)) or 0


async def unfinished_broadcasts(session: AsyncSession, campaign: Campaign) -> int:
    """Broadcasts not yet done whose segment names the campaign (by code or id): a scheduled one
    finds its audience by that name when it starts. A handful of rows, filtered here because
    the segment is JSON (no portable JSON path on SQLite and PostgreSQL alike)."""
    rows = await session.scalars(
        select(Broadcast.segment).where(Broadcast.state.in_(("draft", "scheduled", "running",
                                                             "paused")))
    )  # fmt: skip
    names = {campaign.code, str(campaign.id)}
    return sum(1 for seg in rows.all() if str((seg or {}).get("campaign", "")) in names)


async def code_taken(session: AsyncSession, code: str, campaign_id: int) -> bool:
    other = await session.scalar(select(Campaign.id).where(Campaign.code == code))
    return other is not None and other != campaign_id
