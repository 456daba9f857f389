"""Campaigns: what is open, when, where, for how much, and the no-agents warning."""

from __future__ import annotations

from datetime import date

from handlers.campaigns import open_campaigns
from storage.admin import add_campaign
from tests.feat_support import button_data, ctx_for, freeze, seed


async def test_unlinked_sees_every_open_campaign_with_fee_account_and_warning(rt):
    freeze(rt)
    await seed(rt)
    async with ctx_for(rt) as ctx:
        reply = await open_campaigns(ctx)
    text = reply.text
    assert "طرح آمایش ۱۹" in text
    assert "از ۲۷ آبان ۱۴۰۵ تا ۲۷ دی ۱۴۰۵" in text
    assert "هزینه آمایش: ۳۰۰٬۰۰۰ ریال (۳۰٬۰۰۰ تومان)" in text
    assert "جمع: ۳۰۰٬۰۰۰ ریال (۳۰٬۰۰۰ تومان)" in text
    assert "۲۱۷۱۱۳۴۷۵۶۰۰۱" in text
    assert "دفتر کفالت شماره ۱ بیرجند: بیرجند، خیابان طالقانی، پلاک ۱۲" in text
    assert "برگه تردد ۹۰ روزه معتبر" in text
    assert "هیچ واسطه" in text and "شکایت" in text
    assert button_data(reply) == ["menu:elig", "menu:complaint"]
    assert reply.sms_text and "۲۱۷۱۱۳۴۷۵۶۰۰۱" in reply.sms_text and "واسطه" in reply.sms_text


async def test_dari_reader_sees_afghan_month_names_and_english_latin_digits(rt):
    freeze(rt)
    await seed(rt)
    async with ctx_for(rt, "100200300", lang="prs") as ctx:
        dari = await open_campaigns(ctx)
    async with ctx_for(rt, lang="en") as ctx:
        english = await open_campaigns(ctx)
    assert "از ۲۷ عقرب/آبان ۱۴۰۵ تا ۲۷ جدی/دی ۱۴۰۵" in dari.text
    assert "دلال" in dari.text
    assert "Registration: 1405/08/27 to 1405/10/27" in english.text
    assert "Total: 300,000 rials (30,000 toman)" in english.text
    assert "no agents" in english.text


async def test_linked_national_of_another_province_hears_of_the_next_one(rt):
    freeze(rt)
    await seed(rt)
    async with rt.db.session() as s:
        await add_campaign(
            s, "test", code="AMAYESH-20-TEH", title="طرح آمایش ۲۰ تهران", kind="renewal",
            eligible_rounds=[17], provinces=["تهران"], starts_on=date(2027, 1, 1),
            ends_on=date(2027, 2, 1), max_days_expired=None, fee_items=[], bank_account="",
            documents=[], offices=[],
        )  # fmt: skip
    async with ctx_for(rt, "100200300") as ctx:
        ctx.national.province = "تهران"  # moved: the registry now lists them in Tehran
        reply = await open_campaigns(ctx)
    assert "الان طرحی برای استان تهران باز نیست." in reply.text
    assert "طرح بعدی: طرح آمایش ۲۰ تهران، از ۱۱ دی ۱۴۰۵ تا ۱۲ بهمن ۱۴۰۵." in reply.text
    assert "طرح آمایش ۱۹" not in reply.text
    assert button_data(reply) == ["menu:subs"]


async def test_nothing_open_says_so(rt):
    freeze(rt)
    async with ctx_for(rt) as ctx:
        reply = await open_campaigns(ctx)
    assert reply.text.startswith("الان هیچ طرحی باز نیست.")
