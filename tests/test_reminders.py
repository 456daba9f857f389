"""Reminders are outbox rows due later: sent when due, dropped with their appointment.

Seeded through the product's doors (tests/README): the registry and the campaign by the CLI
(`tests/cases_kit.world`), a Dari speaker who links on the bot, the appointment by
`amayesh import appointments`, cases and their statuses by `amayesh case open` and
`amayesh import statuses`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import jdatetime
import pytest
from sqlalchemy import select

from bot.scheduler import tick
from handlers.runtime import Runtime
from handlers.settings import Settings
from storage.models import Appointment, Outbox, utcnow
from tests.bot_kit import Chat
from tests.cases_kit import KARIM, ROYA, ROYA_MOBILE, World, cli, jalali, seed_deployment, world
from tests.fakes.botapi import FakeBotAPI
from tests.helpers_delivery import count_states, rows, run_until
from tests.test_cases_langs import NAJIB, NAJIB_MOBILE, NAJIB_YEAR, import_speakers

CHAT, OFFICE = 701, "دفتر کفالت 1"


@pytest.fixture
async def w(settings: Settings, botapi: FakeBotAPI, tmp_path: Path) -> AsyncIterator[World]:
    async with world(settings, botapi, tmp_path) as got:
        await import_speakers(got.rt, tmp_path)
        najib = Chat(got.botapi, CHAT)  # a Dari reader, linked on the bot
        await najib.say("/start")
        await najib.press("lang:prs")
        await najib.link_by_contact(NAJIB, str(NAJIB_YEAR), NAJIB_MOBILE)
        yield got


async def _booking(w: World, starts_at: datetime) -> int:
    """Najib's appointment, booked by the staff's appointments CSV; its id."""
    local = starts_at.astimezone(w.rt.settings.tz)
    when = jdatetime.datetime.fromgregorian(datetime=local).strftime("%Y/%m/%d %H:%M")
    f = w.tmp / "appointments.csv"
    row = f"{NAJIB},{OFFICE},بیرجند، طالقانی ۱۲,{when},همه,\n"
    f.write_text("card_number,office,address,starts_at,attendees,purpose\n" + row, "utf-8")
    code, out = await cli(w.rt, "import", "appointments", str(f))
    assert code == 0, out
    async with w.rt.db.session() as s:
        appt_id = await s.scalar(select(Appointment.id).where(Appointment.starts_at == starts_at))
    assert appt_id is not None
    return appt_id


def _at_minute(t: datetime) -> datetime:
    return t.replace(second=0, microsecond=0)  # what the CSV's time can say


def reminders_done(counts: dict[str, int]) -> bool:
    """Only the booking notice left queued: it goes by SMS, which these tests do not wire."""
    return counts.get("queued") == 1 and not counts.get("sending")


async def _reminders(rt: Runtime) -> list[Outbox]:
    return await rows(rt, kind="reminder")


async def test_reminders_are_rows_due_24h_and_2h_before(w: World) -> None:
    starts = _at_minute(utcnow() + timedelta(days=3))
    appt_id = await _booking(w, starts)
    got = await _reminders(w.rt)
    assert [r.due_at for r in got] == [starts - timedelta(hours=24), starts - timedelta(hours=2)]
    assert all(r.payload and r.payload["appointment_id"] == appt_id for r in got)
    # The reminder carries the same answer buttons as the appointments screen.
    datas = [[b[1] for b in row] for r in got for row in (r.payload or {})["buttons"]]
    assert datas == [[f"appt:confirm:{appt_id}", f"appt:cannot:{appt_id}"]] * 2
    assert "قوس" in got[0].text or "جدی" in got[0].text or "/" in got[0].text  # Dari months
    assert got[0].sms_text and got[0].channel == "telegram" and got[0].address == str(CHAT)


async def test_a_due_reminder_is_sent(w: World) -> None:
    starts = _at_minute(utcnow() + timedelta(hours=30))
    await _booking(w, starts)
    w.rt.clock = lambda: starts - timedelta(hours=23)  # the 24 h reminder is due, the 2 h not
    sent = (await count_states(w.rt)).get("sent", 0)
    await run_until(w.rt, lambda c: c.get("sent") == sent + 1)  # (the booking notice is SMS)
    first, second = await _reminders(w.rt)
    assert [first.state, second.state] == ["sent", "queued"]
    assert OFFICE in first.text
    assert first.text in [m.text for m in w.botapi.messages_to(CHAT)]


async def test_cannot_come_sends_no_reminder(w: World) -> None:
    starts = _at_minute(utcnow() + timedelta(hours=30))
    appt_id = await _booking(w, starts)
    answer = await Chat(w.botapi, CHAT).press(f"appt:cannot:{appt_id}")  # the reminder's button
    assert "نمی‌توانید" in (answer.text or "")
    before = len(w.botapi.messages_to(CHAT))
    w.rt.clock = lambda: starts - timedelta(hours=1)
    await run_until(w.rt, reminders_done)
    assert {r.state for r in await _reminders(w.rt)} == {"cancelled"}
    texts = [m.text or "" for m in w.botapi.messages_to(CHAT)[before:]]
    assert not [t for t in texts if t in {r.text for r in await _reminders(w.rt)}]


async def test_reminder_of_an_appointment_cancelled_elsewhere_is_dropped_at_send_time(
    w: World,
) -> None:
    starts = _at_minute(utcnow() + timedelta(hours=30))
    appt_id = await _booking(w, starts)
    # Direct on purpose (tests/README): the send-time guard is for a change that races the
    # worker's claim; every door that cancels an appointment also cancels its reminders.
    async with w.rt.db.session() as s:
        appt = await s.get(Appointment, appt_id)
        assert appt is not None
        appt.state = "cancelled"
    w.rt.clock = lambda: starts - timedelta(hours=1)
    await run_until(w.rt, reminders_done)
    got = await _reminders(w.rt)
    assert [r.error for r in got] == ["appointment not upcoming"] * 2
    assert not {m.text for m in w.botapi.messages_to(CHAT)} & {r.text for r in got}


async def test_campaign_deadline_reminders_once_to_unfinished_applicants(
    rt: Runtime, tmp_path: Path
) -> None:
    now = utcnow().replace(hour=8, minute=0)  # 11:30 Tehran: after 10:00
    rt.clock = lambda: now
    today = now.astimezone(rt.settings.tz).date()
    cid = await seed_deployment(rt, tmp_path, **{"--end": jalali(today + timedelta(days=7))})
    for card in (ROYA, KARIM):  # Roya and Karim (with his household) await payment
        assert (await cli(rt, "case", "open", card))[0] == 0
    f = tmp_path / "paid.csv"  # Karim's slip was accepted at the bank: he has paid
    f.write_text(f"card_number,status,note,at\n{KARIM},payment_review,,\n{KARIM},paid,,\n",
                 encoding="utf-8")  # fmt: skip
    assert (await cli(rt, "import", "statuses", str(f)))[0] == 0
    for _ in range(2):  # the second tick adds nothing
        await tick(rt)
    got = await rows(rt, kind="reminder")
    assert all(r.key.startswith(f"rem:camp:{cid}:7d:") and "۷" in r.text for r in got)
    # Roya, once; not Karim (paid); his wife and son have neither chat nor mobile.
    assert [r.address for r in got] == [ROYA_MOBILE]
