"""Conversation state per (channel, chat): loaded and locked per update, saved with a version."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import affected
from storage.models import Conversation, National, Outbox, utcnow
from storage.outbox import insert_of


class StaleConversation(Exception):
    """Another update saved this conversation first; the caller retries."""


# Built once: the values travel as parameters, so each update reuses SQLAlchemy's compiled
# statement instead of building and hashing a new one (this pair runs on every update).
_BY_CHAT = select(Conversation).where(
    Conversation.channel == bindparam("channel"), Conversation.chat_id == bindparam("chat_id")
)
_BY_CHAT_LOCKED = _BY_CHAT.with_for_update()
_T = Conversation.__table__
_SAVE = (
    update(_T)
    .where(_T.c.id == bindparam("conv_id"), _T.c.version == bindparam("seen_version"))
    .values(step=bindparam("new_step"), data=bindparam("new_data", type_=_T.c.data.type),
            lang=bindparam("new_lang"), national_id=bindparam("new_national_id"),
            version=_T.c.version + 1, updated_at=bindparam("now"))
)  # fmt: skip


@cache
def _first_contact(dialect: str) -> Any:
    """INSERT of a new chat's row that yields to a concurrent one (built once per dialect)."""
    return (
        insert_of(dialect)(_T)
        .values(channel=bindparam("channel"), chat_id=bindparam("chat_id"), step="start",
                data={}, version=0, updated_at=bindparam("now"))
        .on_conflict_do_nothing(index_elements=["channel", "chat_id"])
    )  # fmt: skip


async def load(session: AsyncSession, channel: str, chat_id: str) -> Conversation:
    """The chat's conversation row, created on first contact; locked on PostgreSQL."""
    dialect = session.get_bind().dialect.name
    query = _BY_CHAT_LOCKED if dialect == "postgresql" else _BY_CHAT
    params = {"channel": channel, "chat_id": chat_id}
    conv = await session.scalar(query, params)
    if conv is not None:
        return conv
    await session.execute(_first_contact(dialect), params | {"now": utcnow()})
    conv = await session.scalar(query.execution_options(populate_existing=True), params)
    assert conv is not None
    return conv


async def save(
    session: AsyncSession,
    conv: Conversation,
    *,
    step: str,
    data: dict[str, Any],
    lang: str | None,
    national_id: int | None,
) -> None:
    """Write the new state only if nobody else did since we read it (optimistic version)."""
    params = {"conv_id": conv.id, "seen_version": conv.version, "new_step": step,
              "new_data": data, "new_lang": lang, "new_national_id": national_id,
              "now": utcnow()}  # fmt: skip
    result = await session.execute(_SAVE, params)
    if affected(result) != 1:
        raise StaleConversation(f"conversation {conv.id} changed under us")


async def step_of(session: AsyncSession, channel: str, chat_id: str) -> str | None:
    """The chat's step without creating or locking its row (None when it has none)."""
    return await session.scalar(
        select(Conversation.step).where(
            Conversation.channel == channel, Conversation.chat_id == chat_id
        )
    )


async def national(session: AsyncSession, national_id: int | None) -> National | None:
    return await session.get(National, national_id) if national_id else None


async def lang_of(session: AsyncSession, channel: str, chat_id: str) -> str | None:
    return await session.scalar(
        select(Conversation.lang).where(
            Conversation.channel == channel, Conversation.chat_id == chat_id
        )
    )


async def otp_sent_since(session: AsyncSession, since: datetime) -> list[tuple[str, str]]:
    """(mobile, text) of one-time codes queued since `since` (the shell shows them in demos)."""
    rows = await session.execute(
        select(Outbox.address, Outbox.text)
        .where(Outbox.kind == "otp", Outbox.created_at >= since)
        .order_by(Outbox.id)
    )
    return [(r[0], r[1]) for r in rows]
