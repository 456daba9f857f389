"""Household queries: who a head of household may act and read for."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import National


async def members(session: AsyncSession, national: National) -> Sequence[National]:
    """The national and, when they head a household, its other members (self first)."""
    if not national.is_head or national.household_id is None:
        return [national]
    rows = await session.scalars(
        select(National)
        .where(National.household_id == national.household_id)
        .order_by(National.is_head.desc(), National.birth_year, National.id)
    )
    found = list(rows)
    return found if any(n.id == national.id for n in found) else [national, *found]


async def visible_ids(session: AsyncSession, national: National) -> set[int]:
    """Ids whose personal data this national may see: self, plus household if head."""
    return {n.id for n in await members(session, national)}


async def national_by_id(session: AsyncSession, national_id: int) -> National | None:
    return await session.get(National, national_id)


async def national_by_card(session: AsyncSession, card_number: str) -> National | None:
    return await session.scalar(select(National).where(National.card_number == card_number))
