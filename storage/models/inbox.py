"""Updates as they came in from Telegram/Bale, stored before they are acknowledged."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, BigId, utcnow

_PENDING = "handled_at IS NULL"


class InboxUpdate(Base):
    """One update of one bot; `handled_at` is set in the transaction that acted on it."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("bot", "update_id", name="uq_inbox_bot_update"),
        # Only the unhandled few: the sweep and the backlog figure read this, never the history.
        Index("ix_inbox_pending", "bot", "id", postgresql_where=text(_PENDING),
              sqlite_where=text(_PENDING)),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bot: Mapped[str] = mapped_column(String(32))  # the bot's numeric id (token prefix)
    update_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[str | None] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(default=0)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None]
