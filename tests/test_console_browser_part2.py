"""Part 2 of the console in headless Chromium: an admin edits a campaign and sees the change,
builds its announcement, edits it and sends it (a double click) while the fake Bot API receives
one copy per chat; adds a staff member, deactivates her and sees her sign-in refused; uploads
a large registry CSV and watches the progress bar reach done. Screenshots of every new page,
desktop and 360 px, go to $CONSOLE_SCREENSHOTS."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from handlers import broadcasts as bc
from handlers.jalali import fa_digits
from handlers.runtime import Runtime
from tests.bot_kit import Chat, running_bot
from tests.console_kit import browser_sign_in, seed_console
from tests.fakes.botapi import FakeBotAPI
from tests.test_console_browser import ARGS, CHROMIUM, console_server, pw, shots  # noqa: F401
from tests.test_console_browser_admin import plain_server
from tests.test_console_imports import big_registry

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Debian chromium")
EXTRA = "پرسش‌ها را در دفتر کفالت شماره ۱ بپرسید."
BAR = "document.getElementById('job') ? document.getElementById('job-bar').value : -1"


async def _browser(p: Any) -> tuple[Any, Any, list[str]]:
    browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="fa-IR")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return browser, page, errors


async def _narrow(page: Any, base: str, shots: Path, pages: dict[str, str]) -> None:  # noqa: F811
    """Each page at 360 px: nothing wider than the screen; a screenshot of each."""
    await page.set_viewport_size({"width": 360, "height": 780})
    for name, path in pages.items():
        await page.goto(base + path)
        await asyncio.sleep(0.3)
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, (name, width)
        await page.screenshot(path=shots / f"{name}-360.png", full_page=True)
    await page.set_viewport_size({"width": 1280, "height": 900})


async def test_edit_campaign_then_announce_it(
    wrt: Runtime,
    botapi: FakeBotAPI,
    shots: Path,  # noqa: F811
) -> None:
    await seed_console(wrt)
    async with running_bot(wrt), console_server(wrt) as base, pw.async_playwright() as p:
        ali = Chat(botapi, 601)
        await ali.link_by_contact()
        await ali.press("lang:fa")
        async with wrt.db.session() as s:
            want = (await bc.preview(wrt, s, "cli:test", "campaign=AMAYESH-19")).by_channel
        browser, page, errors = await _browser(p)
        await browser_sign_in(page, base, wrt)

        await page.click("header >> text=طرح‌ها")
        await page.click("text=AMAYESH-19")
        await page.click("#edit")
        assert await page.get_attribute("textarea[name=fees]", "readonly") is not None
        await page.screenshot(path=shots / "campaign-edit-desktop.png", full_page=True)
        await page.fill("input[name=title]", "طرح آمایش ۱۹ — تمدید ویژه")
        await page.fill(
            "textarea[name=documents]", "کارت آمایش\nبرگه تردد ۹۰ روزه معتبر\nدو قطعه عکس"
        )
        await page.click("#save")
        await page.wait_for_selector("#saved")
        await page.screenshot(path=shots / "campaign-edit-saved-desktop.png", full_page=True)
        await page.click("main > p > a[href$='/campaigns/1']")
        await page.wait_for_selector("#announce")
        main = await page.text_content("main") or ""
        assert "دو قطعه عکس" in main and "طرح آمایش ۱۹ — تمدید ویژه" in main
        await page.screenshot(path=shots / "campaign-desktop.png", full_page=True)

        await page.click("#announce")
        text = await page.input_value("textarea[name=text_fa]")
        assert "طرح آمایش ۱۹ — تمدید ویژه" in text and "دو قطعه عکس" in text
        assert "2171134756001" in text and "۳۰۰,۰۰۰" in text
        assert await page.input_value("input[name=campaign]") == "AMAYESH-19"
        total = sum(want.values())
        await page.wait_for_selector(f"#audience:has-text('{fa_digits(str(total))} گیرنده')")
        await page.screenshot(path=shots / "announce-desktop.png", full_page=True)
        await page.fill("textarea[name=text_fa]", text + "\n" + EXTRA)
        dari = await page.input_value("textarea[name=text_prs]")  # Ali reads Dari
        assert "عقرب/آبان" in dari
        await page.fill("textarea[name=text_prs]", dari + "\n" + EXTRA)
        await page.click("#composer button[type=submit]")
        await page.wait_for_selector("#confirm")
        assert "AMAYESH-19" in (await page.text_content("#bc-segment") or "")
        await page.screenshot(path=shots / "announce-preview-desktop.png", full_page=True)
        await page.dblclick("#send")
        await page.wait_for_selector("#bc-state", timeout=30_000)
        await page.wait_for_selector("#bc-state:has-text('پایان‌یافته')", timeout=30_000)
        await page.screenshot(path=shots / "announce-done-desktop.png", full_page=True)
        done = page.url.removeprefix(base)
        await _narrow(page, base, shots, {"campaign-edit": "/campaigns/1/edit",
                                          "campaign": "/campaigns/1",
                                          "announce": "/campaigns/1/announce",
                                          "announce-done": done})  # fmt: skip
        await browser.close()
        assert not errors, errors
    copies = [m for m in botapi.sent if EXTRA in (m.text or "")]
    assert len(copies) == want.get("telegram", 0) == 1 and copies[0].chat_id == 601
    assert "تمدید ویژه" in (copies[0].text or "")


async def test_accounts_and_a_large_import(
    rt: Runtime,
    shots: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    await seed_console(rt)
    big = tmp_path / "registry.csv"
    big.write_text(big_registry(30_000), encoding="utf-8")
    async with plain_server(rt) as base, pw.async_playwright() as p:
        browser, page, errors = await _browser(p)
        await browser_sign_in(page, base, rt)
        await page.click("header a[href$='/accounts']")
        await page.fill("input[name=username]", "zahra")
        await page.fill("input[name=name]", "زهرا کریمی")
        await page.fill("input[name=telegram_id]", "۷۷۰۰۱")
        await page.select_option("#account-new select[name=role]", "reviewer")
        await page.fill("input[name=password]", "zahra's first password")
        await page.click("#add")
        await page.wait_for_selector("p.ok:has-text('حساب zahra ساخته شد')")
        await page.screenshot(path=shots / "accounts-desktop.png", full_page=True)

        other = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="fa-IR")

        async def zahra_signs_in() -> str:
            await other.goto(f"{base}/signin")
            await other.fill("input[name=username]", "zahra")
            await other.fill("input[name=password]", "zahra's first password")
            await other.click("button[type=submit]")
            await other.wait_for_load_state()
            return str(other.url)

        assert (await zahra_signs_in()).endswith("/factor")  # the password is taken
        await page.click("table.accounts a:has-text('zahra')")
        await page.wait_for_selector("#deactivate")
        account = page.url.removeprefix(base)
        await page.screenshot(path=shots / "account-desktop.png", full_page=True)
        await page.click("#deactivate button")
        await page.wait_for_selector("#done")
        assert (await zahra_signs_in()).endswith("/signin")
        assert await other.text_content("p.error")  # refused, and told so
        await other.screenshot(path=shots / "deactivated-signin-refused-desktop.png")
        await page.click("header a.me")
        await page.screenshot(path=shots / "me-desktop.png", full_page=True)

        await page.click("header >> text=ورود فایل")
        await page.select_option("select[name=kind]", "registry")
        await page.set_input_files("input[name=file]", big)
        await page.click("#upload button[type=submit]")
        await page.click("#apply", timeout=120_000)
        await page.wait_for_selector("#job-bar")
        # A picture of the bar on its way (the CSP forbids wait_for_function's eval): read it
        # until it moves or the page reloads with the figures.
        for _ in range(400):
            try:
                value = await page.evaluate(BAR)
            except pw.Error:
                break  # the page is reloading: the job is done
            if value != 0:
                if value > 0:
                    await page.screenshot(
                        path=shots / "import-progress-desktop.png", full_page=True
                    )
                break
            await asyncio.sleep(0.1)
        await page.wait_for_selector("#applied", timeout=180_000)
        assert await page.get_attribute("#job-bar", "value") == "100"
        assert "۳۰۰۰۰" in (await page.text_content("#report") or "")
        await page.screenshot(path=shots / "import-done-desktop.png", full_page=True)
        job = page.url.removeprefix(base)
        await _narrow(page, base, shots, {"accounts": "/accounts", "account": account,
                                          "me": "/me", "import-done": job})  # fmt: skip
        await browser.close()
        # A refused sign-in answers 401 (the page itself says why); nothing else may fail.
        assert not [e for e in errors if "status of 40" not in e], errors
