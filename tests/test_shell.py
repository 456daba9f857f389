"""`amayesh shell`: the same conversation in the terminal, buttons as numbered choices."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from sqlalchemy import select

from bot.shell import run_shell
from storage.models import Outbox, Receipt
from tests.bot_kit import png, seeded_runtime


def choice(label: str) -> Callable[[str], str]:
    """The number shown next to a button label in the latest output."""

    def pick(screen: str) -> str:
        last = screen.rsplit("> ", 1)[-1]
        m = re.search(r"(\d+)\) [^\n]*" + re.escape(label), last)
        assert m, f"no button {label!r} in:\n{last}"
        return m.group(1)

    return pick


def scripted(script: list, screen: list[str]) -> Callable[[str], Awaitable[str]]:
    """A reader that types the script's lines (or what a step picks from the screen)."""

    async def read(prompt: str) -> str:
        step = script.pop(0)
        line = step if isinstance(step, str) else step("\n".join(screen))
        screen.append(prompt + line)
        return line

    return read


def sms_code(screen: str) -> str:
    return re.findall(r"\[SMS → [^\]]+\][^\d]*(\d{6})", screen)[-1]


async def test_shell_links_and_sends_a_slip_with_no_token(settings, tmp_path):
    rt = await seeded_runtime(settings)  # no token, no SMS gateway, no network
    slip = tmp_path / "slip.png"
    slip.write_bytes(png(noise=b"shell"))
    script: list[str | Callable[[str], str]] = [
        choice("فارسی"), choice("وصل کردن"), "100200300", "۱۳۶۰", choice("کد پیامکی"),
        sms_code, choice("زبان"), choice("English"), "/language", choice("فارسی"),
        choice("ارسال فیش"),
        f"/file {slip}", "31337", "300000", choice("تأیید"), "/quit", "never read",
    ]  # fmt: skip
    screen: list[str] = []

    read = scripted(script, screen)

    try:
        assert await run_shell(rt, "term-1", read=read, write=screen.append) == 0
        text = "\n".join(screen)
        assert "1) فارسی" in text and "✅" in text
        assert script == ["never read"]
        async with rt.db.session() as s:
            receipt = await s.scalar(select(Receipt))
            states = set(await s.scalars(select(Outbox.state).where(Outbox.channel == "shell")))
        assert receipt is not None and receipt.code in text and receipt.bank_tracking == "31337"
        assert states == {"sent"}
    finally:
        await rt.close()


async def test_shell_numbers_never_clash_and_the_menu_stays_reachable(settings):
    import logging

    from bot.shell import quiet_logs

    rt = await seeded_runtime(settings)
    script = ["1", choice("خدمات"), choice("بعدی"), choice("طرح‌ها"), "/help", "hello", "/quit"]
    screen: list[str] = []

    read = scripted(script, screen)

    logging.getLogger().setLevel(logging.INFO)
    try:
        quiet_logs()
        assert logging.getLogger().level == logging.WARNING  # no INFO lines between the chat's
        assert await run_shell(rt, "term-2", read=read, write=screen.append) == 0
    finally:
        await rt.close()
    pages = [s for s in screen if "خدمات اداره کل" in s]
    assert len(pages) == 2
    for page in pages:
        numbers = re.findall(r"^  (\d+)\) ", page, flags=re.M)
        assert len(numbers) == len(set(numbers))  # one number, one choice
        assert "  8) خدمات" in page and "  2) طرح‌ها" in page  # the menu's own numbers
        assert not re.search(r"\) [۰-۹0-9]+\. ", page)  # no item number beside the choice's
    said = [s for s in screen if not s.startswith("> ")]
    assert "طرح آمایش" in said[-3]  # 2 on the services page opened the campaigns
    assert "شماره گزینه" in said[-2] and "شماره یکی از گزینه‌ها" in said[-1]
