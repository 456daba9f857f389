"""The audit log in the console: filters (staff member, action, national, dates), CSV export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import jdatetime

from handlers.jalali import fa_digits
from handlers.runtime import Runtime
from tests.console_kit import console_client, national_id, post_form, seed_console, sign_in
from tests.staff_seed import audits


async def test_filters_and_export(rt: Runtime) -> None:
    await seed_console(rt)
    nid = await national_id(rt)
    async with console_client(rt) as client:
        await sign_in(client, rt, "reviewer", {})
        page = await (await client.get(f"/staff/nationals/{nid}")).text()
        await post_form(client, f"/staff/nationals/{nid}/identity", page)
        r = await client.get("/staff/audit")
        assert r.status == 403
    async with console_client(rt) as client:
        await sign_in(client, rt, "admin", {})
        page = await (await client.get("/staff/audit")).text()
        assert "identity.check" in page and "console.signin" in page
        mine = {"actor": "web:reviewer", "action": "identity.check"}
        page = await (await client.get("/staff/audit", params=mine)).text()
        assert "identity.check" in page and "console.signin</code>" not in page
        page = await (await client.get("/staff/audit", params={"card": "۱۰۰۲۰۰۳۰۰"})).text()
        assert "identity.check" in page and "console.signin</code>" not in page
        page = await (await client.get("/staff/audit", params={"card": "999888777"})).text()
        assert "موردی با این پالایه نیست" in page
        page = await (await client.get("/staff/audit", params={"action": "console."})).text()
        assert "console.signin" in page and "identity.check</code>" not in page
        at = (await audits(rt, "identity.check"))[0].at  # stamped by the database's clock
        on = jdatetime.date.fromgregorian(date=at.astimezone(rt.settings.tz).date())
        day = {"start": fa_digits(on.strftime("%Y/%m/%d")), "end": on.strftime("%Y/%m/%d")}
        page = await (await client.get("/staff/audit", params=day)).text()
        assert "identity.check" in page
        after = (on + timedelta(days=1)).strftime("%Y/%m/%d")
        page = await (await client.get("/staff/audit", params={"start": after})).text()
        assert "موردی با این پالایه نیست" in page
        r = await client.get("/staff/audit", params={"start": "دیروز"})
        assert r.status == 400 and "به شکل ۱۴۰۵/۰۹/۰۲" in await r.text()
        r = await client.get("/staff/audit/export.csv", params={"card": "100200300"})
        assert r.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO((await r.read()).decode("utf-8-sig"))))
        assert [row["action"] for row in rows] == ["identity.check"]
        assert rows[0]["actor"] == "web:reviewer"
