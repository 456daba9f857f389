"""The renewal case read in Dari and Pashto: on the bot, by SMS, in the household notice, the
deadline reminder and the window closing. Seeded as tests/cases_kit.py seeds a deployment, plus
a second registry CSV (`amayesh import nationals`) of people whose registry language is Dari or
Pashto."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.scheduler import tick
from handlers.jalali import AFGHAN_MONTHS
from handlers.runtime import Runtime
from handlers.sms_parts import count_segments
from storage.models import Outbox, utcnow
from tests.bot_kit import Chat, buttons
from tests.cases_kit import (
    HEADER,
    PROVINCE,
    ROYA,
    ROYA_MOBILE,
    World,
    cases_of,
    cli,
    jalali,
    seed_deployment,
    world,
)

# A Dari household (head Najib, wife Shakila with her own mobile) and a Pashto-speaking woman.
NAJIB, NAJIB_YEAR, NAJIB_MOBILE = "520000001", 1365, "09152220001"
SHAKILA, SHAKILA_MOBILE = "520000002", "09152220002"
MALALAI, MALALAI_YEAR, MALALAI_MOBILE = "520000003", 1372, "09152220003"


async def import_speakers(rt: Runtime, tmp: Path) -> None:
    today = rt.clock().astimezone(rt.settings.tz).date()
    ok, soon = jalali(today + timedelta(60)), jalali(today + timedelta(40))
    rows = [
        f"{NAJIB},H-20,1,نجیب,حیدری,غلام,{NAJIB_YEAR},M,AF,{PROVINCE},بیرجند,{NAJIB_MOBILE},{ok},{soon},prs,17",
        f"{SHAKILA},H-20,0,شکیلا,حیدری,نور,1368,F,AF,{PROVINCE},بیرجند,{SHAKILA_MOBILE},{ok},{soon},prs,17",
        f"{MALALAI},H-21,1,ملالی,یوسفزی,خان,{MALALAI_YEAR},F,AF,{PROVINCE},بیرجند,{MALALAI_MOBILE},{ok},{soon},ps,17",
    ]  # fmt: skip
    f = tmp / "speakers.csv"
    f.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    code, out = await cli(rt, "import", "nationals", str(f))
    assert code == 0 and "افزوده ۳" in out, out


@pytest.fixture
async def w(settings, botapi, tmp_path) -> AsyncIterator[World]:
    async with world(settings, botapi, tmp_path) as got:
        await import_speakers(got.rt, tmp_path)
        yield got


def afghan_month_named(text: str) -> bool:
    return any(f"{m}/" in text for m in AFGHAN_MONTHS)


async def outbox(rt: Runtime, key_like: str) -> list[Outbox]:
    async with rt.db.session() as s:
        return list((await s.scalars(select(Outbox).where(Outbox.key.like(key_like)))).all())


async def test_dari_household_opens_on_the_bot_in_dari_with_the_persian_buttons(w: World):
    najib = Chat(w.botapi, 9201)
    await najib.say("/start")
    await najib.press("lang:prs")
    await najib.link_by_contact(NAJIB, str(NAJIB_YEAR), NAJIB_MOBILE)
    yes = await najib.press("menu:elig")
    assert ("شروع تمدید", "case:open") in buttons(yes)  # the label Persian readers see
    opened = await najib.press("case:open")
    for name in ("نجیب حیدری", "شکیلا حیدری"):
        assert f"✅ {name}: دوسیه باز شد." in opened.text
    assert "دوسیه تمدید در «طرح آمایش ۲۰» (مهلت تا" in opened.text
    assert afghan_month_named(opened.text.splitlines()[0])
    assert "فیس هر نفر" in opened.text and "«ارسال فیش»" in opened.text
    assert "پرونده باز شد" not in opened.text and "هزینه هر نفر" not in opened.text
    assert buttons(opened) == [("ارسال فیش", "menu:receipt"), ("وضعیت پرونده", "menu:status")]
    again = await najib.press("case:open")
    assert again.text.count("دوسیه از قبل باز است؛ چیزی تغییر نکرد.") == 2
    # Shakila has no chat: the notice of her case goes to her mobile, in Dari.
    [notice] = await outbox(w.rt, "case:%:opened")
    assert notice.address == SHAKILA_MOBILE and notice.lang == "prs"
    assert notice.text.startswith("دوسیه تمدید شما در «طرح آمایش ۲۰» باز شد.")
    assert notice.sms_text and "فیس ۴۰۰٬۰۰۰ ریال" in notice.sms_text
    assert count_segments(notice.sms_text).parts <= 2
    # The status screen names the case in Dari too.
    status = await najib.press("menu:status", contains="طرح آمایش ۲۰")
    assert "منتظر پرداخت" in status.text or "انتظار پرداخت" in status.text


async def test_pashto_case_on_the_bot_then_by_sms(w: World) -> None:
    malalai = Chat(w.botapi, 9202)
    await malalai.say("/start")
    await malalai.press("lang:ps")
    await malalai.link_by_contact(MALALAI, str(MALALAI_YEAR), MALALAI_MOBILE)
    yes = await malalai.press("menu:elig")
    assert ("د تمدید پیل", "case:open") in buttons(yes)
    opened = await malalai.press("case:open")
    assert "✅ ملالی یوسفزی: دوسیه خلاصه شوه." in opened.text
    assert "په «طرح آمایش ۲۰» کې د تمدید دوسیه" in opened.text and "«رسید لېږل»" in opened.text
    assert "له ځانه سره دې راوړي:" in opened.text and "پرونده" not in opened.text
    assert buttons(opened) == [("رسید لېږل", "menu:receipt"), ("د دوسیې حالت", "menu:status")]
    # By SMS from her registry mobile: the same case, answered in Pashto within two parts.
    again = await w.text(MALALAI_MOBILE, "تمدید", "ps-1")
    assert again == "د طرح آمایش ۲۰ د تمدید دوسیه د ملالی لپاره دمخه خلاصه ده؛ څه بدل نه شول."
    assert "د تادیې په تمه" in await w.text(MALALAI_MOBILE, "وضعیت", "ps-2")


async def test_dari_head_renews_by_sms_for_the_household(w: World) -> None:
    answer = await w.text(NAJIB_MOBILE, "تمدید", "prs-1")
    assert answer == ("دوسیه تمدید طرح آمایش ۲۰ برای نجیب، شکیلا باز شد. هر نفر ۴۰۰٬۰۰۰ ریال، "
                      "حساب ۲۱۷۱۹۹۹۰۰۰۱۱۱. رسید: فیش پیگیری مبلغ")  # fmt: skip
    assert count_segments(answer).parts <= 2
    assert await cases_of(w.rt) == {NAJIB: "awaiting_payment", SHAKILA: "awaiting_payment"}
    [notice] = await outbox(w.rt, "case:%:opened")  # Shakila's, in Dari
    assert notice.address == SHAKILA_MOBILE and "دوسیه تمدید شما" in (notice.sms_text or "")
    got = await w.text(NAJIB_MOBILE, "فیش 918273645 400000", "prs-2")
    assert "R-14" in got


@pytest.fixture
async def closing(rt: Runtime, tmp_path: Path) -> Runtime:
    """A campaign ending in 7 days, at 11:30 Tehran time (the deadline reminders go after
    10:00), with cases for a Persian, a Dari and a Pashto reader, each reachable by SMS."""
    now = utcnow().replace(hour=8, minute=0, second=0, microsecond=0)
    rt.clock = lambda: now
    today = now.astimezone(rt.settings.tz).date()
    await seed_deployment(rt, tmp_path, **{"--end": jalali(today + timedelta(7))})
    await import_speakers(rt, tmp_path)
    for card in (ROYA, NAJIB, MALALAI):
        assert (await cli(rt, "case", "open", card))[0] == 0
    return rt


async def test_deadline_reminder_and_window_closing_reach_each_reader_in_their_language(
    closing: Runtime,
) -> None:
    rt = closing
    await tick(rt)
    by_card = {ROYA: "fa", NAJIB: "prs", MALALAI: "ps"}
    reminded = {r.address: r for r in await outbox(rt, "rem:camp:%")}
    roya, najib, malalai = (reminded[m] for m in (ROYA_MOBILE, NAJIB_MOBILE, MALALAI_MOBILE))
    assert [roya.lang, najib.lang, malalai.lang] == list(by_card.values())
    assert "روز تا پایان مهلت" in (roya.sms_text or "")
    assert "روز تا ختم مهلت" in (najib.sms_text or "") and afghan_month_named(najib.text)
    assert "ورځې پاتې دي" in (malalai.sms_text or "") and "ورځې پاتې دي" in malalai.text
    assert all(count_segments(r.sms_text or "").parts <= 2 for r in reminded.values())
    # The window closes: one notice each, text and SMS in the reader's language.
    ends = rt.clock() + timedelta(days=8)
    rt.clock = lambda: ends
    await tick(rt)
    assert set((await cases_of(rt)).values()) == {"missed_window"}
    missed = {n.address: n for n in await outbox(rt, "missed:%")}
    roya, najib, malalai = (missed[m] for m in (ROYA_MOBILE, NAJIB_MOBILE, MALALAI_MOBILE))
    assert "تمام شد" in roya.text and (roya.sms_text or "").startswith("مهلت طرح آمایش ۲۰ تمام شد")
    assert "ختم شد" in najib.text and afghan_month_named(najib.text)
    assert (najib.sms_text or "").startswith("مهلت طرح آمایش ۲۰ ختم شد و دوسیه شما بسته شد")
    assert "پای ته ورسېده" in malalai.text
    assert (malalai.sms_text or "").startswith("د طرح آمایش ۲۰ موده پای ته ورسېده")
    assert all(count_segments(n.sms_text or "").parts <= 2 for n in missed.values())
