"""Issue 11, outbound: nothing gives up silently. Telegram outages end in one SMS, an empty SMS
account holds rows until it is topped up, failures are listed and re-driven by staff."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.cli import build_parser
from bot.cli_outbox import cmd_failed, cmd_retry
from bot.scheduler import tick
from bot.worker import run_worker
from handlers import broadcasts as bc
from handlers.report import daily_report
from handlers.runtime import Runtime
from storage import admin
from storage.models import AuditLog, utcnow
from storage.outbox import enqueue, enqueue_reply, notify
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.kavenegar import FakeKavenegar
from tests.helpers_delivery import (
    add_people,
    count_states,
    link_chat,
    person,
    rows,
    run_until,
    settled,
)


class Clock:
    """The runtime's clock, moved forward by the test (backoffs of minutes in a second)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.offset


async def _notify(rt: Runtime, nid: int, key: str, text: str, **kw: object) -> int | None:
    async with rt.db.session() as s:
        return await notify(s, nid, key=key, kind="notice", text=text, lang="fa", **kw)


async def _drive(
    rt: Runtime, done: Callable[[dict[str, int]], bool], step: timedelta, limit: float = 30
) -> None:
    """The real worker, with the clock moving `step` every 0.1 s, until `done(counts)`."""
    clock = Clock()
    rt.clock = clock
    stop = asyncio.Event()
    # Leases are in the runtime's clock: one that jumps minutes must not expire them mid-send.
    task = asyncio.create_task(run_worker(rt, stop, poll=0.05, lease_seconds=86_400))
    try:
        async with asyncio.timeout(limit):
            while not done(await count_states(rt)):
                clock.offset += step
                await asyncio.sleep(0.1)
    finally:
        stop.set()
        await task


async def test_telegram_502_past_the_deadline_sends_one_sms(
    wrt: Runtime, botapi: FakeBotAPI, kavenegar: FakeKavenegar
) -> None:
    [nid] = await add_people(wrt, [person(1, mobile="09151230001")])
    await link_chat(wrt, nid, 601)
    botapi.fail_next("sendMessage", 502, "Bad Gateway", times=10_000)
    await _notify(wrt, nid, "status:1:paid", "پیام کامل", sms_text="پیامک کوتاه")
    [row] = await rows(wrt)
    assert row.deadline_at is not None  # a notice gets a deadline without asking for one
    await _drive(wrt, lambda c: c.get("sent") == 1, timedelta(minutes=2))
    [row] = await rows(wrt)
    assert (row.state, row.channel, row.fell_back) == ("sent", "sms", True)
    assert row.error == "deadline passed"
    assert [m.message for m in kavenegar.sent] == ["پیامک کوتاه"]  # once
    assert len(botapi.calls_of("sendMessage")) >= 2  # Telegram was tried, and tried again


async def test_telegram_timeouts_past_the_attempts_send_one_sms(
    wrt: Runtime, botapi: FakeBotAPI, kavenegar: FakeKavenegar
) -> None:
    [nid] = await add_people(wrt, [person(2, mobile="09151230002")])
    await link_chat(wrt, nid, 602)
    botapi.fail_next("sendMessage", 503, "Service Unavailable", times=10_000)
    far = utcnow() + timedelta(days=30)
    await _notify(wrt, nid, "appt:1:booked", "نوبت شما", deadline_at=far)
    await _drive(wrt, lambda c: c.get("sent") == 1, timedelta(minutes=20))
    [row] = await rows(wrt)
    assert (row.state, row.channel, row.fell_back) == ("sent", "sms", True)
    assert "gave up on telegram after 8 attempts" in (row.error or "")
    assert len(botapi.calls_of("sendMessage")) == 8 and len(kavenegar.sent) == 1


