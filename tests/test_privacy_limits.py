"""Issue 11, nothing leaked: no usable code at rest in any state, code guesses capped per mobile
across chats (contact sharing still links the owner), someone else's card capped per card,
retention clears old texts and codes."""

from __future__ import annotations

import argparse
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot import retention
from bot.scheduler import tick
from bot.shell import turn
from handlers.convo import Event
from handlers.otp import request_code
from handlers.runtime import Runtime
from storage.models import AuditLog, InboxUpdate, OtpCode, Outbox
from tests.bot_kit import ALI, ALI_MOBILE, ALI_YEAR, Chat, running_bot, stored_not_run
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.kavenegar import FakeKavenegar
from tests.feat_support import NOW, freeze, seed
from tests.helpers_delivery import add_people, person, rows, run_until, settled
from tests.sms_support import Clock, with_demo


async def _otp_rows(rt: Runtime) -> list[Outbox]:
    async with rt.db.session() as s:
        return list(await s.scalars(select(Outbox).where(Outbox.kind == "otp")))


async def test_a_code_that_fails_keeps_no_plaintext(wrt: Runtime, kavenegar: FakeKavenegar) -> None:
    await with_demo(wrt)
    kavenegar.fail_next(424)  # template not found: the code row fails for good
    async with wrt.db.session() as s:
        sent = await request_code(wrt, s, ALI_MOBILE, None)
    await run_until(wrt, settled)
    [row] = await _otp_rows(wrt)
    assert row.id == sent.outbox_id and row.state == "failed"
    assert row.text == "***" and row.payload == {"scrubbed": True}


async def test_a_code_that_expires_unsent_keeps_no_plaintext(db_url: str) -> None:
    from bot.runtime import open_runtime
    from handlers.settings import load_settings

    rt = await open_runtime(load_settings(database_url=db_url, quiet_hours=""))  # no SMS gateway
    try:
        await with_demo(rt)
        rt.clock = Clock()
        async with rt.db.session() as s:
            await request_code(rt, s, ALI_MOBILE, None)
        await tick(rt)
        [row] = await _otp_rows(rt)
        assert row.state == "queued" and "***" not in row.text  # still usable: kept for now
        rt.clock.advance(minutes=6)
        await tick(rt)  # the scheduler's chore
        [row] = await _otp_rows(rt)
        assert row.text == "***" and row.sms_text is None and row.payload == {"scrubbed": True}
    finally:
        await rt.close()


async def _start_link(chat: Chat) -> None:
    await chat.press("link:start")
    await chat.say(ALI)
    await chat.say(ALI_YEAR)
    await chat.next()


async def test_code_guesses_are_capped_per_mobile_across_chats_not_contact_sharing(
    botapi: FakeBotAPI, bot: object, brt: Runtime
) -> None:
    wrong = ["000000", "111111", "222222", "333333", "444444", "555555"]
    for chat_id in (811, 812):  # two chats of one attacker, five wrong guesses each
        chat = Chat(botapi, chat_id)
        await _start_link(chat)
        assert "۰۹۱۵***۴۵۶۷" in (await chat.press("link:otp")).text
        for guess in wrong[:5]:
            last = await chat.say(guess)
        assert "کد" in last.text
    third = Chat(botapi, 813)
    await _start_link(third)
    refused = await third.press("link:otp")  # the hourly 3 codes are not used up, the day's
    assert "کد زیادی خواسته شده" in refused.text  # the day's guesses are
    async with brt.db.session() as s:
        codes = await s.scalar(select(func.count()).select_from(OtpCode))
    assert codes == 2
    # The real owner shares their own contact: linked, the guessing does not lock them out.
    botapi.push(botapi.contact_update(813, ALI_MOBILE, 813))
    assert "✅" in (await third.next("✅")).text


