"""An admin in headless Chromium: schedules an outage 24 hours ahead and sees the 72-hour
refusal, uploads a statuses CSV with a bad row and sees the line named, then a good one
applied; opens the report and the audit log. Screenshots (desktop, 360 px) go to
$CONSOLE_SCREENSHOTS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import jdatetime
import pytest
from aiohttp import web

from bot.server import init_app
from handlers.jalali import fa_digits
from handlers.runtime import Runtime
from tests.console_kit import browser_sign_in, seed_console
from tests.test_console_browser import ARGS, CHROMIUM, pw, shots  # noqa: F401

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Debian chromium")


@asynccontextmanager
async def plain_server(rt: Runtime) -> AsyncIterator[str]:
    runner = web.AppRunner(init_app(rt), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}/staff"
    finally:
        await runner.cleanup()


def _at(rt: Runtime, hours: int) -> str:
    when = (rt.clock() + timedelta(hours=hours)).astimezone(rt.settings.tz)
    j = jdatetime.datetime.fromgregorian(datetime=when)
    return fa_digits(f"{j.year}/{j.month:02d}/{j.day:02d} {j.hour:02d}:{j.minute:02d}")


async def test_admin_outage_import_report_audit(
    rt: Runtime,
    shots: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    await seed_console(rt)
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_text("card_number,status,note,at\n100200300,delivered,,\n", encoding="utf-8")
    good.write_text("card_number,status,note,at\n100200300,exemption_review,,\n", encoding="utf-8")
    async with plain_server(rt) as base, pw.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="fa-IR")
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        await browser_sign_in(page, base, rt, "admin")

        await page.click("header >> text=قطعی‌ها")
        await page.fill("input[name=starts]", _at(rt, 24))
        await page.fill("input[name=ends]", _at(rt, 27))
        await page.fill("input[name=reason]", "به‌روزرسانی سرور")
        await page.click("#outage button[type=submit]")
        await page.wait_for_selector("p.error:has-text('۷۲ ساعت')")
        await page.screenshot(path=shots / "outage-refused-desktop.png", full_page=True)

        await page.click("header >> text=ورود فایل")
        await page.select_option("select[name=kind]", "statuses")
        await page.set_input_files("input[name=file]", bad)
        await page.click("#upload button[type=submit]")
        await page.wait_for_selector("ul.row-errors li:has-text('line 2, status:')")
        await page.screenshot(path=shots / "import-bad-desktop.png", full_page=True)
        await page.select_option("select[name=kind]", "statuses")
        await page.set_input_files("input[name=file]", good)
        await page.click("#upload button[type=submit]")
        await page.click("#apply")
        await page.wait_for_selector("p.ok:has-text('فایل اعمال شد')")

        await page.click("header >> text=گزارش روزانه")
        await page.wait_for_selector("img.chart")
        assert await page.evaluate("document.querySelector('img.chart').naturalWidth") > 0
        await page.screenshot(path=shots / "report-desktop.png", full_page=True)
        await page.click("header >> text=گزارش ممیزی")
        assert "import.statuses" in await page.content()
        await page.screenshot(path=shots / "audit-desktop.png", full_page=True)

        await page.set_viewport_size({"width": 360, "height": 780})
        for name, path in (("outages", "/outages"), ("imports", "/imports"),
                           ("report", "/reports"), ("audit", "/audit"),
                           ("campaigns", "/campaigns")):  # fmt: skip
            await page.goto(base + path)
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, (name, width)
            await page.screenshot(path=shots / f"{name}-360.png", full_page=True)
        await browser.close()
        # A refused form answers 400 (the page itself says why); nothing else may fail.
        assert not [e for e in errors if "status of 400" not in e], errors
