"""Reminders are outbox rows due later: sent when due, dropped with their appointment."""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.reminders import (
    cancel_appointment_reminders,
    queue_due_deadline_reminders,
    schedule_appointment_reminders,
)
from handlers.runtime import Runtime
from storage.models import Application, Appointment, Campaign, National, utcnow
from tests.fakes.botapi import FakeBotAPI
from tests.helpers_delivery import (
    add_people,
    link_chat,
    person,
    rows,
    run_until,
    settled,
)


async def _booking(rt: Runtime, starts_at: datetime, lang: str = "prs") -> tuple[int, int]:
    [nid] = await add_people(rt, [person(1, language=lang)])
    await link_chat(rt, nid, 701)
    async with rt.db.session() as s:
        appt = Appointment(national_id=nid, office="دفتر کفالت ۱", address="بیرجند، طالقانی ۱۲",
                           starts_at=starts_at, attendees="همه")  # fmt: skip
        s.add(appt)
        await s.flush()
        national = await s.get(National, nid)
        assert national is not None
        await schedule_appointment_reminders(rt, s, appt, national)
        return nid, appt.id


async def test_reminders_are_rows_due_24h_and_2h_before(wrt: Runtime) -> None:
    starts = utcnow() + timedelta(days=3)
    _, appt_id = await _booking(wrt, starts)
    got = await rows(wrt)
    assert [r.due_at for r in got] == [starts - timedelta(hours=24), starts - timedelta(hours=2)]
    assert all(r.kind == "reminder" and r.payload["appointment_id"] == appt_id for r in got)
    # The reminder carries the same answer buttons as the appointments screen.
    datas = [[b[1] for b in row] for r in got for row in r.payload["buttons"]]
    assert datas == [[f"appt:confirm:{appt_id}", f"appt:cannot:{appt_id}"]] * 2
    assert "قوس" in got[0].text or "جدی" in got[0].text or "/" in got[0].text  # Dari months
    assert got[0].sms_text and got[0].channel == "telegram"


async def test_a_due_reminder_is_sent(wrt: Runtime, botapi: FakeBotAPI) -> None:
    starts = utcnow() + timedelta(hours=30)
    await _booking(wrt, starts)
    wrt.clock = lambda: starts - timedelta(hours=23)  # the 24 h reminder is due, the 2 h not
    await run_until(wrt, lambda c: c.get("sent") == 1)
    [msg] = botapi.messages_to(701)
    assert "دفتر کفالت ۱" in (msg.text or "")
    assert [r.state for r in await rows(wrt)] == ["sent", "queued"]


async def test_cancelled_appointment_sends_no_reminder(wrt: Runtime, botapi: FakeBotAPI) -> None:
    starts = utcnow() + timedelta(hours=30)
    _, appt_id = await _booking(wrt, starts)
    async with wrt.db.session() as s:
        appt = await s.get(Appointment, appt_id)
        assert appt is not None
        appt.state = "cancelled"
        assert await cancel_appointment_reminders(s, appt) == 2
    wrt.clock = lambda: starts - timedelta(hours=1)
    await run_until(wrt, settled)
    assert botapi.messages_to(701) == []
    assert {r.state for r in await rows(wrt)} == {"cancelled"}


async def test_reminder_of_an_appointment_cancelled_elsewhere_is_dropped_at_send_time(
    wrt: Runtime, botapi: FakeBotAPI
) -> None:
    starts = utcnow() + timedelta(hours=30)
    _, appt_id = await _booking(wrt, starts)
    async with wrt.db.session() as s:  # cancelled without telling the reminders
        appt = await s.get(Appointment, appt_id)
        assert appt is not None
        appt.state = "cancelled"
    wrt.clock = lambda: starts - timedelta(hours=1)
    await run_until(wrt, settled)
    assert botapi.messages_to(701) == []
    assert [r.error for r in await rows(wrt)] == ["appointment not upcoming"] * 2


async def test_campaign_deadline_reminders_once_to_unfinished_applicants(wrt: Runtime) -> None:
    now = utcnow()
    wrt.clock = lambda: now.replace(hour=8, minute=0)  # 11:30 Tehran: after 10:00
    local = wrt.clock().astimezone(wrt.settings.tz)
    ids = await add_people(wrt, [person(1), person(2), person(3)])
    async with wrt.db.session() as s:
        today = local.date()
        camp = Campaign(code="A19", title="آمایش ۱۹", starts_on=today - timedelta(days=30),
                        ends_on=today + timedelta(days=7), max_days_expired=None)  # fmt: skip
        s.add(camp)
        await s.flush()
        for nid, status in zip(ids, ["awaiting_payment", "paid", "registered"], strict=True):
            s.add(Application(national_id=nid, campaign_id=camp.id, status=status))
    for _ in range(2):
        async with wrt.db.session() as s:
            await queue_due_deadline_reminders(wrt, s)
    got = await rows(wrt)
    assert sorted(r.national_id for r in got) == [ids[0], ids[2]]
    assert all(r.key.startswith(f"rem:camp:{camp.id}:7d:") and "۷" in r.text for r in got)
