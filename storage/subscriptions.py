"""Announcement choices per (channel, address), tied to the national once linked."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Subscription, utcnow
from storage.outbox import insert_for


async def get(session: AsyncSession, channel: str, address: str) -> Subscription | None:
    return await session.scalar(
        select(Subscription).where(Subscription.channel == channel, Subscription.address == address)
    )


async def ensure(
    session: AsyncSession, channel: str, address: str, *, subscribed: bool = True
) -> Subscription:
    """The row for this address, created (with `subscribed`) if missing; race-safe."""
    stmt = insert_for(session)(Subscription).values(
        channel=channel, address=address[:64], subscribed=subscribed, provinces=[],
        updated_at=utcnow(),
    )  # fmt: skip
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["channel", "address"]))
    row = await get(session, channel, address)
    assert row is not None  # inserted above or by a concurrent transaction that committed
    return row


def choose(
    row: Subscription,
    *,
    subscribed: bool | None = None,
    provinces: list[str] | None = None,
    national_id: int | None = None,
) -> None:
    """Change what was asked for; None leaves a field as it is."""
    if subscribed is not None:
        row.subscribed = subscribed
    if provinces is not None:
        row.provinces = list(provinces)
    if national_id is not None:
        row.national_id = national_id
    row.updated_at = utcnow()
