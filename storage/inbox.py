"""The inbox: updates stored before they are acknowledged, and marked once acted on.

A row is written (unique by bot and update_id) before the webhook answers 200 or polling
confirms the offset; `handled_at` is set in the same transaction as what the update changed,
so an update replayed after a crash or sent again by Telegram is recognised by its own id
(not by being older than the newest one seen) and acted on once. Retention (storage.retention)
deletes handled rows after AMAYESH_RETENTION_DAYS: their payloads hold names, texts, contacts.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import affected
from storage.models import InboxUpdate, utcnow
from storage.outbox import insert_of

_T = InboxUpdate.__table__
# Built once (values as parameters): the claim runs in every update's transaction.
_CLAIM = (
    update(_T)
    .where(_T.c.bot == bindparam("b"), _T.c.update_id == bindparam("u"),
           _T.c.handled_at.is_(None))
    .values(handled_at=bindparam("now"))
)  # fmt: skip
_RELEASE = (
    update(_T)
    .where(_T.c.bot == bindparam("b"), _T.c.update_id == bindparam("u"))
    .values(handled_at=None)
)


@cache
def _store(dialect: str) -> Any:
    """INSERT of new updates that skips ones already stored and names the new ones."""
    return (
        insert_of(dialect)(_T)
        .on_conflict_do_nothing(index_elements=["bot", "update_id"])
        .returning(_T.c.update_id)
    )


async def store(
    session: AsyncSession, bot: str, updates: list[tuple[int, str | None, dict[str, Any]]]
) -> set[int]:
    """Write (update_id, chat_id, payload) rows; returns the ids that were not stored before."""
    if not updates:
        return set()
    now = utcnow()
    rows = [{"bot": bot, "update_id": uid, "chat_id": chat, "payload": body, "attempts": 0,
             "received_at": now} for uid, chat, body in updates]  # fmt: skip
    result = await session.execute(_store(session.get_bind().dialect.name), rows)
    return set(result.scalars().all())


async def claim(
    session: AsyncSession, bot: str, update_id: int, now: datetime | None = None
) -> bool:
    """Mark the update handled in the caller's transaction; False when it already was."""
    result = await session.execute(_CLAIM, {"b": bot, "u": update_id, "now": now or utcnow()})
    return bool(affected(result))


async def release(session: AsyncSession, bot: str, update_id: int) -> None:
    """Undo a claim whose work failed, so the update is tried again."""
    await session.execute(_RELEASE, {"b": bot, "u": update_id})


async def mark_handled(session: AsyncSession, bot: str, update_ids: list[int]) -> None:
    """Updates nothing claimed (groups, flood drops, membership changes) once they ran."""
    if update_ids:
        await session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.bot == bot, InboxUpdate.update_id.in_(update_ids))
            .where(InboxUpdate.handled_at.is_(None))
            .values(handled_at=utcnow())
        )


async def pending(
    session: AsyncSession, bot: str, *, limit: int, skip: set[int]
) -> list[tuple[int, dict[str, Any], int]]:
    """(update_id, payload, attempts) not yet handled, oldest first, minus `skip` (in flight)."""
    rows = await session.execute(
        select(InboxUpdate.update_id, InboxUpdate.payload, InboxUpdate.attempts)
        .where(InboxUpdate.bot == bot, InboxUpdate.handled_at.is_(None))
        .order_by(InboxUpdate.id)
        .limit(limit + len(skip))
    )
    return [(r[0], r[1], r[2]) for r in rows if r[0] not in skip][:limit]


async def count_attempt(session: AsyncSession, bot: str, update_ids: list[int]) -> None:
    if update_ids:
        await session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.bot == bot, InboxUpdate.update_id.in_(update_ids))
            .values(attempts=InboxUpdate.attempts + 1)
        )


async def backlog(session: AsyncSession) -> int:
    """Updates stored but not yet handled, every bot (a health figure for operators)."""
    n = await session.scalar(
        select(func.count()).select_from(InboxUpdate).where(InboxUpdate.handled_at.is_(None))
    )
    return int(n or 0)


async def delete_handled(session: AsyncSession, before: datetime, dry_run: bool) -> int:
    """Handled updates received before `before` (a retention hook). Unhandled ones stay at any
    age: they are work not yet done. Telegram resends an update for a day at most, so an id
    this old needs no row to be recognised."""
    where = (InboxUpdate.handled_at.is_not(None), InboxUpdate.received_at < before)
    if dry_run:
        q = select(func.count()).select_from(InboxUpdate).where(*where)
        return int(await session.scalar(q) or 0)
    result = await session.execute(delete(InboxUpdate).where(*where))
    return affected(result) or 0
