"""The inbox in one process: stored before acknowledged, acted on once per update id, button
presses that survive a refused answerCallbackQuery, blocks, hostile bodies and NUL bytes."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from telegram import Update

from bot.webhook import HEADER, PATH
from handlers.runtime import Runtime
from storage import admin
from storage import inbox as inbox_store
from storage.models import AuditLog, Complaint, Contact, InboundSms, InboxUpdate
from tests.bot_kit import ALI, Chat, current_runner, national_id, webhook_bot
from tests.fakes.botapi import FakeBotAPI
from tests.sms_support import SECRET as SMS_SECRET
from tests.staff_seed import ADMIN

SECRET = "inbox_Secret-1"
TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


@pytest.fixture
async def hooked(settings, botapi: FakeBotAPI) -> AsyncIterator[tuple[Runtime, TestClient]]:
    """The bot in webhook mode, the SMS routes beside it."""
    async with webhook_bot(
        settings, botapi, SECRET, inbound_secret=SecretStr(SMS_SECRET)
    ) as hooked:
        yield hooked


async def post(client: TestClient, update: dict) -> int:
    return (await client.post(PATH, json=update, headers={HEADER: SECRET})).status


async def inbox_rows(rt: Runtime) -> list[InboxUpdate]:
    async with rt.db.session() as s:
        return list(await s.scalars(select(InboxUpdate).order_by(InboxUpdate.id)))


async def test_an_update_is_stored_before_the_200_and_marked_once_handled(botapi, hooked):
    rt, client = hooked
    update = botapi.text_update(801, "/start")
    assert await post(client, update) == 200
    rows = await inbox_rows(rt)  # on disk already when Telegram got its 200
    assert [(r.update_id, r.chat_id) for r in rows] == [(update["update_id"], "801")]
    assert "خوش آمدید" in (await botapi.wait_for_message(801)).text
    rows = await inbox_rows(rt)
    assert rows[0].handled_at is not None
    async with rt.db.session() as s:
        assert await inbox_store.backlog(s) == 0


async def test_an_older_update_after_a_newer_one_is_answered(botapi, hooked):
    _, client = hooked
    older = botapi.text_update(802, "/help")
    newer = botapi.text_update(802, "/start")
    assert older["update_id"] < newer["update_id"]
    assert await post(client, newer) == 200
    assert "خوش آمدید" in (await botapi.wait_for_message(802)).text
    assert await post(client, older) == 200  # Telegram retried it late: still answered
    assert "/cancel" in (await botapi.wait_for_message(802)).text
    assert await post(client, older) == 200  # and a third time: acted on once
    assert await post(client, newer) == 200
    await botapi.wait_for_calls("sendMessage", 2)
    assert len(botapi.messages_to(802)) == 2


async def test_a_button_press_works_when_answering_the_callback_fails(botapi, bot, brt):
    botapi.fail_next("answerCallbackQuery", 400, TOO_OLD)
    reply = await Chat(botapi, 803).press("lang:en")
    assert brt.t("en", "language.saved") in reply.text
    assert botapi.calls_of("answerCallbackQuery")  # it was tried, and refused


async def test_a_replayed_update_is_acted_on_once(botapi, bot, brt):
    """A second hand-over of the same update (what the sweep does after a crash) changes
    nothing: the dialog's transaction marked its inbox row."""
    chat = Chat(botapi, 804)
    update = botapi.push(botapi.text_update(804, "/start"))
    await chat.next("خوش آمدید")
    app = current_runner(brt).application
    await app.update_queue.put(Update.de_json(update, app.bot))
    await chat.say("/help", "/cancel")
    assert len(botapi.messages_to(804)) == 2


