"""Alerts to admins through the outbox: each condition once per episode, delivered by the real
worker to the admin's chat on the fake Bot API."""

from __future__ import annotations

from datetime import timedelta

from bot import alerts
from bot.inbox import bot_key
from bot.runtime import open_runtime
from handlers.outages import schedule_outage
from handlers.runtime import Runtime
from storage import admin
from storage import inbox as inbox_store
from storage.outbox import enqueue
from tests.bot_kit import stored_not_run
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.kavenegar import FakeKavenegar
from tests.helpers_delivery import rows, run_until, settled, wired_settings

ADMIN, REVIEWER = 7001, 7002
HOOK = "https://bot.example.ir/telegram/webhook"


async def _runtime(db_url: str, botapi: FakeBotAPI, kavenegar: FakeKavenegar, **extra) -> Runtime:
    rt = await open_runtime(wired_settings(
        db_url, botapi, kavenegar, webhook_url=HOOK, alert_failures=2,
        alert_repeat_hours=1000.0, **extra,
    ))  # fmt: skip
    async with rt.db.session() as s:  # what `amayesh staff add` does
        await admin.add_staff(s, "cli:test", ADMIN, "admin")
        await admin.add_staff(s, "cli:test", REVIEWER, "reviewer")
    return rt


def _advance(rt: Runtime, **delta: float) -> None:
    """Move the runtime's clock on (the probes' one-minute answers age with it)."""
    at = rt.clock() + timedelta(**delta)
    rt.clock = lambda: at


async def _fail_two(rt: Runtime, botapi: FakeBotAPI) -> None:
    """Two messages to a chat Telegram does not know, with no mobile to fall back to."""
    botapi.unknown_chat(5551)
    async with rt.db.session() as s:
        for i in range(2):
            await enqueue(s, key=f"t:{i}", kind="notice", channel="telegram", address="5551",
                          text="x")  # fmt: skip
    await run_until(rt, settled)


async def test_each_condition_alerts_the_admins_once(
    db_url: str, botapi: FakeBotAPI, kavenegar: FakeKavenegar
) -> None:
    rt = await _runtime(db_url, botapi, kavenegar)
    try:
        assert await alerts.check(rt) == []  # all well; also the failure count's baseline
        kavenegar.credit = 400_000  # below AMAYESH_SMS_CREDIT_WARN's default of 1,000,000
        await _fail_two(rt, botapi)
        botapi.webhook_error("Connection timed out")
        async with rt.db.session() as s:
            start = rt.clock() + timedelta(minutes=5)
            done = await schedule_outage(rt, s, "cli:test", start, start + timedelta(hours=2),
                                         "به‌روزرسانی سرور", force=True)  # fmt: skip
            assert done.ok
        _advance(rt, seconds=61)
        assert len(await alerts.check(rt)) == 3  # the outage has not started
        _advance(rt, minutes=5)
        assert len(await alerts.check(rt)) == 1  # now it has
        for _ in range(3):  # the conditions last; nobody is told twice
            assert await alerts.check(rt, force=True) == []
        assert await alerts.check(rt) == []  # and the hook checks at most once a minute

        sent = await rows(rt, kind="alert")
        assert {r.address for r in sent} == {str(ADMIN)}  # admins only, not the reviewer
        assert all(r.urgent for r in sent)  # quiet hours do not hold them
        await run_until(rt, settled)
        texts = [m.text or "" for m in botapi.messages_to(ADMIN)]
        assert len(texts) == 4
        assert any("اعتبار پیامک کم است: 400,000 ریال" in t for t in texts)
        assert any("2 پیام در یک ساعت گذشته فرستاده نشد" in t for t in texts)
        assert any("Connection timed out" in t for t in texts)
        assert any("قطعی برنامه‌ریزی‌شده شروع شد" in t and "به‌روزرسانی سرور" in t for t in texts)

        _advance(rt, hours=1000)  # a condition that lasts is told again
        again = await alerts.check(rt, force=True)
        kinds = sorted((r.key.split(":")[1]) for r in await rows(rt, kind="alert")
                       if r.id in again)  # fmt: skip
        assert kinds == ["credit"]  # the webhook error is old now; the outage is over
    finally:
        await rt.close()


async def test_alerts_go_to_the_staff_chat_when_one_is_set(
    db_url: str, botapi: FakeBotAPI, kavenegar: FakeKavenegar
) -> None:
    rt = await _runtime(db_url, botapi, kavenegar, staff_chat_id=-100123)
    try:
        kavenegar.credit = 10
        assert len(await alerts.check(rt)) == 1
        assert [r.address for r in await rows(rt, kind="alert")] == ["-100123"]
        assert await alerts.check(rt, force=True) == []
    finally:
        await rt.close()


async def _arrive(rt: Runtime, botapi: FakeBotAPI, n: int) -> None:
    await stored_not_run(rt, botapi, *(botapi.text_update(900 + i, "/start") for i in range(n)))


async def _drain(rt: Runtime, botapi: FakeBotAPI) -> None:
    """What the inbox does once the updates ran: each row marked handled."""
    bot = bot_key(botapi.token)
    async with rt.db.session() as s:
        waiting = await inbox_store.pending(s, bot, limit=1000, skip=set())
        await inbox_store.mark_handled(s, bot, [uid for uid, _, _ in waiting])


async def test_an_inbox_backlog_that_lasts_alerts_a_burst_does_not(
    db_url: str, botapi: FakeBotAPI, kavenegar: FakeKavenegar
) -> None:
    rt = await _runtime(db_url, botapi, kavenegar, alert_inbox_backlog=2)
    try:
        await _arrive(rt, botapi, 3)  # above 2
        assert await alerts.check(rt) == []  # above from now on
        _advance(rt, minutes=3)
        await _drain(rt, botapi)  # a burst the service worked through
        assert await alerts.check(rt) == []
        _advance(rt, minutes=1)
        await _arrive(rt, botapi, 3)  # a second burst: counted from here, not from the first
        assert await alerts.check(rt) == []
        _advance(rt, minutes=3)  # 7 minutes after the first burst, 3 into this one
        assert await alerts.check(rt) == []
        _advance(rt, minutes=2)  # 5 minutes above at every check: it lasts
        [alert] = await alerts.check(rt)
        for _ in range(2):  # told once
            assert await alerts.check(rt, force=True) == []
        [row] = await rows(rt, kind="alert")
        assert row.id == alert and row.address == str(ADMIN) and row.urgent
        await run_until(rt, settled)
        [text] = [m.text or "" for m in botapi.messages_to(ADMIN)]
        assert "3 به‌روزرسانی دریافتی دست‌کم 5 دقیقه" in text and "آستانه 2" in text
    finally:
        await rt.close()


async def test_no_inbox_backlog_alert_when_it_is_off(
    db_url: str, botapi: FakeBotAPI, kavenegar: FakeKavenegar
) -> None:
    rt = await _runtime(db_url, botapi, kavenegar, alert_inbox_backlog=0)
    try:
        await _arrive(rt, botapi, 3)
        assert await alerts.check(rt) == []
        _advance(rt, minutes=10)
        assert await alerts.check(rt) == []
    finally:
        await rt.close()