async def test_failed_is_listed_counted_and_retried_by_staff(
    wrt: Runtime, botapi: FakeBotAPI, kavenegar: FakeKavenegar, capsys: pytest.CaptureFixture[str]
) -> None:
    [nid] = await add_people(wrt, [person(3, mobile=None)])
    await link_chat(wrt, nid, 603)
    botapi.block(603)
    await _notify(wrt, nid, "status:3:paid", "پرداخت تأیید شد")
    await run_until(wrt, settled)
    [row] = await rows(wrt)
    assert row.state == "failed"
    async with wrt.db.session() as s:
        report = await daily_report(wrt, s, "cli:test")
    assert ("messages:telegram:failed", 1) in [(m, day) for m, day, _ in report.rows()]
    parser = build_parser()
    assert await cmd_failed(wrt, parser.parse_args(["outbox", "failed", "--since",
                                                    f"{utcnow():%Y-%m-%d}"])) == 0  # fmt: skip
    listed = capsys.readouterr().out
    assert listed.startswith(f"{row.id}\t") and "blocked" in listed
    # The national shares a mobile later and unblocks the bot: staff send it again.
    botapi.unblock(603)
    async with wrt.db.session() as s:
        from storage.models import Contact

        contact = await s.scalar(select(Contact).where(Contact.address == "603"))
        assert contact is not None
        contact.reachable = True
    assert await cmd_retry(wrt, parser.parse_args(["outbox", "retry", str(row.id)])) == 0
    assert "requeued 1" in capsys.readouterr().out
    await run_until(wrt, settled)
    [row] = await rows(wrt)
    assert row.state == "sent" and [m.text for m in botapi.messages_to(603)] == ["پرداخت تأیید شد"]
    async with wrt.db.session() as s:
        audits = (await s.scalars(select(AuditLog.action).where(
            AuditLog.action.like("outbox.%")))).all()  # fmt: skip
    assert sorted(audits) == ["outbox.failed", "outbox.retry"]
    assert await cmd_retry(wrt, parser.parse_args(["outbox", "retry", "--all-failed"])) == 0
    assert "requeued 0" in capsys.readouterr().out


async def test_no_credit_holds_rows_alerts_once_and_resumes_on_top_up(
    wrt: Runtime, botapi: FakeBotAPI, kavenegar: FakeKavenegar, caplog: pytest.LogCaptureFixture
) -> None:
    async with wrt.db.session() as s:
        await admin.add_staff(s, "cli:test", telegram_id=9001, role="admin")
    ids = await add_people(wrt, [person(10 + i) for i in range(5)])
    kavenegar.credit = 0
    for nid in ids[:3]:
        await _notify(wrt, nid, f"n:{nid}", f"پیام {nid}")
    caplog.set_level(logging.ERROR, logger="bot.sms_account")
    await run_until(wrt, lambda c: c.get("held") == 3 and c.get("sent") == 1)
    held = await rows(wrt, state="held")
    assert [r.attempts for r in held] == [0, 0, 0]  # holding costs no tries
    assert all((r.error or "").startswith("held: kavenegar 418") for r in held)
    [alert] = botapi.messages_to(9001)
    assert "418" in alert.text
    calls = len(kavenegar.calls_to("sms/sendarray"))
    for nid in ids[3:]:  # more while held: held at once, no call, no second alert
        await _notify(wrt, nid, f"n:{nid}", f"پیام {nid}")
    await run_until(wrt, lambda c: c.get("held") == 5)
    assert len(kavenegar.calls_to("sms/sendarray")) == calls
    assert len(botapi.messages_to(9001)) == 1
    assert len([r for r in caplog.records if "refused" in r.getMessage()]) == 1
    await tick(wrt)  # still no credit: stays held
    assert (await count_states(wrt)).get("held") == 5
    kavenegar.credit = 10_000_000
    vars(wrt)["_sms_account"]["next"] = wrt.clock()  # the next check is due
    await tick(wrt)
    await run_until(wrt, lambda c: settled(c) and c.get("sent") == 7)
    assert sorted(m.message for m in kavenegar.sent) == sorted(f"پیام {n}" for n in ids)
    assert not await rows(wrt, state="failed")
    assert len(botapi.messages_to(9001)) == 2  # held, then resumed


