"""Shared set-up for the national-facing feature tests: a fixed clock, demo data, a Ctx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from sqlalchemy import select

from handlers.base import Ctx, Reply
from handlers.demo import load_demo
from handlers.runtime import Runtime
from storage.models import National

# Monday 2 Azar 1405, 13:30 in Tehran.
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def freeze(rt: Runtime, now: datetime = NOW) -> None:
    rt.clock = lambda: now


async def seed(rt: Runtime) -> None:
    """The demo campaign (open today) and households H-1001, H-2002, H-3003."""
    now = rt.clock()
    async with rt.db.session() as s:
        await load_demo(s, now.astimezone(rt.settings.tz).date(), now)


@asynccontextmanager
async def ctx_for(
    rt: Runtime,
    card: str | None = None,
    *,
    lang: str = "fa",
    channel: str = "telegram",
    address: str = "5001",
) -> AsyncIterator[Ctx]:
    """A Ctx in one committed transaction, linked to the national with `card` if given."""
    async with rt.db.session() as s:
        national = None
        if card is not None:
            national = await s.scalar(select(National).where(National.card_number == card))
            assert national is not None
        yield Ctx(rt=rt, session=s, channel=channel, address=address, lang=lang, national=national)


def button_data(reply: Reply) -> list[str]:
    return [b.data for row in reply.buttons for b in row]
