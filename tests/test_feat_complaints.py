"""Complaints: a yearly tracking code, a 3-working-day clock, and only the filer can look."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.shell import CHANNEL, read_event, turn
from handlers.complaints import MAX_CHARS, file_complaint, lookup_complaint, parse_code
from handlers.convo import Event
from storage.models import Activity, Complaint
from tests.bot_kit import png
from tests.feat_support import NOW, ctx_for, freeze, seed


async def complaints(rt) -> list[Complaint]:
    async with rt.db.session() as s:
        return list(await s.scalars(select(Complaint).order_by(Complaint.id)))


async def test_anonymous_complaint_gets_a_code_and_a_due_date(rt):
    freeze(rt)  # Monday 2 Azar 1405
    async with ctx_for(rt, channel="sms", address="09121112233") as ctx:
        first = await file_complaint(
            ctx, "  دفتر كفالت  ۵۰۰ هزار تومان اضافه خواست\n\n  لطفاً رسيدگي کنيد "
        )
        second = await file_complaint(ctx, "باز هم", photo_path="complaints/a.jpg")
    assert first.text.splitlines() == [
        "شکایت شما ثبت شد.", "کد پیگیری: C-1405-000001", "تا ۵ آذر ۱۴۰۵ پاسخ می‌دهیم.",
        "این کد را نگه دارید.",
    ]  # fmt: skip
    assert second.payload == {"complaint_code": "C-1405-000002"}
    assert first.sms_text == "شکایت ثبت شد. کد پیگیری C-1405-000001. پاسخ تا ۵ آذر ۱۴۰۵."
    rows = await complaints(rt)
    assert rows[0].text == "دفتر کفالت 500 هزار تومان اضافه خواست\nلطفاً رسیدگی کنید"
    assert rows[0].national_id is None and (rows[0].channel, rows[0].address) == (
        "sms", "09121112233",
    )  # fmt: skip
    assert rows[0].due_at == datetime(2026, 11, 26, 20, 29, 59, tzinfo=UTC)  # 23:59:59 Tehran
    assert rows[1].photo_path == "complaints/a.jpg" and rows[1].state == "open"


@pytest.mark.parametrize(
    ("filed", "due"),
    [
        (datetime(2026, 11, 25, 8, tzinfo=UTC), "۸ آذر ۱۴۰۵"),  # skips Friday
        (datetime(2026, 12, 22, 8, tzinfo=UTC), "۶ دی ۱۴۰۵"),  # skips 2 Dey (a holiday) and Friday
        (datetime(2027, 3, 17, 8, tzinfo=UTC), "۷ فروردین ۱۴۰۶"),  # skips 29 Esfand and Nowruz
    ],
)
async def test_due_date_counts_working_days_only(rt, filed, due):
    freeze(rt, filed)
    async with ctx_for(rt) as ctx:
        reply = await file_complaint(ctx, "شکایت")
    assert f"تا {due} پاسخ می‌دهیم." in reply.text


async def test_empty_or_too_long_is_refused_and_nothing_is_stored(rt):
    freeze(rt)
    async with ctx_for(rt, lang="en") as ctx:
        empty = await file_complaint(ctx, " \u200c \n ")
        long = await file_complaint(ctx, "x" * (MAX_CHARS + 1))
    assert empty.text == "The complaint is empty. Please write a few words."
    assert long.text == "The text is too long. Please keep it under 2000 characters."
    assert await complaints(rt) == []


async def test_codes_restart_each_jalali_year_and_stay_unique_under_concurrency(rt):
    freeze(rt, datetime(2026, 3, 10, 8, tzinfo=UTC))  # 19 Esfand 1404
    async with ctx_for(rt) as ctx:
        old = await file_complaint(ctx, "سال قبل")
    freeze(rt)

    async def one(i: int) -> str:
        async with ctx_for(rt, address=f"70{i}") as ctx:
            return (await file_complaint(ctx, f"شکایت {i}")).payload["complaint_code"]

    codes = await asyncio.gather(*(one(i) for i in range(6)))
    assert old.payload["complaint_code"] == "C-1404-000001"
    assert sorted(codes) == [f"C-1405-{n:06d}" for n in range(1, 7)]
    async with rt.db.session() as s:
        counted = await s.scalar(
            select(func.count()).select_from(Activity).where(Activity.kind == "complaint")
        )
    assert counted == 7


async def test_only_the_complainant_can_look_it_up(rt):
    freeze(rt)
    await seed(rt)
    async with ctx_for(rt, "100200300", channel="telegram", address="42") as ctx:
        await file_complaint(ctx, "پول اضافه")
    async with ctx_for(rt, "100200300", channel="sms", address="09151234567") as ctx:
        same_person = await lookup_complaint(ctx, "c ۱۴۰۵ ۱")
    async with ctx_for(rt, channel="telegram", address="42") as ctx:
        same_chat = await lookup_complaint(ctx, "C-1405-000001")
    async with ctx_for(rt, "200300400", channel="telegram", address="43") as ctx:
        stranger = await lookup_complaint(ctx, "C-1405-000001")
        missing = await lookup_complaint(ctx, "C-1405-000999")
        junk = await lookup_complaint(ctx, "hello")
    assert same_person.text == same_chat.text
    assert same_person.text.splitlines() == [
        "کد پیگیری: C-1405-000001", "تاریخ ثبت: ۲ آذر ۱۴۰۵", "وضعیت: در حال رسیدگی",
        "مهلت پاسخ: ۵ آذر ۱۴۰۵",
    ]  # fmt: skip
    assert stranger.text == missing.text == junk.text == "شکایتی با این کد برای شما پیدا نشد."
    async with rt.db.session() as s:
        row = await s.scalar(select(Complaint))
        row.state, row.answer = "answered", "با دفتر برخورد شد."
    async with ctx_for(rt, channel="telegram", address="42", lang="en") as ctx:
        answered = await lookup_complaint(ctx, "C-1405-000001")
    assert "Status: answered" in answered.text and "Answer: با دفتر برخورد شد." in answered.text
    assert "Answer due" not in answered.text


def test_codes_are_read_from_any_keyboard():
    assert parse_code("C-1405-000123") == "C-1405-000123"
    assert parse_code("c ۱۴۰۵ ۱۲۳") == "C-1405-000123"
    assert parse_code("١٤٠٥/٠٠٠١٢٣") == "C-1405-000123"
    assert parse_code("C-1405") is None and parse_code("") is None


async def test_ten_complaints_a_day_from_one_mobile_then_a_polite_no(rt):
    """The cap is per chat or mobile, the same for everyone, and a refusal stores nothing."""
    freeze(rt)
    async with ctx_for(rt, channel="sms", address="09121112233") as ctx:
        for i in range(10):
            assert "C-1405-" in (await file_complaint(ctx, f"شکایت {i}")).text
        refused = await file_complaint(ctx, "یازدهم")
    assert "۱۰ شکایت" in refused.text and "C-1405-" not in refused.text
    assert len(await complaints(rt)) == 10
    async with ctx_for(rt, channel="sms", address="09124445566") as other:
        assert "C-1405-000011" in (await file_complaint(other, "من هم")).text
    freeze(rt, NOW + timedelta(hours=24, minutes=1))
    async with ctx_for(rt, channel="sms", address="09121112233") as ctx:
        assert "C-1405-000012" in (await file_complaint(ctx, "فردا")).text


async def test_a_refused_complaint_photo_is_not_kept(rt, tmp_path):
    """The messenger/terminal path checks the cap before the photo reaches the disk."""
    freeze(rt)
    async with ctx_for(rt, channel=CHANNEL, address="t-8") as ctx:
        for i in range(10):
            await file_complaint(ctx, f"شکایت {i}")
    photo = tmp_path / "p.png"
    photo.write_bytes(png(noise=b"eleventh"))
    await turn(rt, "t-8", Event("button", data="menu:complaint"))
    # Refused as soon as they choose «new complaint», before typing anything.
    replies = await turn(rt, "t-8", Event("button", data="cmp:new"))
    assert "۱۰ شکایت" in replies[0].text
    await turn(rt, "t-8", Event("text", text="دفتر پول اضافه گرفت"))
    await turn(rt, "t-8", await read_event(f"/file {photo}", []))  # type: ignore[arg-type]
    assert len(await complaints(rt)) == 10
    assert not (rt.settings.files_dir / "complaints").exists()
