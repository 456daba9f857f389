"""Announcements for people who linked no card: choosing a province really subscribes them."""

from __future__ import annotations

from sqlalchemy import select

from handlers import broadcasts as bc
from sms.keywords import route
from storage import broadcasts as bc_store
from storage.models import Outbox
from tests.bot_kit import Chat, datas

PROVINCE = "خراسان جنوبی"


async def test_unlinked_chat_and_mobile_choosing_a_province_get_its_broadcast(botapi, bot, brt):
    chat = Chat(botapi, 951)
    await chat.say("/start")
    await chat.press("lang:prs")
    subs = await chat.press("menu:subs")
    assert f"sub:prov:{PROVINCE}" in datas(subs)
    on = await chat.press(f"sub:prov:{PROVINCE}")
    assert PROVINCE in on.text
    other = Chat(botapi, 952)
    await other.say("/start")
    await other.press("sub:prov:*")  # every province
    await route(brt, "09150009999", f"عضویت {PROVINCE}", "in-1")
    async with brt.db.session() as s:
        preview = await bc.preview(brt, s, "cli:test", f"province={PROVINCE}")
        b = await bc.create_broadcast(brt, s, "cli:test", f"province={PROVINCE}",
                                      {"fa": "خبر", "prs": "خبر دری"})  # fmt: skip
        elsewhere = await bc.create_broadcast(brt, s, "cli:test", "province=تهران", {"fa": "x"})
        by_status = await bc.create_broadcast(brt, s, "cli:test", "status=paid", {"fa": "y"})
        again = await bc_store.start(s, await bc_store.get(s, b.id), brt.clock())
        got = {
            (r.channel, r.address): r.text
            for r in await s.scalars(select(Outbox).where(Outbox.broadcast_id == b.id))
        }
        far = await addresses(s, elsewhere.id)
        paid = await addresses(s, by_status.id)
    assert got[("telegram", "951")] == "خبر دری" and got[("telegram", "952")] == "خبر"
    assert got[("sms", "09150009999")] == "خبر"
    assert preview.by_channel["telegram"] >= 2
    assert "951" not in far and "952" in far  # Tehran: only the all-provinces subscriber
    assert not {"951", "952", "09150009999"} & paid  # nothing is known of a stranger's case
    assert again == 0


async def addresses(s, broadcast_id: int) -> set[str]:
    return set(await s.scalars(select(Outbox.address).where(Outbox.broadcast_id == broadcast_id)))
