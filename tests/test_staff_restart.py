"""Staff flows live in the database: a new process (runtime and Application) carries on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest
from sqlalchemy import select

from bot.runtime import open_runtime
from bot.staff_state import CHANNEL, STAFF_TTL, staff_ids
from handlers.runtime import Runtime
from handlers.settings import Settings
from storage import admin
from storage.models import Application, Broadcast, Conversation
from tests.bot_kit import Chat, bot_settings, datas, running_bot, seeded_runtime
from tests.fakes.botapi import FakeBotAPI
from tests.staff_seed import BROADCASTER, REVIEWER, add_slip

Process = Callable[[], AbstractAsyncContextManager[Runtime]]


@pytest.fixture
async def process(settings: Settings, botapi: FakeBotAPI) -> AsyncIterator[Process]:
    """Starts one bot process (runtime and Application) on the shared database, then ends it."""
    s = bot_settings(settings, botapi)
    rt = await seeded_runtime(s)
    async with rt.db.session() as session:
        for tid, role in ((REVIEWER, "reviewer"), (BROADCASTER, "broadcaster")):
            await admin.add_staff(session, "test", tid, role)
    await rt.close()

    @asynccontextmanager
    async def one() -> AsyncIterator[Runtime]:
        rt = await open_runtime(s)
        try:
            async with running_bot(rt):
                yield rt
        finally:
            await rt.close()

    yield one


async def staff_row(rt: Runtime, tid: int) -> Conversation:
    async with rt.db.session() as s:
        row = await s.scalar(
            select(Conversation).where(
                Conversation.channel == CHANNEL, Conversation.chat_id == str(tid)
            )
        )
    assert row is not None
    return row


async def test_broadcast_continues_across_restarts(botapi, process):
    chat = Chat(botapi, BROADCASTER)
    async with process():
        await chat.say("/broadcast")
        more = await chat.say("طرح آمایش از فردا آغاز می‌شود.")
        assert "sb:seg" in datas(more)
    async with process() as rt:
        ask = await chat.press("sb:seg")
        assert ask.text == rt.t("fa", "staff.tg.bc.ask_segment")
    async with process() as rt:
        preview = await chat.say("province=خراسان جنوبی")  # the step is awaited after a restart
        assert "گیرندگان: ۳" in preview.text and "ریال" in preview.text
        assert datas(preview) == ["sb:send", "sb:at", "sb:discard"]
        row = await staff_row(rt, BROADCASTER)
        assert row.step == "bc" and row.data["bc"]["texts"] == {
            "fa": "طرح آمایش از فردا آغاز می‌شود."
        }
        assert "چیزی فرستاده نشد" in (await chat.press("sb:discard")).text
        menu = await chat.say("سلام")  # no flow left: the text goes to the ordinary dialog
        assert "menu:status" in datas(menu)
        async with rt.db.session() as s:
            assert await s.scalar(select(Broadcast)) is None
        assert (await staff_row(rt, BROADCASTER)).data == {}


async def test_typed_rejection_reason_after_a_restart(botapi, process):
    chat = Chat(botapi, REVIEWER)
    async with process() as rt:
        rid = await add_slip(rt)
        await chat.say("/review")
        await chat.press(f"rv:no:{rid}")
        ask = await chat.press(f"rv:t:{rid}")
        assert ask.text == rt.t("fa", "staff.review.type_reason")
    async with process() as rt:
        assert "رد شد" in (await chat.say("تاریخ فیش ناخواناست")).text
        assert (await chat.next()).text == rt.t("fa", "staff.review.empty")
        async with rt.db.session() as s:
            assert (await s.scalar(select(Application))).status == "awaiting_payment"
        assert (await staff_row(rt, REVIEWER)).step == "idle"


async def test_someone_made_staff_elsewhere_is_known_within_the_ttl(rt):
    """Each process re-reads who is staff at most every STAFF_TTL (a national's text skips it)."""
    now = rt.clock()
    rt.clock = lambda: now
    assert await staff_ids(rt) == frozenset()
    async with rt.db.session() as session:  # another process (the CLI) adds a reviewer
        await admin.add_staff(session, "test", REVIEWER, "reviewer")
    rt.clock = lambda: now + STAFF_TTL / 2
    assert await staff_ids(rt) == frozenset()
    rt.clock = lambda: now + STAFF_TTL
    assert await staff_ids(rt) == {REVIEWER}
