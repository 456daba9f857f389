"""Shared pieces of the delivery tests: a registry of people, a runtime wired to the fakes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import func, insert, select

from bot.runtime import open_runtime
from bot.worker import run_worker
from handlers.runtime import Runtime
from handlers.settings import Settings, load_settings
from storage.models import Contact, National, Outbox, Subscription, utcnow
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.kavenegar import FakeKavenegar

SENDER = "10004346"


def wired_settings(
    db_url: str, botapi: FakeBotAPI | None, kavenegar: FakeKavenegar | None, **extra: Any
) -> Settings:
    kw: dict[str, Any] = dict(database_url=db_url, quiet_hours="", http_port=0)
    if botapi is not None:
        kw |= dict(telegram_token=botapi.token, telegram_api_url=botapi.url)
    if kavenegar is not None:
        kw |= dict(kavenegar_api_key=kavenegar.valid_key, kavenegar_api_url=kavenegar.url,
                   sms_sender=SENDER)  # fmt: skip
    return load_settings(**(kw | extra))


async def wired_runtime(settings: Settings) -> Runtime:
    return await open_runtime(settings)


def person(i: int, **over: Any) -> dict[str, Any]:
    row = dict(
        card_number=f"C{i:07d}", first_name=f"n{i}", last_name="x", father_name="", birth_year=1370,
        gender="M", nationality="AF", province="خراسان جنوبی", city="بیرجند",
        mobile=f"0915{i:07d}", card_expiry=date(2026, 1, 1), language="fa", card_round=17,
        is_head=True, created_at=utcnow(), updated_at=utcnow(),
    )  # fmt: skip
    return row | over


async def add_people(rt: Runtime, rows: list[dict[str, Any]]) -> list[int]:
    async with rt.db.session() as s:
        await s.execute(insert(National), rows)
        cards = [r["card_number"] for r in rows]
        got = await s.execute(select(National.card_number, National.id).where(
            National.card_number.in_(cards)))  # fmt: skip
        ids = dict(got.all())
    return [ids[c] for c in cards]


async def link_chat(rt: Runtime, national_id: int, chat_id: int) -> None:
    async with rt.db.session() as s:
        s.add(Contact(national_id=national_id, channel="telegram", address=str(chat_id)))


async def opt_out(
    rt: Runtime, *, national_id: int | None = None, mobile: str | None = None
) -> None:
    async with rt.db.session() as s:
        if national_id is not None:
            s.add(Subscription(national_id=national_id, channel="telegram",
                               address=f"n{national_id}", subscribed=False))  # fmt: skip
        if mobile is not None:
            s.add(Subscription(channel="sms", address=mobile, subscribed=False))


async def rows(rt: Runtime, **where: Any) -> list[Outbox]:
    async with rt.db.session() as s:
        q = select(Outbox).order_by(Outbox.id)
        for k, v in where.items():
            q = q.where(getattr(Outbox, k) == v)
        return list((await s.scalars(q)).all())


async def count_states(rt: Runtime) -> dict[str, int]:
    async with rt.db.session() as s:
        got = await s.execute(select(Outbox.state, func.count()).group_by(Outbox.state))
        return dict(got.all())


async def run_until(
    rt: Runtime, done: Callable[[dict[str, int]], bool], limit: float = 20, **kw: Any
) -> dict[str, int]:
    """Run the real worker loop until `done(counts by state)`; then stop it cleanly."""
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(rt, stop, poll=0.05, **kw))
    try:
        async with asyncio.timeout(limit):
            while not done(counts := await count_states(rt)):
                if task.done():
                    task.result()
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task
    return counts


def settled(counts: dict[str, int]) -> bool:
    """Nothing waiting or in flight."""
    return not counts.get("queued") and not counts.get("sending")
