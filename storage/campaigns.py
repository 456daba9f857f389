"""Campaign queries for nationals: which rounds are open, coming or just closed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sms.text import fold_keyword
from storage.models import Campaign

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
