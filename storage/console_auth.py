"""The staff console's sign-in: accounts by username, server-side sessions, failed attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import affected
from storage.models import SignInAttempt, Staff, StaffSession


async def staff_by_username(session: AsyncSession, username: str) -> Staff | None:
    return await session.scalar(select(Staff).where(Staff.username == username))


async def role_by_username(session: AsyncSession, username: str) -> str | None:
    return await session.scalar(
        select(Staff.role).where(Staff.username == username, Staff.active.is_(True))
    )


async def staff_by_telegram(session: AsyncSession, telegram_id: int) -> Staff | None:
    return await session.scalar(select(Staff).where(Staff.telegram_id == telegram_id))


async def username_taken(session: AsyncSession, username: str, telegram_id: int) -> bool:
    other = await session.scalar(select(Staff.telegram_id).where(Staff.username == username))
    return other is not None and other != telegram_id


async def failures_since(
    session: AsyncSession, since: datetime, *, username: str | None = None,
    address: str | None = None,
) -> int:  # fmt: skip
    stmt = select(func.count()).select_from(SignInAttempt).where(SignInAttempt.at >= since)
    if username is not None:
        stmt = stmt.where(SignInAttempt.username == username)
    if address is not None:
        stmt = stmt.where(SignInAttempt.address == address)
    return await session.scalar(stmt) or 0


def add_failure(session: AsyncSession, username: str, address: str, at: datetime) -> None:
    session.add(SignInAttempt(username=username[:64], address=address[:64], at=at))


async def open_session(
    session: AsyncSession, staff: Staff, token_hash: str, csrf: str, stage: str, address: str,
    now: datetime,
) -> StaffSession:  # fmt: skip
    row = StaffSession(token_hash=token_hash, staff_id=staff.id, csrf=csrf, stage=stage,
                       address=address[:64], created_at=now, last_seen_at=now)  # fmt: skip
    session.add(row)
    await session.flush()
    return row


async def live_session(
    session: AsyncSession, token_hash: str, idle_since: datetime
) -> tuple[StaffSession, Staff] | None:
    """The session and its (active) staff member, unless revoked or idle since `idle_since`."""
    row = await session.execute(
        select(StaffSession, Staff)
        .join(Staff, Staff.id == StaffSession.staff_id)
        .where(StaffSession.token_hash == token_hash, StaffSession.revoked_at.is_(None))
        .where(StaffSession.last_seen_at >= idle_since, Staff.active.is_(True))
    )
    found = row.first()
    return None if found is None else (found[0], found[1])


async def revoke(session: AsyncSession, session_id: int, now: datetime) -> None:
    await session.execute(
        update(StaffSession).where(StaffSession.id == session_id).values(revoked_at=now)
    )


async def revoke_all(session: AsyncSession, staff_id: int, now: datetime) -> int:
    """End every session of one staff member (a new password, removal from staff)."""
    result = await session.execute(
        update(StaffSession)
        .where(StaffSession.staff_id == staff_id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return affected(result) or 0
