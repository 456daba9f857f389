"""Staff accounts as the console's admins manage them: every account, the admins left, sessions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import affected
from storage.models import Staff, StaffSession


async def all_staff(session: AsyncSession) -> Sequence[Staff]:
    """Active first, then the deactivated (kept: the audit log names them)."""
    rows = await session.scalars(select(Staff).order_by(Staff.active.desc(), Staff.id))
    return rows.all()


async def active_admin_ids(session: AsyncSession) -> list[int]:
    """The active admins, their rows locked on PostgreSQL so two admins demoting each other at
    once cannot both pass the last-admin check (SQLite serialises writers anyway)."""
    stmt = select(Staff.id).where(Staff.role == "admin", Staff.active.is_(True))
    return list((await session.scalars(stmt.with_for_update())).all())


async def revoke_others(session: AsyncSession, staff_id: int, keep: int, now: datetime) -> int:
    """End every session of a staff member but the one they are using."""
    result = await session.execute(
        update(StaffSession)
        .where(StaffSession.staff_id == staff_id, StaffSession.revoked_at.is_(None))
        .where(StaffSession.id != keep)
        .values(revoked_at=now)
    )
    return affected(result)
