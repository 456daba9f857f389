"""Campaigns in the console: create with the CLI's rules (Jalali dates, fees, offices), refuse a
bad one with the reason, and open cases for a campaign after its dry-run count."""

from __future__ import annotations

from sqlalchemy import func, select

from handlers.runtime import Runtime
from storage.models import Application, Campaign
from tests.console_kit import console_client, post_form, seed_console, sign_in
from tests.staff_seed import audits

NEW = {"code": "AMAYESH-20", "title": "طرح آمایش ۲۰", "kind": "renewal",
       "provinces": "خراسان جنوبی", "rounds": "۱۷,18", "start": "۱۴۰۵/۰۹/۰۱",
       "end": "1405/10/30", "fees": "خدمات=۳۰۰۰۰۰\nبیمه=200000", "account": "IR12",
       "offices": "دفتر کفالت ۱|خیابان امام|بیرجند", "documents": "کارت آمایش\nعکس"}  # fmt: skip


async def _cases(rt: Runtime) -> int:
    async with rt.db.session() as s:
        return await s.scalar(select(func.count()).select_from(Application)) or 0


async def test_create_campaign_and_open_its_cases(rt: Runtime) -> None:
    await seed_console(rt)
    async with console_client(rt) as client:
        await sign_in(client, rt, "admin", {})
        page = await (await client.get("/staff/campaigns")).text()
        assert "AMAYESH-19" in page
        r = await post_form(client, "/staff/campaigns", page, **(NEW | {"fees": "خدمات"}))
        assert r.status == 400 and "طرح ثبت نشد" in await r.text()
        r = await post_form(client, "/staff/campaigns", page, **(NEW | {"end": "1405/08/01"}))
        assert r.status == 400 and "--end is before --start" in await r.text()
        r = await post_form(client, "/staff/campaigns", page, **NEW)
        assert r.status == 200 and "AMAYESH-20" in await r.text() and "ثبت شد" in await r.text()
        r = await post_form(client, "/staff/campaigns", page, **NEW)
        assert r.status == 400 and "exists already" in await r.text()
        async with rt.db.session() as s:
            c = (await s.scalars(select(Campaign).where(Campaign.code == "AMAYESH-20"))).one()
        assert c.fee_total == 500_000 and c.eligible_rounds == [17, 18]
        assert c.offices[0]["address"] == "خیابان امام" and c.documents == ["کارت آمایش", "عکس"]
        page = await (await client.get("/staff/campaigns/AMAYESH-19")).text()
        before = await _cases(rt)
        assert "هنوز پرونده‌ای در این طرح ندارند" in page
        r = await post_form(client, "/staff/campaigns/AMAYESH-19/open-cases", page)
        assert r.status == 200 and "پرونده گشوده شد" in await r.text()
        opened = await _cases(rt) - before
        page = await (await client.get("/staff/campaigns/AMAYESH-19")).text()
        assert "۰ تبعه" in page and "disabled" in page  # nothing left to open
        assert (await client.get("/staff/campaigns/NOPE")).status == 404
    assert [a.after for a in await audits(rt, "case.open_all")] == [{"opened": opened}]
    assert [a.actor for a in await audits(rt, "campaign.create")] == ["demo", "web:admin"]
