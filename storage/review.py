"""Deposit-slip review: one reviewer holds a slip at a time (a lease claimed by UPDATE … WHERE)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import affected
from storage.models import Application, National, Receipt

LEASE = timedelta(minutes=10)  # long enough to look at a photo, short enough to not strand it
TRIES = 5


def _free(owner: str, now: datetime) -> ColumnElement[bool]:
    return or_(
        Receipt.lease_owner.is_(None), Receipt.lease_until < now, Receipt.lease_owner == owner
    )


async def claim_next(
    session: AsyncSession, owner: str, now: datetime, skip: Collection[int] = ()
) -> Receipt | None:
    """The oldest pending slip nobody else holds, leased to `owner`; the one it holds first."""
    for _ in range(TRIES):
        stmt = (
            select(Receipt.id)
            .where(Receipt.state == "pending", _free(owner, now))
            .order_by((Receipt.lease_owner == owner).desc(), Receipt.created_at, Receipt.id)
            .limit(1)
        )
        if skip:
            stmt = stmt.where(Receipt.id.not_in(list(skip)))
        rid = await session.scalar(stmt)
        if rid is None:
            return None
        # The guard repeats the WHERE: of two reviewers racing for this row, one updates it.
        won = await session.execute(
            update(Receipt)
            .where(Receipt.id == rid, Receipt.state == "pending", _free(owner, now))
            .values(lease_owner=owner, lease_until=now + LEASE)
            .execution_options(synchronize_session=False)
        )
        if affected(won) == 1:
            receipt = await session.get(Receipt, rid, populate_existing=True)
            return receipt
    return None


async def release(session: AsyncSession, owner: str, receipt_id: int) -> None:
    await session.execute(
        update(Receipt)
        .where(Receipt.id == receipt_id, Receipt.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )


async def held(session: AsyncSession, owner: str, receipt_id: int, now: datetime) -> Receipt | None:
    """The slip if `owner` still holds its lease and it is undecided (locked for the decision)."""
    return await session.scalar(
        select(Receipt)
        .where(Receipt.id == receipt_id, Receipt.state == "pending")
        .where(and_(Receipt.lease_owner == owner, Receipt.lease_until >= now))
        .with_for_update()
    )


def decide(receipt: Receipt, owner: str, state: str, reason: str | None, now: datetime) -> None:
    receipt.state, receipt.reason, receipt.reviewer = state, reason, owner[:64]
    receipt.reviewed_at, receipt.lease_owner, receipt.lease_until = now, None, None


async def case_of(session: AsyncSession, receipt: Receipt) -> tuple[National, Application]:
    national = await session.get(National, receipt.national_id)
    app = await session.get(Application, receipt.application_id, with_for_update=True)
    assert national is not None and app is not None
    return national, app
