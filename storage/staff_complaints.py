"""The staff side of complaints: the open queue (overdue first), answers and closing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Complaint


async def open_queue(
    session: AsyncSession, limit: int = 20, offset: int = 0
) -> Sequence[Complaint]:
    """Open complaints, earliest deadline first: the overdue ones come at the top."""
    stmt = (
        select(Complaint)
        .where(Complaint.state == "open")
        .order_by(Complaint.due_at, Complaint.id)
        .limit(limit)
        .offset(offset)
    )
    return (await session.scalars(stmt)).all()


async def find(session: AsyncSession, ident: str) -> Complaint | None:
    """By code (C-1405-000012) or id, locked for the caller's change."""
    where = Complaint.id == int(ident) if ident.isdigit() else Complaint.code == ident.upper()
    return await session.scalar(select(Complaint).where(where).with_for_update())


def set_answer(complaint: Complaint, answer: str, now: datetime) -> None:
    complaint.answer, complaint.state, complaint.answered_at = answer, "answered", now


def set_closed(complaint: Complaint, now: datetime) -> None:
    complaint.state, complaint.closed_at = "closed", now