async def test_a_block_marks_the_chat_unreachable_and_answers_nothing(botapi, bot, brt):
    chat = Chat(botapi, 805)
    await chat.say("/start")
    await chat.link_by_contact()
    sent = len(botapi.messages_to(805))
    await _until_handled(brt, botapi.push(botapi.chat_member_update(805, "kicked")))
    assert await _reachable(brt) is False
    await _until_handled(brt, botapi.push(botapi.chat_member_update(805, "member", old="kicked")))
    assert await _reachable(brt) is True
    assert len(botapi.messages_to(805)) == sent  # neither got an answer («نفهمیدم…»)


async def _reachable(rt: Runtime) -> bool:
    nid = await national_id(rt, ALI)
    async with rt.db.session() as s:
        contact = await s.scalar(select(Contact).where(Contact.national_id == nid,
                                                       Contact.channel == "telegram"))  # fmt: skip
    assert contact is not None
    return contact.reachable


async def _until_handled(rt: Runtime, update: dict) -> None:
    async with asyncio.timeout(10):
        while True:
            rows = [r for r in await inbox_rows(rt) if r.update_id == update["update_id"]]
            if rows and rows[0].handled_at is not None:
                return
            await asyncio.sleep(0.05)  # the inbox marks rows in batches


async def test_staff_answer_replayed_is_acted_on_once_and_nul_is_stripped(botapi, bot, brt):
    async with brt.db.session() as s:
        await admin.add_staff(s, "test", ADMIN, "admin")
    national = Chat(botapi, 806)
    await national.press("cmp:new")
    await national.say("دفتر\x00 پول اضافه خواست\x00")  # U+0000 must not break PostgreSQL
    filed = await national.press("cmp:skip", "C-")
    code = re.search(r"C-\d{4}-\d{6}", filed.text).group(0)
    async with brt.db.session() as s:
        complaint = await s.scalar(select(Complaint))
    assert complaint.text == "دفتر پول اضافه خواست"
    staff = Chat(botapi, ADMIN)
    update = botapi.push(botapi.text_update(ADMIN, f"/answer {code} پیگیری\x00 شد"))
    assert code in (await staff.next(code)).text
    app = current_runner(brt).application
    await app.update_queue.put(Update.de_json(update, app.bot))  # the replay
    await staff.say("/complaints")
    async with brt.db.session() as s:
        audits = list(
            await s.scalars(select(AuditLog).where(AuditLog.action == "complaint.answer"))
        )
    assert len(audits) == 1 and audits[0].after["answer"] == "پیگیری شد"
    assert [m for m in botapi.messages_to(ADMIN) if "پاسخ" in (m.text or "") and code in m.text]
    assert len(botapi.messages_to(ADMIN)) == 2  # the confirmation once, then the list


DEEP = "[" * 50_000 + "]" * 50_000


async def test_hostile_bodies_get_4xx_not_500(hooked):
    rt, client = hooked
    resp = await client.post(PATH, data=DEEP, headers={HEADER: SECRET})
    assert resp.status == 400
    nested = '{"update_id": 5, "message": ' + DEEP + "}"
    assert (await client.post(PATH, data=nested, headers={HEADER: SECRET})).status == 400
    sms = f"/sms/inbound/{SMS_SECRET}"
    resp = await client.post(sms, data=DEEP, headers={"Content-Type": "application/json"})
    assert resp.status == 400
    raw = b"messageid=1&from=09151234567&to=1&message=\xff\xfe"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert (await client.post(sms, data=raw, headers=form)).status == 400
    assert (await client.post(PATH, data=b'{"update_id": 1, "x": "\xff"}',
                              headers={HEADER: SECRET})).status == 400  # fmt: skip
    assert await inbox_rows(rt) == []


async def test_an_sms_with_nul_bytes_is_answered(hooked):
    rt, client = hooked
    form = {"messageid": "nul\x001", "from": "0915123\x004567", "to": "10004346",
            "message": "راهنما\x00"}  # fmt: skip
    assert (await client.post(f"/sms/inbound/{SMS_SECRET}", data=form)).status == 200
    async with rt.db.session() as s:
        row = await s.scalar(select(InboundSms))
    assert (row.message_id, row.sender, row.text) == ("nul1", "09151234567", "راهنما")
