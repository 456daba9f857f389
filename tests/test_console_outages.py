"""Planned outages in the console: the 72-hour rule, force (admin-only, audited), the list."""

from __future__ import annotations

from datetime import timedelta

import jdatetime
from sqlalchemy import func, select

from handlers.jalali import fa_digits
from handlers.runtime import Runtime
from storage.models import Broadcast, Outage
from tests.console_kit import console_client, post_form, seed_console, sign_in
from tests.staff_seed import audits


def _at(rt: Runtime, hours: int) -> str:
    """The Jalali 'YYYY/MM/DD HH:MM' a person types (Persian digits), `hours` from now."""
    when = (rt.clock() + timedelta(hours=hours)).astimezone(rt.settings.tz)
    j = jdatetime.datetime.fromgregorian(datetime=when)
    return fa_digits(f"{j.year}/{j.month:02d}/{j.day:02d} {j.hour:02d}:{j.minute:02d}")


async def _count(rt: Runtime, model: type) -> int:
    async with rt.db.session() as s:
        return await s.scalar(select(func.count()).select_from(model)) or 0


async def test_seventy_two_hour_rule_force_and_list(rt: Runtime) -> None:
    await seed_console(rt)
    async with console_client(rt) as client:
        await sign_in(client, rt, "admin", {})
        page = await (await client.get("/staff/outages")).text()
        assert "۷۲ ساعت" in page and "قطعی‌ای ثبت نشده" in page
        r = await post_form(client, "/staff/outages", page, starts=_at(rt, 24),
                            ends=_at(rt, 28), reason="به‌روزرسانی سرور")  # fmt: skip
        body = await r.text()
        assert r.status == 400 and "دست‌کم ۷۲ ساعت" in body and "۲۴ ساعت مانده" in body
        assert await _count(rt, Outage) == 0
        r = await post_form(client, "/staff/outages", page, starts="۱۴۰۵/۱۳/۴۰ ۲۵:۰۰",
                            ends=_at(rt, 80), reason="x")  # fmt: skip
        assert r.status == 400 and "به شکل ۱۴۰۵/۰۹/۱۰" in await r.text()
        r = await post_form(client, "/staff/outages", page, starts=_at(rt, 96),
                            ends=_at(rt, 100), reason="به‌روزرسانی سرور")  # fmt: skip
        assert r.status == 200 and "ثبت شد و اعلام شد" in await r.text()
        r = await post_form(client, "/staff/outages", page, starts=_at(rt, 24),
                            ends=_at(rt, 26), reason="قطع برق", force="yes")  # fmt: skip
        body = await r.text()
        assert r.status == 200 and "ثبت شد" in body
        assert "کمتر از ۷۲ ساعت" in body and "قطع برق" in body and "به‌روزرسانی سرور" in body
    assert await _count(rt, Outage) == 2
    # Announced at once, and again a day before unless that moment has already passed.
    assert await _count(rt, Broadcast) == 3
    forced = [a.after["forced"] for a in await audits(rt, "outage.schedule")]  # type: ignore[index]
    assert forced == [False, True]
    assert {a.actor for a in await audits(rt, "outage.schedule")} == {"web:admin"}
