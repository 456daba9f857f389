"""Rows held while the SMS account cannot send, and alerts to the admins' chats."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import affected
from storage.models import Outbox, Staff
from storage.outbox import enqueue


def _held(prefix: str) -> list[ColumnElement[bool]]:
    return [Outbox.state == "held", Outbox.error.like(f"{prefix}%")]


async def held_count(session: AsyncSession, prefix: str) -> int:
    """Rows the sender held for an account-level error (not a paused broadcast's)."""
    q = select(func.count()).select_from(Outbox).where(*_held(prefix))
    return await session.scalar(q) or 0  # a count always has its row: `or 0` is for the type


async def release_held(session: AsyncSession, prefix: str, now: datetime) -> int:
    result = await session.execute(
        update(Outbox).where(*_held(prefix)).values(state="queued", due_at=now)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    return affected(result) or 0


async def alert_admins(session: AsyncSession, key: str, text: str) -> int:
    """Queue `text` to every active admin's chat, once per `key` (urgent: staff must know)."""
    ids = await session.scalars(
        select(Staff.telegram_id).where(Staff.role == "admin", Staff.active.is_(True))
    )
    n = 0
    for tid in ids:
        row = await enqueue(session, key=f"{key}:{tid}", kind="alert", channel="telegram",
                            address=str(tid), text=text, urgent=True)  # fmt: skip
        n += row is not None
    return n
