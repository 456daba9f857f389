"""The daily report page: any day by its Jalali date, the chart, CSV and XLSX downloads."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from handlers.runtime import Runtime
from tests.console_kit import console_client, seed_console, sign_in


async def test_report_for_a_day_with_chart_and_downloads(rt: Runtime) -> None:
    await seed_console(rt)  # the clock stands on 1405/09/02
    async with console_client(rt) as client:
        await sign_in(client, rt, "broadcaster", {})  # every role reads the report
        page = await (await client.get("/staff/reports")).text()
        assert "گزارش روز ۱۴۰۵/۰۹/۰۲" in page and "reports/chart.png" in page
        page = await (await client.get("/staff/reports", params={"day": "۱۴۰۵/۰۹/۰۱"})).text()
        assert "گزارش روز ۱۴۰۵/۰۹/۰۱" in page and "کل طرح تا این روز" in page
        r = await client.get("/staff/reports", params={"day": "دیروز"})
        assert r.status == 400 and "به شکل ۱۴۰۵/۰۹/۰۲" in await r.text()
        r = await client.get("/staff/reports/chart.png", params={"day": "1405/09/01"})
        assert r.content_type == "image/png" and (await r.read())[:4] == b"\x89PNG"
        r = await client.get("/staff/reports/export.csv", params={"day": "1405/09/01"})
        text = (await r.read()).decode("utf-8-sig")
        assert text.startswith("metric,day 1405/09/01")
        r = await client.get("/staff/reports/export.xlsx", params={"day": "1405/09/01"})
        sheet = load_workbook(io.BytesIO(await r.read())).active
        assert sheet is not None and sheet.sheet_view.rightToLeft
        assert (await client.get("/staff/reports/export.pdf")).status == 404
