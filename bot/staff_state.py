"""Where a staff member is in a Telegram flow, kept in `conversations` so a restart continues it.

One row per staff member on its own channel, apart from the same person's national dialog on
"telegram". `step` says what the flow waits for: "idle", "bc" (a broadcast draft is open),
"bc:<field>" or "reject:<receipt id>" (typed text awaited). `data` holds the broadcast draft
("bc") and the slips skipped in this round of /review ("skipped").
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from handlers.runtime import Runtime
from storage import admin
from storage import conversations as store

CHANNEL = "telegram-staff"
IDLE = "idle"
STAFF_KEY = "staff.telegram_ids"
STAFF_TTL = timedelta(seconds=30)


def parts(step: str | None) -> tuple[str, ...]:
    """The step split at ':' ("bc", "seg"); empty when no flow is open."""
    return () if step in (None, IDLE, "start") else tuple(step.split(":"))


@dataclass
class Flow:
    """The state as loaded, changed in place by the handler; `s` is the unit of work."""

    s: AsyncSession
    step: str
    data: dict[str, Any] = field(default_factory=dict)


def _key(update: Update) -> str:
    user = update.effective_user
    assert user is not None
    return str(user.id)


@asynccontextmanager
async def flow(rt: Runtime, update: Update) -> AsyncIterator[Flow]:
    """Load the sender's state (locked on PostgreSQL) and save it if changed, in one transaction.

    Handlers do their own writes in `s` too, so a stale save (another process moved this flow
    first) rolls them back with it, and a button pressed twice acts once.
    """
    async with rt.db.session() as s:
        conv = await store.load(s, CHANNEL, _key(update))
        before = (conv.step, conv.data or {})
        state = Flow(s, conv.step, copy.deepcopy(before[1]))
        yield state
        if (state.step, state.data) != before:
            await store.save(s, conv, step=state.step, data=state.data, lang=None, national_id=None)


async def waiting(rt: Runtime, update: Update) -> tuple[str, ...]:
    """The sender's open step, read without creating a row (every user's text passes here)."""
    user = update.effective_user
    if user is None or user.id not in await staff_ids(rt):
        return ()
    async with rt.db.session() as s:
        return parts(await store.step_of(s, CHANNEL, _key(update)))


async def staff_ids(rt: Runtime) -> frozenset[int]:
    """Who can have a staff flow open at all, re-read at most every STAFF_TTL.

    Every text from every national asks `waiting`; this spares them a session each. Only staff
    open flows, and staff are added from the command line, so the copy can lag only for someone
    made staff in the last STAFF_TTL (their typed answer then reaches the dialog, which hints).
    """

    async def load(now: datetime) -> tuple[frozenset[int], datetime]:
        async with rt.db.session() as s:
            return await admin.active_staff_ids(s), now + STAFF_TTL

    return await rt.remember(STAFF_KEY, load)
