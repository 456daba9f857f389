"""Announcements: on, off and by province per chat or mobile; linking subscribes by default."""

from __future__ import annotations

from sqlalchemy import select

from handlers.subscriptions import subscribe, subscribe_on_link, subscription_menu, unsubscribe
from storage.models import National, Subscription
from tests.feat_support import button_data, ctx_for, freeze, seed


async def stored(rt, channel: str, address: str) -> Subscription | None:
    async with rt.db.session() as s:
        return await s.scalar(
            select(Subscription).where(
                Subscription.channel == channel, Subscription.address == address
            )
        )


async def test_a_bare_mobile_turns_on_narrows_widens_and_turns_off(rt):
    freeze(rt)
    await seed(rt)
    sms = {"channel": "sms", "address": "09120000001"}
    async with ctx_for(rt, **sms) as ctx:
        menu = await subscription_menu(ctx)
        on = await subscribe(ctx, None)
    assert menu.text.startswith("خبرها خاموش است.")
    assert button_data(menu) == ["sub:on", "sub:prov:خراسان جنوبی", "sub:prov:*"]
    assert on.text == "خبرهای طرح آمایش برای همه استان‌ها برای شما فرستاده می‌شود."
    row = await stored(rt, **sms)
    assert (row.subscribed, row.provinces, row.national_id) == (True, [], None)

    async with ctx_for(rt, **sms) as ctx:
        narrowed = await subscribe(ctx, " خراسان\u200cجنوبي ")  # Arabic yeh, a ZWNJ
        unknown = await subscribe(ctx, "کابل")
    assert "برای خراسان جنوبی" in narrowed.text
    assert unknown.text == "این نام استان را نشناختیم. از دکمه‌ها انتخاب کنید."
    assert (await stored(rt, **sms)).provinces == ["خراسان جنوبی"]

    async with ctx_for(rt, **sms) as ctx:
        widened = await subscribe(ctx, "*")
        off = await unsubscribe(ctx)
        menu = await subscription_menu(ctx)
    assert "همه استان‌ها" in widened.text
    assert off.text.startswith("خبرهای عمومی دیگر فرستاده نمی‌شود.")
    assert menu.text.startswith("خبرها خاموش است.") and button_data(menu)[0] == "sub:on"
    row = await stored(rt, **sms)
    assert (row.subscribed, row.provinces) == (False, [])


async def test_linking_subscribes_by_default_but_an_opt_out_stands(rt):
    freeze(rt)
    await seed(rt)
    async with rt.db.session() as s:
        ali = await s.scalar(select(National).where(National.card_number == "100200300"))
        await subscribe_on_link(s, ali, "telegram", "777")
    row = await stored(rt, "telegram", "777")
    assert (row.subscribed, row.national_id) == (True, ali.id)

    async with ctx_for(rt, channel="sms", address="09151234567") as ctx:
        await unsubscribe(ctx)  # «لغو» before ever linking
    async with rt.db.session() as s:
        await subscribe_on_link(s, ali, "sms", "09151234567")
    row = await stored(rt, "sms", "09151234567")
    assert (row.subscribed, row.national_id) == (False, ali.id)


async def test_linked_national_sees_on_by_default_with_their_province(rt):
    freeze(rt)
    await seed(rt)
    async with ctx_for(rt, "200300400", lang="ps", address="888") as ctx:
        menu = await subscription_menu(ctx)
        await subscribe(ctx, "خراسان جنوبی")
    assert menu.text.startswith("خبرونه فعال دي (ټول ولایتونه).")
    assert button_data(menu) == ["sub:off", "sub:prov:خراسان جنوبی", "sub:prov:*"]
    assert all(len(d.encode()) <= 64 for d in button_data(menu))
    row = await stored(rt, "telegram", "888")
    assert row.national_id is not None and row.provinces == ["خراسان جنوبی"]
