"""Planned outages: the 72-hour rule, --force audited, the announcements, the menu line."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from handlers import outages
from handlers.base import Ctx
from handlers.menu import main_menu
from handlers.staff_auth import Forbidden, actor_for
from storage.models import Broadcast, Outage
from tests.staff_seed import ADMIN, NOW, REVIEWER, audits, outbox, seed


@pytest.fixture
async def seeded(rt):
    await seed(rt)
    return rt


async def test_less_than_72_hours_is_refused_and_changes_nothing(seeded):
    rt = seeded
    async with rt.db.session() as s:
        out = await outages.schedule_outage(
            rt, s, actor_for(ADMIN), NOW + timedelta(hours=71), NOW + timedelta(hours=73), "x"
        )
        assert await outages.active_or_upcoming(s, NOW) is None
    assert not out.ok and "71" in out.text(rt, "en") and "72" in out.text(rt, "en")
    assert not await outbox(rt) and not await audits(rt, "outage.schedule")


async def test_announced_at_once_and_a_day_before_and_shown_in_the_menu(seeded):
    rt = seeded
    start, end = NOW + timedelta(days=4), NOW + timedelta(days=4, hours=3)
    async with rt.db.session() as s:
        out = await outages.schedule_outage(rt, s, "cli:ops", start, end, "ارتقای سرور")
    assert out.ok
    async with rt.db.session() as s:
        bcs = (await s.scalars(select(Broadcast).order_by(Broadcast.id))).all()
        line = (await main_menu(Ctx(rt, s, "telegram", "1", "en"))).text
    assert [b.state for b in bcs] == ["running", "scheduled"]
    assert bcs[1].scheduled_at == start - timedelta(hours=24)
    msgs = await outbox(rt)
    assert len(msgs) == 3 and all("ارتقای سرور" in m.text for m in msgs)  # 3 reachable people
    assert {m.lang for m in msgs} == {"prs", "ps", "fa"}
    assert "ارتقای سرور" in line and "1405/09/06" in line  # the bot's menu mentions it
    rt.clock = lambda: end + timedelta(minutes=1)
    async with rt.db.session() as s:
        assert await outages.active_or_upcoming(s, rt.clock()) is None
        assert "ارتقای سرور" not in (await main_menu(Ctx(rt, s, "telegram", "1", "en"))).text


async def test_force_is_audited(seeded):
    rt = seeded
    async with rt.db.session() as s:
        out = await outages.schedule_outage(
            rt,
            s,
            actor_for(ADMIN),
            NOW + timedelta(hours=2),
            NOW + timedelta(hours=3),
            "fire",
            force=True,
        )
    assert out.ok
    [row] = await audits(rt, "outage.schedule")
    assert row.actor == "tg:7001" and row.after["forced"] is True and row.after["notice_hours"] == 2
    assert len(row.after["broadcasts"]) == 1  # too close for the day-before reminder
    async with rt.db.session() as s:
        assert (await s.scalar(select(Outage))).forced


async def test_reviewer_may_not_schedule_outages(seeded):
    rt = seeded
    with pytest.raises(Forbidden):
        async with rt.db.session() as s:
            await outages.schedule_outage(
                rt, s, actor_for(REVIEWER), NOW + timedelta(days=4), NOW + timedelta(days=5), "x"
            )