async def test_one_invalid_receptor_is_found_by_halving(
    wrt: Runtime, kavenegar: FakeKavenegar
) -> None:
    people = [person(100 + i) for i in range(200)]
    people[137]["mobile"] = "0915123"  # Kavenegar answers 411 for the whole call
    ids = await add_people(wrt, people)
    for nid in ids:
        await _notify(wrt, nid, f"n:{nid}", "x")
    await run_until(wrt, settled)
    calls = len(kavenegar.calls_to("sms/sendarray"))
    assert calls <= 2 * 8 + 1, calls  # not 1 + 200
    assert len(kavenegar.sent) == 199
    [bad] = await rows(wrt, state="failed")
    assert bad.address == "0915123" and (bad.error or "").startswith("kavenegar 411")


async def test_cancel_during_a_gateway_outage_is_final(
    wrt: Runtime, kavenegar: FakeKavenegar
) -> None:
    await add_people(wrt, [person(400 + i) for i in range(5)])
    kavenegar.delay = 0.5
    kavenegar.fail_next(502, times=3)
    async with wrt.db.session() as s:
        b = await bc.create_broadcast(wrt, s, "cli:test", "", "پیام همگانی")
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(wrt, stop, poll=0.05))
    try:
        async with asyncio.timeout(10):
            while not kavenegar.calls_to("sms/sendarray"):  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        async with wrt.db.session() as s:
            progress = await bc.broadcast_progress(wrt, s, b.id)
            await bc.cancel_broadcast(wrt, s, "cli:test", b.id)
        assert "in flight: 5" in bc.format_progress(wrt, "en", progress)
        await asyncio.sleep(1.0)  # the 502 comes back after the cancel
    finally:
        stop.set()
        await task
    kavenegar.delay = 0
    await run_until(wrt, settled, limit=3)
    assert [r.state for r in await rows(wrt)] == ["cancelled"] * 5
    assert kavenegar.sent == []


async def test_a_dead_process_rows_are_taken_over_within_seconds(
    wrt: Runtime, botapi: FakeBotAPI
) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(wrt, stop, poll=0.05, lease_seconds=1.5))
    try:
        await asyncio.sleep(0.3)  # the worker is up (and past its start-up requeue)
        async with wrt.db.session() as s:  # a reply a process wrote for itself, then died
            await enqueue_reply(s, owner="dead-host:1:abc", key="reply:x", channel="telegram",
                                address="604", text="پاسخ", lang="fa",
                                lease_seconds=1.0)  # fmt: skip
        started = asyncio.get_running_loop().time()
        await botapi.wait_for_message(604)
        assert asyncio.get_running_loop().time() - started < 5
    finally:
        stop.set()
        await task


async def test_a_slow_send_keeps_its_lease(wrt: Runtime, botapi: FakeBotAPI) -> None:
    original = botapi._m_sendMessage

    async def slow(params: dict[str, object], uploads: object) -> object:
        await asyncio.sleep(2.0)  # longer than the lease: only renewal keeps it ours
        return await original(params, uploads)

    botapi.handlers["sendMessage"] = lambda params: slow(params, {})
    [nid] = await add_people(wrt, [person(5)])
    await link_chat(wrt, nid, 605)
    await _notify(wrt, nid, "n:1", "آهسته")
    await run_until(wrt, settled, lease_seconds=0.6)
    assert len(botapi.messages_to(605)) == 1  # not sent again by a takeover


async def test_a_chat_reply_telegram_keeps_refusing_fails_visibly_not_by_sms(
    wrt: Runtime, botapi: FakeBotAPI, kavenegar: FakeKavenegar
) -> None:
    [nid] = await add_people(wrt, [person(6, mobile="09151230006")])
    botapi.fail_next("sendMessage", 502, "Bad Gateway", times=10_000)
    async with wrt.db.session() as s:  # a menu with buttons means nothing as an SMS
        await enqueue(s, key="reply:telegram:606:1:0", kind="reply", channel="telegram",
                      address="606", text="منو", national_id=nid, urgent=True)  # fmt: skip
    await _drive(wrt, lambda c: c.get("failed") == 1, timedelta(minutes=20))
    [row] = await rows(wrt)
    assert row.channel == "telegram" and "gave up on telegram after 8 attempts" in (row.error or "")
    assert kavenegar.sent == []
