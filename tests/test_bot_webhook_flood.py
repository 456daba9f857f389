"""Webhook mode with its secret header, flood control, redelivery and the error hint."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.flood import LIMIT, FloodGuard
from bot.webhook import HEADER, PATH
from handlers.runtime import Runtime
from storage.models import Conversation, Outbox
from tests.bot_kit import Chat, bot_settings, datas, running_bot, seeded_runtime, webhook_bot
from tests.fakes.botapi import FakeBotAPI

SECRET = "s3cret_Token-1"


@pytest.fixture
async def hooked(settings, botapi: FakeBotAPI) -> AsyncIterator[tuple[Runtime, TestClient]]:
    async with webhook_bot(settings, botapi, SECRET) as hooked:
        yield hooked


async def conversations(rt: Runtime) -> int:
    async with rt.db.session() as s:
        return await s.scalar(select(func.count()).select_from(Conversation)) or 0


async def test_webhook_checks_the_secret(botapi, hooked):
    rt, client = hooked
    assert botapi.webhook == {"url": "https://bot.example/telegram/webhook", "secret_token": SECRET}
    update = botapi.text_update(701, "/start")
    for headers in ({}, {HEADER: "wrong"}, {HEADER: SECRET + "x"}):
        resp = await client.post(PATH, json=update, headers=headers)
        assert resp.status == 403
    assert await conversations(rt) == 0 and botapi.messages_to(701) == []
    for body in ("{not json", "[1, 2]", '{"update_id": "x"}', '{"update_id": 5, "message": 7}'):
        resp = await client.post(PATH, data=body, headers={HEADER: SECRET})
        assert resp.status == 400, body
    resp = await client.post(PATH, json=update, headers={HEADER: SECRET})
    assert resp.status == 200
    hello = await botapi.wait_for_message(701)
    assert "خوش آمدید" in hello.text and datas(hello)[0] == "lang:fa"


async def test_redelivered_update_is_answered_once(botapi, hooked):
    rt, client = hooked
    update = botapi.text_update(703, "/start")
    # Telegram posts the same update again when it did not see our 200 in time.
    for _ in range(2):
        assert (await client.post(PATH, json=update, headers={HEADER: SECRET})).status == 200
    helps = botapi.text_update(703, "/help")
    assert (await client.post(PATH, json=helps, headers={HEADER: SECRET})).status == 200
    await botapi.wait_for_message(703, lambda m: "/cancel" in (m.content or ""))
    texts = [m.content or "" for m in botapi.messages_to(703)]
    assert sum("خوش آمدید" in t for t in texts) == 1
    async with rt.db.session() as s:
        keys = list(await s.scalars(select(Outbox.key).where(Outbox.address == "703")))
    assert len(keys) == 2


@pytest.fixture
async def bot(settings, botapi) -> AsyncIterator[Runtime]:
    rt = await seeded_runtime(bot_settings(settings, botapi, telegram_flood_limit=LIMIT))
    try:
        async with running_bot(rt) as runner:
            rt_bot = runner  # keep a handle for tests that look at the adapter
            vars(rt)["_runner"] = rt_bot
            yield rt
    finally:
        await rt.close()


async def test_a_flood_is_slowed_down_not_served(botapi, bot):
    guard: FloodGuard = vars(bot)["_runner"].application.bot_data["adapter"].flood
    for i in range(40):
        botapi.push(botapi.text_update(702, f"msg {i}"))
    slow = await botapi.wait_for_message(702, lambda m: "صبر کنید" in (m.content or ""))
    assert slow is not None
    # Ignored updates produce nothing to wait for by design: the guard's count is the signal.
    async with asyncio.timeout(10):
        while guard._checks < 40:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    texts = [m.content or "" for m in botapi.messages_to(702)]
    assert sum("صبر کنید" in t for t in texts) == 1
    assert len(texts) == LIMIT + 1  # LIMIT answers, one slow-down, the rest ignored


async def test_unexpected_messages_get_a_hint(botapi, bot):
    chat = Chat(botapi, 704)
    update = botapi._user_message(
        704, None, "Ali", None, location={"latitude": 32.8, "longitude": 59.2}
    )
    botapi.push(update)
    assert "متوجه نشدم" in (await chat.next()).text
    stale = await chat.press("nonsense:data")
    assert stale.text.startswith("این دکمه دیگر کار نمی‌کند") and "menu:status" in datas(stale)
    assert "متوجه نشدم" in (await chat.say("<script>alert(1)</script>")).text


async def test_a_failure_inside_gets_a_hint_not_silence(botapi, bot, caplog):
    chat = Chat(botapi, 705)
    botapi.fail_next("getFile", 400, "Bad Request: temporarily unavailable")
    sorry = await chat.photo(b"\xff\xd8\xff" + b"\x00" * 100)
    assert "مشکلی پیش آمد" in sorry.text and "menu:home" in datas(sorry)
    assert botapi.token not in caplog.text
    assert "متوجه نشدم" in (await chat.say("hello")).text  # and the bot carries on


async def test_a_burst_at_one_message_a_second_gets_one_notice_and_a_few_answers(settings, botapi):
    # The production send limit: one message a second to one chat. Counted when each update is
    # handled, the 30 updates were spread over 30 seconds and all answered; counted on arrival,
    # the burst is seen for what it is.
    rt = await seeded_runtime(
        bot_settings(settings, botapi, telegram_chat_rate=1.0, telegram_flood_limit=LIMIT)
    )
    try:
        async with running_bot(rt) as runner:
            guard: FloodGuard = runner.application.bot_data["adapter"].flood
            for i in range(30):
                botapi.push(botapi.text_update(706, f"msg {i}"))
            await botapi.wait_for_message(706, lambda m: "صبر کنید" in (m.content or ""))
            async with asyncio.timeout(20):
                while guard._checks < 30:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            await asyncio.sleep(1.5)  # anything still queued for this chat goes out
    finally:
        await rt.close()
    texts = [m.content or "" for m in botapi.messages_to(706)]
    print(f"{len(texts)} messages for 30 sent: {sum('صبر کنید' in t for t in texts)} notice")
    assert sum("صبر کنید" in t for t in texts) == 1
    assert len(texts) <= LIMIT + 1 and LIMIT <= 6
