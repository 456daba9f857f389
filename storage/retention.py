"""Retention of nationals' data: what is cleared after AMAYESH_RETENTION_DAYS, and what stays.

Cleared: the text, SMS text and payload (reply buttons, file paths, tokens) of outbox rows that
were sent or delivered before the cut-off. Kept: the row itself — key, kind, national, channel,
state, times, provider reference, parts — which is what the report, cases and audits use (and
the idempotency key, so nothing is sent twice after clearing). Audit rows and cases are not
touched. Other stores add their own clearing to HOOKS: the inbox's handled updates are deleted
(storage.inbox.delete_handled; unhandled ones stay).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import inbox
from storage.db import affected
from storage.models import Outbox

CLEARED = ""
# (session, cut-off, dry_run) -> rows cleared (or that would be); named by the dict key.
Hook = Callable[[AsyncSession, datetime, bool], Awaitable[int]]
HOOKS: dict[str, Hook] = {"inbox_updates": inbox.delete_handled}
BATCH = 5000


def _old_sent(before: datetime) -> list[ColumnElement[bool]]:
    return [
        Outbox.state.in_(("sent", "delivered")),
        Outbox.sent_at.is_not(None),  # the partial index ix_outbox_sent_at
        Outbox.sent_at < before,
        Outbox.text != CLEARED,
    ]


async def clear_outbox(session: AsyncSession, before: datetime, dry_run: bool) -> int:
    """Blank texts and payloads of messages sent before `before`, in batches."""
    if dry_run:
        q = select(func.count()).select_from(Outbox).where(*_old_sent(before))
        return await session.scalar(q) or 0
    total = 0
    while True:
        ids = select(Outbox.id).where(*_old_sent(before)).limit(BATCH).scalar_subquery()
        result = await session.execute(
            update(Outbox).where(Outbox.id.in_(ids))
            .values(text=CLEARED, sms_text=None, payload=None)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
        n = affected(result) or 0
        total += n
        if n < BATCH:
            return total
