"""Complaints: numbered per Jalali year without gaps from races, and found only by their owner."""

from __future__ import annotations

import uuid
import zlib
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from storage.models import Complaint

SEQ_DIGITS = 6


def code_for(year: int, seq: int) -> str:
    return f"C-{year}-{seq:0{SEQ_DIGITS}d}"


async def _serialize_numbering(session: AsyncSession, year: int) -> None:
    """Make concurrent filers take turns picking the next number of the year.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: the caller's INSERT already holds
    the database's single write lock until commit, so nothing more is needed.
    """
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(f"complaint-seq-{year}".encode())
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


async def _last_seq(session: AsyncSession, year: int) -> int:
    # Codes are zero-padded to one width, so the text maximum is the numeric maximum.
    pattern = f"C-{year}-" + "_" * SEQ_DIGITS
    last = await session.scalar(
        select(func.max(Complaint.code)).where(Complaint.code.like(pattern))
    )
    return int(last.rsplit("-", 1)[1]) if last else 0


async def create(
    session: AsyncSession,
    *,
    year: int,
    national_id: int | None,
    channel: str,
    address: str,
    body: str,
    photo_path: str | None,
    due_at: datetime,
    now: datetime,
) -> Complaint:
    """Insert the complaint, then give it the next code of `year` (C-1405-000123)."""
    row = Complaint(
        code=f"C-{year}-t{uuid.uuid4().hex[:12]}", national_id=national_id, channel=channel,
        address=address[:64], text=body, photo_path=photo_path, state="open", due_at=due_at,
        created_at=now,
    )  # fmt: skip
    session.add(row)
    await session.flush()
    await _serialize_numbering(session, year)
    code = code_for(year, await _last_seq(session, year) + 1)
    await session.execute(update(Complaint).where(Complaint.id == row.id).values(code=code))
    set_committed_value(row, "code", code)  # the row already holds it; no second UPDATE
    return row


async def by_code(session: AsyncSession, code: str) -> Complaint | None:
    return await session.scalar(select(Complaint).where(Complaint.code == code))


async def count_from(session: AsyncSession, channel: str, address: str, since: datetime) -> int:
    """Complaints filed from one chat or mobile since `since`."""
    query = select(func.count()).where(
        Complaint.channel == channel, Complaint.address == address, Complaint.created_at >= since
    )
    return await session.scalar(query) or 0
