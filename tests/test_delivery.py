"""The outbox senders against the fake Bot API and the fake Kavenegar, on the real worker loop."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.delivery import OWNER
from handlers.runtime import Runtime
from storage.models import Contact, utcnow
from storage.outbox import enqueue_reply, notify
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.kavenegar import FakeKavenegar
from tests.helpers_delivery import (
    add_people,
    link_chat,
    person,
    rows,
    run_until,
    settled,
    wired_runtime,
    wired_settings,
)


async def _notify(rt: Runtime, nid: int, key: str, text: str, **kw: object) -> int | None:
    async with rt.db.session() as s:
        return await notify(s, nid, key=key, kind="notice", text=text, lang="fa", **kw)


async def test_same_key_gives_one_message(wrt: Runtime, botapi: FakeBotAPI) -> None:
    [nid] = await add_people(wrt, [person(1)])
    await link_chat(wrt, nid, 501)
    first = await _notify(wrt, nid, "status:7:paid", "پرداخت شما تأیید شد.")
    again = await _notify(wrt, nid, "status:7:paid", "پرداخت شما تأیید شد.")
    assert first is not None and again is None
    await run_until(wrt, settled)
    assert [m.text for m in botapi.messages_to(501)] == ["پرداخت شما تأیید شد."]
    [row] = await rows(wrt)
    assert row.state == "sent" and row.provider_ref


async def test_429_waits_retry_after_and_is_no_failure(wrt: Runtime, botapi: FakeBotAPI) -> None:
    [nid] = await add_people(wrt, [person(1)])
    await link_chat(wrt, nid, 502)
    botapi.flood(retry_after=1, times=2)
    await _notify(wrt, nid, "n:1", "سلام")
    await run_until(wrt, settled)
    assert [m.text for m in botapi.messages_to(502)] == ["سلام"]
    [row] = await rows(wrt)
    assert (row.state, row.error, row.attempts, row.fell_back) == ("sent", None, 1, False)
    calls = botapi.calls_of("sendMessage")
    assert len(calls) == 3 and calls[2].at - calls[0].at >= 1.9  # it waited as told


@pytest.mark.parametrize("how", ["block", "deactivate", "unknown_chat"])
async def test_unreachable_chat_falls_back_to_sms_and_later_goes_straight_there(
    wrt: Runtime, botapi: FakeBotAPI, kavenegar: FakeKavenegar, how: str
) -> None:
    [nid] = await add_people(wrt, [person(3, mobile="09151112233")])
    await link_chat(wrt, nid, 503)
    getattr(botapi, how)(503)
    await _notify(wrt, nid, "n:1", "متن کامل پیام‌رسان", sms_text="متن کوتاه پیامک")
    await run_until(wrt, settled)
    [row] = await rows(wrt)
    assert (row.state, row.channel, row.address, row.fell_back) == (
        "sent", "sms", "09151112233", True)  # fmt: skip
    assert [(m.receptor, m.message, m.localid) for m in kavenegar.sent] == [
        ("09151112233", "متن کوتاه پیامک", str(row.id))
    ]
    assert row.sms_parts == 1 and row.provider_ref == str(kavenegar.sent[0].messageid)
    async with wrt.db.session() as s:
        contact = await s.get(Contact, 1)
        assert contact is not None and contact.reachable is False
    # The next message does not try the chat at all.
    tried = len(botapi.calls_of("sendMessage"))
    await _notify(wrt, nid, "n:2", "پیام دوم")
    await run_until(wrt, settled)
    assert len(botapi.calls_of("sendMessage")) == tried
    assert kavenegar.sent[-1].message == "پیام دوم"
    assert (await rows(wrt))[-1].channel == "sms"


async def test_deadline_passed_goes_by_sms(
    wrt: Runtime, botapi: FakeBotAPI, kavenegar: FakeKavenegar
) -> None:
    [nid] = await add_people(wrt, [person(4, mobile="09154445566")])
    await link_chat(wrt, nid, 504)
    await _notify(wrt, nid, "n:1", "long", sms_text="short",
                  deadline_at=utcnow() - timedelta(seconds=1))  # fmt: skip
    await run_until(wrt, settled)
    assert botapi.messages_to(504) == []
    assert [m.message for m in kavenegar.sent] == ["short"]
    [row] = await rows(wrt)
    assert row.fell_back and row.error == "deadline passed"
    async with wrt.db.session() as s:  # a late message does not make the chat unreachable
        contact = await s.get(Contact, 1)
        assert contact is not None and contact.reachable


async def test_no_mobile_to_fall_back_to_fails_with_reason(
    wrt: Runtime, botapi: FakeBotAPI
) -> None:
    [nid] = await add_people(wrt, [person(5, mobile=None)])
    await link_chat(wrt, nid, 505)
    botapi.block(505)
    await _notify(wrt, nid, "n:1", "x")
    await run_until(wrt, settled)
    [row] = await rows(wrt)
    assert row.state == "failed" and "blocked" in (row.error or "")


async def test_a_reply_enqueued_leased_is_sent_at_once(wrt: Runtime, botapi: FakeBotAPI) -> None:
    async with wrt.db.session() as s:
        job = await enqueue_reply(s, owner=OWNER, key="reply:1", channel="telegram",
                                  address="506", text="پاسخ", lang="fa")  # fmt: skip
    assert job is not None
    await wrt.delivery.send([job])
    assert [m.text for m in botapi.messages_to(506)] == ["پاسخ"]
    [row] = await rows(wrt)
    assert row.state == "sent" and row.lease_owner is None


async def test_sms_goes_by_sendarray_in_batches_of_200(
    wrt: Runtime, kavenegar: FakeKavenegar
) -> None:
    ids = await add_people(wrt, [person(i) for i in range(250)])
    for nid in ids:
        await _notify(wrt, nid, f"n:{nid}", f"پیام {nid}")
    await run_until(wrt, settled)
    calls = kavenegar.calls_to("sms/sendarray")
    assert sorted(len(c.params["receptor"]) for c in calls) == [50, 200]
    assert len(kavenegar.sent) == 250 and len({m.localid for m in kavenegar.sent}) == 250


async def test_transient_sms_error_retries_without_sending_twice(
    wrt: Runtime, kavenegar: FakeKavenegar
) -> None:
    [nid] = await add_people(wrt, [person(6)])
    await _notify(wrt, nid, "n:1", "x")
    kavenegar.fail_next(502)
    tried = kavenegar.calls_to
    await run_until(wrt, lambda c: bool(tried("sms/sendarray")) and c.get("queued") == 1)
    [row] = await rows(wrt)
    assert row.error == "kavenegar 502" and row.due_at > utcnow()
    # The retry (made due now) goes through; a repeated localid would not be sent again anyway.
    async with wrt.db.session() as s:
        r = await s.get(type(row), row.id)
        assert r is not None
        r.due_at = utcnow()
    await run_until(wrt, settled)
    assert len(kavenegar.sent) == 1 and (await rows(wrt))[0].state == "sent"


async def test_permanent_sms_error_fails_with_reason(
    wrt: Runtime, kavenegar: FakeKavenegar
) -> None:
    [nid] = await add_people(wrt, [person(7)])
    await _notify(wrt, nid, "n:1", "x")
    kavenegar.fail_next(420)  # links not allowed: the message itself is at fault
    await run_until(wrt, settled)
    [row] = await rows(wrt)
    assert row.state == "failed" and (row.error or "").startswith("kavenegar 420")


async def test_quiet_hours_hold_what_is_not_urgent(
    db_url: str, botapi: FakeBotAPI, kavenegar: FakeKavenegar
) -> None:
    local = utcnow().astimezone(ZoneInfo("Asia/Tehran"))
    window = f"{(local - timedelta(hours=1)):%H:%M}-{(local + timedelta(hours=1)):%H:%M}"
    rt = await wired_runtime(wired_settings(db_url, botapi, kavenegar, quiet_hours=window))
    try:
        [nid] = await add_people(rt, [person(8)])
        await link_chat(rt, nid, 508)
        await _notify(rt, nid, "n:1", "later")
        await _notify(rt, nid, "n:2", "now", urgent=True)
        await run_until(rt, lambda c: c.get("sent") == 1 and not c.get("sending"))
        assert [m.text for m in botapi.messages_to(508)] == ["now"]
        assert [r.state for r in await rows(rt)] == ["queued", "sent"]
    finally:
        await rt.close()
