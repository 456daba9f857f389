"""Status: the case's current step and history in Jalali dates; heads see their household."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from handlers.i18n import Catalog
from handlers.status import member_status, status_reply
from storage.models import National, StatusEvent
from storage.statuses import Status
from tests.feat_support import NOW, button_data, ctx_for, freeze, seed


async def ids(rt) -> dict[str, int]:
    async with rt.db.session() as s:
        return {n.card_number: n.id for n in await s.scalars(select(National))}


async def test_head_sees_status_history_next_step_and_member_buttons(rt):
    freeze(rt)
    await seed(rt)
    async with rt.db.session() as s:  # the demo's steps happened over three days
        for days, status in ((6, "registered"), (4, "docs_review"), (1, "awaiting_payment")):
            await s.execute(
                update(StatusEvent).where(StatusEvent.status == status)
                .values(at=NOW - timedelta(days=days))
            )  # fmt: skip
    people = await ids(rt)
    async with ctx_for(rt, "100200300") as ctx:
        reply = await status_reply(ctx)
    lines = reply.text.splitlines()
    assert lines[0] == "پرونده علی احمدی: طرح آمایش ۱۹"
    assert lines[1] == "وضعیت فعلی: در انتظار پرداخت"
    assert "عکس فیش را بفرستید" in lines[2]
    assert lines[-3:] == [
        "• ۲۶ آبان ۱۴۰۵: ثبت‌نام شده",
        "• ۲۸ آبان ۱۴۰۵: بررسی مدارک",
        "• ۱ آذر ۱۴۰۵: در انتظار پرداخت",
    ]
    assert button_data(reply) == [
        f"status:member:{people['100200301']}",
        f"status:member:{people['100200302']}",
    ]
    assert reply.sms_text == "علی: در انتظار پرداخت (۱ آذر ۱۴۰۵)"


async def test_head_reads_a_member_but_nobody_reads_strangers(rt):
    freeze(rt)
    await seed(rt)
    people = await ids(rt)
    async with ctx_for(rt, "100200300", lang="ps") as ctx:
        member = await member_status(ctx, people["100200301"])
        stranger = await member_status(ctx, people["200300400"])
    assert member.text == "د فاطمه احمدی لپاره لا دوسیه نه ده ثبت شوې."
    assert f"status:member:{people['100200300']}" in button_data(member)
    assert stranger.text == "دا دوسیه ونه موندل شوه."
    async with ctx_for(rt, "100200301") as ctx:  # a member is not the head
        head = await member_status(ctx, people["100200300"])
        own = await status_reply(ctx)
    assert head.text == "این پرونده پیدا نشد."
    assert "علی" not in own.text and button_data(own) == []
    async with ctx_for(rt, "200300400") as ctx:
        ali = await ctx.session.get(National, people["100200300"])
        assert (await status_reply(ctx, ali)).text == "این پرونده پیدا نشد."
    async with ctx_for(rt) as ctx:
        assert (await status_reply(ctx)).text == ctx.t("common.link_first")


@pytest.mark.parametrize("lang", ["fa", "prs", "ps", "en"])
def test_every_status_has_a_label_in_every_language(lang):
    catalog = Catalog()
    labels = {s: catalog.messages[lang].get(f"status.labels.{s.value}") for s in Status}
    assert all(labels.values()), [s for s, v in labels.items() if not v]
    if lang in ("ps", "en"):  # real translations, not the Persian fallback
        fa = {s: catalog.messages["fa"][f"status.labels.{s.value}"] for s in Status}
        assert all(labels[s] != fa[s] for s in Status)
    if lang == "en":
        assert all(re.fullmatch(r"[A-Za-z ]+", v) for v in labels.values())
