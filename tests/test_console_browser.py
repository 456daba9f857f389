"""The console in headless Chromium (Playwright driving Debian's chromium): a reviewer signs in
with the second factor, finds Ali by his card typed in Persian digits, opens his case, approves
the slip Ali sent through the real bot, sees the notice reach him through the fake Bot API
(worker running), and answers his complaint. Screenshots at desktop and 360 px go to
$CONSOLE_SCREENSHOTS (default: the test's tmp dir)."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pyotp
import pytest
from aiohttp import web

from bot.server import init_app
from bot.worker import run_worker
from handlers.runtime import Runtime
from handlers.staff_signin import set_login, set_password
from storage import admin
from tests.bot_kit import Chat, png, running_bot
from tests.console_kit import PASSWORD, file_complaint
from tests.fakes.botapi import FakeBotAPI

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip
pw = pytest.importorskip("playwright.async_api")
pytestmark = pytest.mark.skipif(not shutil.which(CHROMIUM), reason="no Debian chromium")


@asynccontextmanager
async def console_server(rt: Runtime) -> AsyncIterator[str]:
    runner = web.AppRunner(init_app(rt), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(rt, stop, poll=0.05))
    try:
        yield f"http://{host}:{port}/staff"
    finally:
        stop.set()
        await worker
        await runner.cleanup()


async def _staff(rt: Runtime) -> None:
    async with rt.db.session() as s:
        await admin.add_staff(s, "test", 7002, "reviewer", "مریم کارشناس")
        assert await set_login(s, "test", 7002, "maryam", None, "totp") is None
    async with rt.db.session() as s:
        assert await set_password(rt, s, "test", "maryam", PASSWORD) is None


async def _ali_sends_a_slip(botapi: FakeBotAPI) -> Chat:
    ali = Chat(botapi, 601)
    await ali.link_by_contact()
    await ali.press("lang:fa")
    await ali.press("menu:receipt")
    await ali.photo(png(320, 200, noise=b"slip"))
    await ali.say("۱۲۳ ۴۵۶ ۷۸۹")
    await ali.say("۳۰۰٬۰۰۰ ریال")
    await ali.press("slip:confirm")
    return ali


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    where = Path(os.environ.get("CONSOLE_SCREENSHOTS", tmp_path))
    where.mkdir(parents=True, exist_ok=True)
    return where


async def test_reviewer_day_in_the_browser(brt: Runtime, botapi: FakeBotAPI, shots: Path):
    await _staff(brt)
    async with running_bot(brt), console_server(brt) as base, pw.async_playwright() as p:
        ali = await _ali_sends_a_slip(botapi)
        complaint = await file_complaint(brt, hours_left=-3)
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="fa-IR")
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

        await page.goto(f"{base}/signin")
        await page.screenshot(path=shots / "signin-desktop.png")
        await page.fill("input[name=username]", "maryam")
        await page.fill("input[name=password]", PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_url(f"{base}/factor")
        await page.screenshot(path=shots / "enrol-desktop.png")
        secret = (await page.text_content(".secret") or "").strip()
        await page.fill("input[name=code]", pyotp.TOTP(secret).now())
        await page.click("form[action$='/factor'] button")
        await page.wait_for_url(f"{base}/")
        assert "پیشخوان" in await page.content()
        await page.screenshot(path=shots / "dashboard-desktop.png", full_page=True)

        await page.click("text=جستجوی اتباع")
        await page.fill("input[name=q]", "۱۰۰۲۰۰۳۰۰")
        await page.click("form.search button")
        await page.click("table.results a")
        body = await page.content()
        assert "علی احمدی" in body and "بررسی فیش" in body and "سیر وضعیت" in body
        await page.screenshot(path=shots / "national-desktop.png", full_page=True)

        await page.click("text=بررسی فیش‌ها")
        await page.wait_for_selector("#slip")
        await page.screenshot(path=shots / "review-desktop.png", full_page=True)
        await page.keyboard.press("a")  # the keyboard shortcut approves
        await page.wait_for_selector("p.ok")
        assert "تأیید شد" in (await page.text_content("p.ok") or "")
        notice = await ali.next("پرداخت تأیید شد")
        assert "آمایش شما: پرداخت تأیید شد" in notice.text  # Ali reads Dari

        await page.click("text=شکایت‌ها")
        await page.click("text=دیرکرد")
        await page.click("tr.overdue a")
        await page.select_option("#canned", "in_progress")
        assert "راجع شد" in await page.input_value("#answer")  # in Ali's Dari
        await page.fill("#answer", await page.input_value("#answer") + " پیگیری می‌کنیم.")
        await page.screenshot(path=shots / "complaint-desktop.png", full_page=True)
        await page.click("button[value=answer]")
        await page.wait_for_selector("p.ok")
        answer = await ali.next("C-1405-000001")
        assert "پیگیری می‌کنیم" in answer.text

        await file_complaint(brt, hours_left=30)
        await file_complaint(brt, card="200300400", hours_left=-20)
        await page.set_viewport_size({"width": 360, "height": 780})
        for name, path in (("dashboard", "/"), ("complaints", "/complaints"),
                           ("complaint", f"/complaints/{complaint}"),
                           ("lists", "/lists?status=paid")):  # fmt: skip
            await page.goto(base + path)
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, (name, width)  # nothing wider than the phone
            await page.screenshot(path=shots / f"{name}-360.png", full_page=True)
        await page.click("text=جستجوی اتباع")
        await page.fill("input[name=q]", "۱۰۰۲۰۰۳۰۰")
        await page.click("form.search button")
        await page.click("table.results a")
        await page.screenshot(path=shots / "national-360.png", full_page=True)
        await browser.close()
        assert not errors, errors  # no CSP violation, no script error