async def test_someone_elses_card_is_capped_per_card_across_chats(rt: Runtime) -> None:
    freeze(rt)
    await seed(rt)

    async def check(chat: str, year: int) -> str:
        await turn(rt, chat, Event("button", data="menu:elig"))
        await turn(rt, chat, Event("text", text="300400500"))
        return "\n".join(r.text for r in await turn(rt, chat, Event("text", text=str(year))))

    right = await check("t-0", 1370)
    assert "پیدا نشد" not in right  # the right pair answers
    misses = [await check(f"t-{i % 2 + 1}", 1360 + i) for i in range(5)]  # two chats
    assert all("پیدا نشد" in m for m in misses)
    # Five wrong years against this card: now even the right one looks like a miss, from any
    # chat (each chat is still far below its own hourly ten).
    assert "پیدا نشد" in await check("t-3", 1370)
    freeze(rt, NOW + timedelta(days=1, minutes=1))
    assert "پیدا نشد" not in await check("t-3", 1370)


async def test_retention_clears_old_sent_texts_and_codes(
    wrt: Runtime, kavenegar: FakeKavenegar, capsys: pytest.CaptureFixture[str]
) -> None:
    await with_demo(wrt)
    ids = await add_people(wrt, [person(1), person(2)])
    from storage.outbox import notify

    for nid in ids:
        async with wrt.db.session() as s:
            await notify(s, nid, key=f"status:{nid}:paid", kind="notice", text="متن پیام",
                         lang="fa", sms_text="پیامک")  # fmt: skip
    async with wrt.db.session() as s:
        await request_code(wrt, s, ALI_MOBILE, None)
    await run_until(wrt, settled)
    clock = Clock()
    clock.advance(days=181)
    wrt.clock = clock
    args = argparse.Namespace(dry_run=True)
    assert await retention.cmd_run(wrt, args) == 0
    out = capsys.readouterr().out
    assert "would clear outbox_texts: 2" in out and "otp_codes: 1" in out
    assert [r.text for r in await rows(wrt, kind="notice")] == ["متن پیام", "متن پیام"]  # untouched
    assert await retention.cmd_run(wrt, argparse.Namespace(dry_run=False)) == 0
    assert "cleared outbox_texts: 2" in capsys.readouterr().out
    notices = await rows(wrt, kind="notice")
    assert [(r.text, r.sms_text, r.payload, r.state) for r in notices] == [
        ("", None, None, "sent")
    ] * 2
    assert all(r.key and r.sent_at for r in notices)  # what reports and audits use stays
    async with wrt.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(OtpCode)) == 0
        assert await s.scalar(select(AuditLog.action).where(AuditLog.action == "retention.run"))


async def test_retention_deletes_old_handled_updates_and_keeps_unhandled_ones(
    wrt: Runtime, botapi: FakeBotAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_bot(wrt):
        chat = Chat(botapi, 901)
        await chat.say("/start")
        await chat.press("lang:en")  # two updates, handled
    await stored_not_run(wrt, botapi, botapi.text_update(902, "/start"))  # work not yet done

    async def kept() -> list[tuple[str | None, bool]]:
        async with wrt.db.session() as s:
            found = await s.scalars(select(InboxUpdate).order_by(InboxUpdate.id))
            return [(r.chat_id, r.handled_at is not None) for r in found]

    clock = Clock()
    wrt.clock = clock
    clock.advance(days=179)
    await retention.cmd_run(wrt, argparse.Namespace(dry_run=True))
    assert "inbox_updates: 0" in capsys.readouterr().out  # not old enough yet
    clock.advance(days=2)
    await retention.cmd_run(wrt, argparse.Namespace(dry_run=True))
    assert "would clear" in (out := capsys.readouterr().out) and "inbox_updates: 2" in out
    assert await kept() == [("901", True), ("901", True), ("902", False)]  # a count only
    await retention.cmd_run(wrt, argparse.Namespace(dry_run=False))
    assert "inbox_updates: 2" in capsys.readouterr().out
    assert await kept() == [("902", False)]  # still waiting to be run, whatever its age
