"""Eligibility: yes/no with each reason in plain words; the unlinked check leaks nothing."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from bot.shell import turn
from handlers import eligibility as el
from handlers.convo import Event
from storage.models import Activity, Campaign
from tests.feat_support import NOW, button_data, ctx_for, freeze, seed


async def check(rt, card: str, lang: str = "fa", **changes) -> tuple[el.EligibilityResult, str]:
    async with ctx_for(rt, card, lang=lang) as ctx:
        for name, value in changes.items():
            setattr(ctx.national, name, value)
        result = await el.check_national(ctx, ctx.national)
        return result, el.explain(ctx, result).text


async def activity_count(rt) -> int:
    async with rt.db.session() as s:
        return await s.scalar(
            select(func.count()).select_from(Activity).where(Activity.kind == "eligibility_check")
        )


async def test_eligible_head_is_told_yes_and_where_to_go(rt):
    freeze(rt)
    await seed(rt)
    result, text = await check(rt, "100200300")
    assert result.eligible and result.reasons == [] and result.campaign.code == "AMAYESH-19"
    assert text.startswith("بله، می‌توانید در «طرح آمایش ۱۹» ثبت‌نام کنید. مهلت تا ۲۷ دی ۱۴۰۵ است.")
    assert await activity_count(rt) == 1


async def test_each_document_reason_in_plain_words_with_next_step(rt):
    freeze(rt)
    await seed(rt)
    result, text = await check(rt, "300400500")  # a round-14 card
    assert result.reasons == [el.ROUND]
    assert "کارت‌های دور ۱۵، ۱۶، ۱۷" in text and "منتظر اعلام طرح دور خود بمانید." in text
    result, text = await check(rt, "100200302")  # no transit sheet on record
    assert result.reasons == [el.TRANSIT_MISSING]
    assert "اول برگه تردد ۹۰ روزه بگیرید." in text
    old = date(2025, 1, 1)  # more than 365 days before the start
    result, text = await check(rt, "200300400", card_expiry=old, transit_sheet_expiry=old)
    assert result.reasons == [el.CARD_EXPIRED, el.TRANSIT_EXPIRED]
    assert "بیش از ۳۶۵ روز" in text and "برگه تردد را تمدید کنید" in text
    result, text = await check(rt, "200300400", lang="en", province="تهران")
    assert result.reasons == [el.OTHER_PROVINCE]
    assert "The open campaign («طرح آمایش 19») is not for your province." in text
    assert "Do not pay any middleman" in text


async def test_window_reasons_follow_the_clock(rt):
    freeze(rt)
    await seed(rt)
    freeze(rt, NOW + timedelta(days=80))
    result, text = await check(rt, "100200300")
    assert result.reasons == [el.WINDOW_CLOSED]
    assert "مهلت «طرح آمایش ۱۹» در ۲۷ دی ۱۴۰۵ تمام شد." in text
    assert "تعهد جاماندگان" in text
    freeze(rt, NOW - timedelta(days=10))
    result, text = await check(rt, "100200300")
    assert result.reasons == [el.NOT_YET_OPEN] and not result.eligible
    assert text.startswith("هنوز نه.") and "از ۲۷ آبان ۱۴۰۵ شروع می‌شود" in text
    freeze(rt, NOW + timedelta(days=500))
    result, text = await check(rt, "100200300")
    assert result.reasons == [el.NO_CAMPAIGN] and result.campaign is None
    assert "خبرها را روشن کنید" in text
    async with ctx_for(rt) as ctx:
        assert button_data(el.explain(ctx, result)) == ["menu:subs"]


async def test_unlinked_check_answers_yes_or_no_without_personal_data(rt):
    freeze(rt)
    await seed(rt)
    async with ctx_for(rt, channel="sms", address="09120000000") as ctx:
        yes = await el.check_unlinked(ctx, "۱۰۰-۲۰۰-۳۰۰", "۱۳۶۰")
        wrong_year = await el.check_unlinked(ctx, "100200300", "1361")
        unknown = await el.check_unlinked(ctx, "999999999", "1360")
        no = await el.check_unlinked(ctx, "300400500", "1370")
        bad = await el.check_unlinked(ctx, "100200300", "شصت")
    assert yes.text.startswith("بله")
    assert (
        wrong_year.text
        == unknown.text
        == "با این شماره کارت و سال تولد کسی پیدا نشد. دوباره بررسی کنید."
    )
    assert no.text.startswith("نه،") and "دور ۱۵، ۱۶، ۱۷" in no.text
    assert bad.text.startswith("لطفاً شماره کارت")
    for reply in (yes, no):
        for personal in ("علی", "زهرا", "احمدی", "رحیمی", "0915", "1360", "۱۳۶۰", "۱۳۷۰"):
            assert personal not in reply.text
    assert await activity_count(rt) == 4  # every real lookup counts, a malformed one does not


async def test_campaign_with_no_province_list_covers_everyone(rt):
    freeze(rt)
    await seed(rt)
    async with rt.db.session() as s:
        campaign = await s.scalar(select(Campaign))
        campaign.provinces = []
    result, _ = await check(rt, "200300400", province="تهران")
    assert result.eligible
    assert result.campaign is not None and result.campaign.code == "AMAYESH-19"


async def test_someone_elses_card_can_be_checked_ten_times_an_hour(rt):
    """Card + birth year guessing is slowed down per chat; the count lives in the database."""
    freeze(rt)
    await seed(rt)

    async def check(year: int) -> str:
        await turn(rt, "t-9", Event("button", data="menu:elig"))
        await turn(rt, "t-9", Event("text", text="300400500"))
        return "\n".join(r.text for r in await turn(rt, "t-9", Event("text", text=str(year))))

    for year in range(1360, 1370):
        assert "۱۰" not in await check(year)
    assert "۱۰ کارت" in await check(1370)
    async with rt.db.session() as s:
        kinds = select(func.count()).where(Activity.kind == "eligibility_check")
        assert await s.scalar(kinds) == 10  # the eleventh looked nothing up
    freeze(rt, NOW + timedelta(minutes=61))
    assert "۱۰ کارت" not in await check(1370)
