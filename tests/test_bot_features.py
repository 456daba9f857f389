"""Issue 3's feature items wired into the bot, and one national never seeing another's data."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from handlers.runtime import Runtime
from storage.models import Appointment, Complaint, Subscription
from tests.bot_kit import (
    ALI,
    GOL,
    Chat,
    datas,
    national_id,
    png,
    running_bot,
)
from tests.fakes.botapi import FakeBotAPI


@pytest.fixture
async def brt(brt: Runtime) -> AsyncIterator[Runtime]:
    """The shared seeded runtime, with the bot running for every test here."""
    async with running_bot(brt):
        yield brt


async def linked(botapi: FakeBotAPI, chat_id: int, card: str, year: str, mobile: str) -> Chat:
    chat = Chat(botapi, chat_id)
    await chat.link_by_contact(card, year, mobile)
    await chat.press("lang:fa")
    return chat


async def test_head_sees_members_but_nobody_sees_strangers(botapi, brt):
    ali = await linked(botapi, 801, ALI, "1360", "09151234567")
    gol = await linked(botapi, 802, GOL, "1355", "09157654321")
    fatemeh, gol_id = await national_id(brt, "100200301"), await national_id(brt, GOL)
    ali_id = await national_id(brt, ALI)
    own = await ali.press("menu:status")
    assert "علی احمدی" in own.text and f"status:member:{fatemeh}" in datas(own)
    member = await ali.press(f"status:member:{fatemeh}")
    assert "فاطمه" in member.text
    # Forged buttons: another household's member, by either side.
    assert "قابل نمایش نیست" in (await ali.press(f"status:member:{gol_id}")).text
    stranger = await gol.press(f"status:member:{ali_id}")
    assert "قابل نمایش نیست" in stranger.text and "علی" not in stranger.text
    async with brt.db.session() as s:
        appt = await s.scalar(select(Appointment).where(Appointment.national_id == ali_id))
    assert appt is not None
    await gol.press(f"appt:confirm:{appt.id}")
    async with brt.db.session() as s:
        assert (await s.get(Appointment, appt.id)).state == "booked"  # type: ignore[union-attr]
    for m in botapi.messages_to(802):
        assert "احمدی" not in (m.content or "")


async def test_appointments_confirmed_with_a_button(botapi, brt):
    ali = await linked(botapi, 803, ALI, "1360", "09151234567")
    listing = await ali.press("menu:appts")
    confirm = next(d for d in datas(listing) if d.startswith("appt:confirm:"))
    await ali.press(confirm)
    async with brt.db.session() as s:
        appt = await s.get(Appointment, int(confirm.rsplit(":", 1)[1]))
    assert appt is not None and appt.state == "confirmed"


async def test_campaigns_services_and_subscriptions(botapi, brt):
    chat = Chat(botapi, 804)
    assert "آمایش ۱۹" in (await chat.press("menu:campaigns")).text
    services = await chat.press("menu:services")
    first = next(d for d in datas(services) if d.startswith("svc:") and "page" not in d)
    detail = await chat.press(first)
    assert detail.text and "svc:page:0" in datas(detail)
    await chat.press("menu:subs")
    await chat.press("sub:off")
    async with brt.db.session() as s:
        sub = await s.scalar(select(Subscription).where(Subscription.address == "804"))
    assert sub is not None and sub.subscribed is False


async def test_eligibility_for_an_unlinked_user_asks_card_then_year(botapi, brt):
    chat = Chat(botapi, 805)
    assert "کارت آمایش" in (await chat.press("menu:elig")).text
    assert "سال تولد" in (await chat.say("۳۰۰۴۰۰۵۰۰")).text
    answer = await chat.say("1370")
    assert answer.text and "متوجه نشدم" not in answer.text


async def test_complaint_with_photo_then_lookup(botapi, brt):
    chat = Chat(botapi, 806)
    await chat.press("menu:complaint")
    assert "شکایت" in (await chat.press("cmp:new")).text
    asked = await chat.say("دفتر <b>پول اضافه</b> گرفت")
    assert "cmp:skip" in datas(asked)
    filed = await chat.photo(png(noise=b"complaint"))
    async with brt.db.session() as s:
        row = await s.scalar(select(Complaint))
    assert row is not None and row.code in filed.text and filed.parse_mode is None
    assert row.text == "دفتر <b>پول اضافه</b> گرفت" and row.photo_path
    assert (brt.settings.files_dir / row.photo_path).exists()
    await chat.next()  # the menu after it
    await chat.press("menu:complaint")
    await chat.press("cmp:lookup")
    found = await chat.say(row.code.lower())
    assert row.code in found.text
