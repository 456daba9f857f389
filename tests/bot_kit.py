"""Helpers for driving the real bot Application against the fake Bot API (tests/fakes/botapi)."""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from sqlalchemy import select

from bot.inbox import Inbox, bot_key
from bot.runtime import open_runtime
from bot.server import init_app
from bot.webhook import TelegramRunner
from handlers.demo import load_demo
from handlers.runtime import Runtime
from handlers.settings import Settings
from sms.inbound import install_sms_routes
from storage.models import National
from tests.fakes.botapi import FakeBotAPI, SentMessage

ALI, ALI_YEAR, ALI_MOBILE = "100200300", "1360", "09151234567"
GOL = "200300400"


def bot_settings(settings: Settings, fake: FakeBotAPI, **extra: Any) -> Settings:
    """The test settings pointed at the fake, with send limits that never slow a test down."""
    return settings.model_copy(
        update={
            "telegram_token": SecretStr(fake.token),
            "telegram_api_url": fake.url,
            "telegram_rate": 10_000.0,
            "telegram_chat_rate": 1_000.0,
            "telegram_flood_limit": 1_000,  # tests type faster than people; flood tests set it
            **extra,
        }
    )


async def stored_not_run(rt: Runtime, fake: FakeBotAPI, *updates: dict[str, Any]) -> None:
    """Updates stored as the webhook stores them before the inbox has caught up (a restarted
    process working through what piled up): in the inbox, not yet run (the backlog)."""
    await Inbox(rt, bot_key(fake.token)).accept([(u, None) for u in updates])


async def seeded_runtime(settings: Settings) -> Runtime:
    rt = await open_runtime(settings)
    async with rt.db.session() as s:
        now = rt.clock()
        await load_demo(s, now.astimezone(settings.tz).date(), now)
    return rt


@asynccontextmanager
async def running_bot(rt: Runtime) -> AsyncIterator[TelegramRunner]:
    """The Application in long-polling mode, as `amayesh run` starts it."""
    runner = TelegramRunner(rt)
    await runner.start()
    vars(rt)["_runner"] = runner
    try:
        yield runner
    finally:
        await runner.stop()
        await rt.delivery.close()


@asynccontextmanager
async def webhook_bot(
    settings: Settings, fake: FakeBotAPI, secret: str, **extra: Any
) -> AsyncIterator[tuple[Runtime, TestClient]]:
    """The bot in webhook mode behind the real aiohttp app (plus the SMS routes), demo data."""
    s = bot_settings(settings, fake, webhook_url="https://bot.example/telegram/webhook")
    rt = await seeded_runtime(s.model_copy(update={"webhook_secret": SecretStr(secret), **extra}))
    runner = TelegramRunner(rt)
    client = TestClient(TestServer(init_app(rt, [install_sms_routes, *runner.routes()])))
    await client.start_server()
    await runner.start()
    vars(rt)["_runner"] = runner
    try:
        yield rt, client
    finally:
        await runner.stop()
        await rt.delivery.close()
        await client.close()
        await rt.close()


def current_runner(rt: Runtime) -> TelegramRunner:
    """The runner running_bot started for this runtime (its Application, its inbox)."""
    return vars(rt)["_runner"]  # type: ignore[no-any-return]


async def national_id(rt: Runtime, card: str) -> int:
    async with rt.db.session() as s:
        nid = await s.scalar(select(National.id).where(National.card_number == card))
    assert nid is not None
    return nid


def buttons(msg: SentMessage) -> list[tuple[str, str]]:
    """(label, data) of every inline button, row by row."""
    rows = (msg.reply_markup or {}).get("inline_keyboard", [])
    return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


def datas(msg: SentMessage) -> list[str]:
    return [d for _, d in buttons(msg)]


class Chat:
    """One user talking to the bot through the fake server."""

    def __init__(self, fake: FakeBotAPI, chat_id: int) -> None:
        self.fake, self.id = fake, chat_id

    async def next(self, contains: str | None = None) -> SentMessage:
        pred = None if contains is None else (lambda m: contains in (m.content or ""))
        return await self.fake.wait_for_message(self.id, pred)

    async def say(self, text: str, contains: str | None = None) -> SentMessage:
        self.fake.push(self.fake.text_update(self.id, text))
        return await self.next(contains)

    async def press(self, data: str, contains: str | None = None) -> SentMessage:
        self.fake.push(self.fake.callback_update(self.id, data))
        return await self.next(contains)

    async def photo(self, data: bytes, contains: str | None = None) -> SentMessage:
        self.fake.push(self.fake.photo_update(self.id, data))
        return await self.next(contains)

    async def document(
        self, data: bytes, name: str, mime: str, contains: str | None = None
    ) -> SentMessage:
        self.fake.push(self.fake.document_update(self.id, data, name, mime))
        return await self.next(contains)

    async def link_by_contact(
        self, card: str = ALI, year: str = ALI_YEAR, mobile: str = ALI_MOBILE
    ) -> SentMessage:
        """The whole linking conversation with the share-contact button; returns the menu."""
        await self.press("link:start")
        await self.say(card)
        await self.say(year)  # the share-contact keyboard
        await self.next()  # the SMS-code alternative
        self.fake.push(self.fake.contact_update(self.id, mobile, self.id))
        await self.next("✅")
        return await self.next()


def png(width: int = 64, height: int = 48, noise: bytes = b"") -> bytes:
    """A small, valid PNG (what a phone camera would send, in miniature)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    raw = b"".join(b"\x00" + bytes([(x + len(noise)) % 256] * width * 3) for x in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"tEXt", b"c\x00" + noise)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
