"""A broadcaster in headless Chromium: composes a Persian broadcast and watches the SMS part count
change as she types, sees the recipient count for her segment, sends it (a double click) and
watches its page reach «done» while the fake Bot API and fake Kavenegar receive one copy each
(worker running). Screenshots at desktop and 360 px go to $CONSOLE_SCREENSHOTS."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from handlers import broadcasts as bc
from handlers.jalali import fa_digits
from handlers.runtime import Runtime
from tests.bot_kit import Chat, running_bot
from tests.console_kit import browser_sign_in, seed_console
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.kavenegar import FakeKavenegar
from tests.test_console_browser import ARGS, CHROMIUM, console_server, pw, shots  # noqa: F401

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Debian chromium")
PROVINCE = "خراسان جنوبی"
TEXT = "ثبت‌نام آمایش ۱۴۰۵ از شنبه آغاز می‌شود؛ با کارت خود به دفتر کفالت بروید"


async def test_broadcaster_sends_a_persian_broadcast(
    wrt: Runtime,
    botapi: FakeBotAPI,
    kavenegar: FakeKavenegar,
    shots: Path,  # noqa: F811
) -> None:
    await seed_console(wrt)
    async with running_bot(wrt), console_server(wrt) as base, pw.async_playwright() as p:
        ali = Chat(botapi, 601)
        await ali.link_by_contact()  # Ali links his Telegram through the bot; the rest are SMS
        await ali.press("lang:fa")
        async with wrt.db.session() as s:
            want = (await bc.preview(wrt, s, "cli:test", f"province={PROVINCE}")).by_channel
        total = sum(want.values())
        assert want.get("telegram") and want.get("sms"), want  # both fakes get copies
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="fa-IR")
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        await browser_sign_in(page, base, wrt, "broadcaster")

        await page.click("text=پیام‌های همگانی")
        await page.click("text=پیام همگانی تازه")
        await page.fill("textarea[name=text_fa]", TEXT[:60])
        await page.wait_for_selector("#parts_fa:has-text('۱ بخش')")
        await page.type("textarea[name=text_fa]", TEXT[60:], delay=5)  # past 70: two parts
        await page.wait_for_selector("#parts_fa:has-text('۲ بخش')")
        assert "UCS2" in (await page.text_content("#parts_fa") or "")
        await page.fill("textarea[name=text_en]", "Amayesh 1405 starts on Saturday")
        await page.wait_for_selector("#parts_en:has-text('GSM7')")
        await page.fill("input[name=province]", PROVINCE)
        label = f"{fa_digits(str(total))} گیرنده"
        await page.wait_for_selector(f"#audience:has-text('{label}')")
        await page.screenshot(path=shots / "bc-compose-desktop.png", full_page=True)

        await page.click("#composer button[type=submit]")
        await page.wait_for_selector("#confirm")
        assert await page.text_content("#pv-total") == fa_digits(str(total))
        await page.screenshot(path=shots / "bc-preview-desktop.png", full_page=True)
        await page.dblclick("#send")  # a double click still makes one broadcast
        # The second click aborts the first navigation (so wait_for_url may see ERR_ABORTED):
        # wait for the broadcast's page itself, then check where it is.
        await page.wait_for_selector("#bc-state", timeout=30_000)
        assert re.search(r"/broadcasts/\d+$", page.url), page.url
        await page.wait_for_selector("#bc-state:has-text('پایان‌یافته')", timeout=30_000)
        assert await page.text_content("[data-k=sent]") == fa_digits(str(total))
        await page.screenshot(path=shots / "bc-done-desktop.png", full_page=True)

        await page.set_viewport_size({"width": 360, "height": 780})
        for name, path in (("bc-list", "/broadcasts"), ("bc-compose", "/broadcasts/new"),
                           ("bc-done", page.url.removeprefix(base))):  # fmt: skip
            await page.goto(base + path)
            await asyncio.sleep(0.3)
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, (name, width)
            await page.screenshot(path=shots / f"{name}-360.png", full_page=True)
        await browser.close()
        assert not errors, errors
    tg = [
        m for m in botapi.sent if "از شنبه آغاز" in (m.text or "") or "Saturday" in (m.text or "")
    ]
    sms = [m for m in kavenegar.sent if "از شنبه آغاز" in m.message]
    assert (len(tg), len(sms)) == (want["telegram"], want["sms"])
