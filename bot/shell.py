"""The terminal chat: the same conversations as the bot, buttons as numbered choices.

Type a number to press a button, or text as in the bot; `/file PATH` sends a file (a deposit
slip), `/quit` leaves. Needs no token and no network: replies are outbox rows on channel
"shell" that the delivery code marks sent. With no SMS gateway configured, one-time codes are
printed here so the demo can be linked.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot import delivery
from bot.runtime import Process
from handlers import dialog
from handlers.base import Button, Reply
from handlers.convo import Event, SlipFile
from handlers.datafiles import preload
from storage import conversations as store
from storage.text import mask_mobile, normalize_digits

CHANNEL = "shell"
Reader = Callable[[str], Awaitable[str]]
Writer = Callable[[str], None]


async def _stdin(prompt: str) -> str:
    return await asyncio.to_thread(input, prompt)  # input() blocks: keep it off the loop


MENU_MARK = "menu:campaigns"  # a screen with this button shows the main menu


def render(replies: list[Reply], menu: list[Button] | None = None) -> tuple[str, list[str]]:
    """Replies as text with numbered choices; returns the text and each number's button data.

    A screen without the main menu (a service page, a question) ends with the menu's buttons
    again under the same numbers as on the menu itself; the screen's own choices take the
    numbers after them, so no number means two things and the menu's never change.
    """
    buttons = [b for reply in replies for row in reply.buttons for b in row]
    extra = menu if menu and not any(b.data == MENU_MARK for b in buttons) else []
    choices = [b.data for b in [*extra, *buttons]]
    first = len(extra) + 1
    numbers = {b.label: n for n, b in enumerate([*extra, *buttons], 1)}
    lines: list[str] = []
    n = first
    for reply in replies:
        lines.append(_numbered_quotes(reply.text, numbers))
        for row in reply.buttons:
            for button in row:
                lines.append(f"  {n}) {button.label}")
                n += 1
        lines.append("")
    if extra:
        lines.append("—")
        lines += [f"  {i}) {button.label}" for i, button in enumerate(extra, 1)]
        lines.append("")
    return "\n".join(lines), choices


def _numbered_quotes(text: str, numbers: dict[str, int]) -> str:
    """«بدون عکس» → «بدون عکس» (۲): a text naming a button says which number it is."""
    for label, n in numbers.items():
        bare = label.strip("✅❌⏭✍🔗↩📱✉➕➡🚀🕘🗑⛔\ufe0f ")
        text = text.replace(f"«{bare}»", f"«{bare}» ({n})")
    return text


def menu_of(replies: list[Reply]) -> list[Button] | None:
    """The main menu's buttons if this screen shows it."""
    for reply in replies:
        flat = [b for row in reply.buttons for b in row]
        if any(b.data == MENU_MARK for b in flat):
            return flat
    return None


def quiet_logs() -> None:
    """Log lines would land between the chat's lines: keep warnings only (on stderr)."""
    root = logging.getLogger()
    if root.level < logging.WARNING and root.level != logging.DEBUG:
        root.setLevel(logging.WARNING)


async def read_event(line: str, choices: list[str]) -> Event | None:
    """What the typed line means: a numbered choice, a command, a file, or text."""
    number = normalize_digits(line.strip())
    if number.isdigit() and 1 <= int(number) <= len(choices):
        return Event("button", data=choices[int(number) - 1])
    if line.startswith("/file "):
        name = line[6:].strip()
        try:
            data = await asyncio.to_thread(lambda: Path(name).expanduser().read_bytes())
        except OSError:
            return None
        return Event("document", file=SlipFile(data, "", Path(name).name, len(data)))
    if line.startswith("/") and len(line) > 1:
        return Event("command", text=line[1:].split()[0])
    return Event("text", text=line)


async def turn(rt: Process, chat_id: str, event: Event) -> list[Reply]:
    """One exchange; the replies' outbox rows are marked sent (this terminal showed them)."""
    since = rt.clock()
    turn = await dialog.handle(rt, CHANNEL, chat_id, event, owner=delivery.OWNER)
    await rt.delivery.send(turn.jobs)
    replies = turn.replies
    if rt.sms is None:
        async with rt.db.session() as s:
            for mobile, text in await store.otp_sent_since(s, since):
                replies.append(Reply(f"[SMS → {mask_mobile(mobile)}] {text}"))
    return replies


async def run_shell(
    rt: Process, chat_id: str, *, read: Reader = _stdin, write: Writer = print
) -> int:
    """Chat until /quit or end of input."""
    await preload()
    replies = await turn(rt, chat_id, Event("command", text="start"))
    menu = menu_of(replies)
    text, choices = render(replies, menu)
    write(text)
    while True:
        try:
            line = (await read("> ")).strip()
        except (EOFError, KeyboardInterrupt):
            break
        if line in ("/quit", "/exit"):
            break
        if not line:
            continue
        event = await read_event(line, choices)
        if event is None:
            write(rt.t("fa", "dialog.shell_no_file"))
            continue
        replies = await turn(rt, chat_id, event)
        menu = menu_of(replies) or menu
        text, choices = render(replies, menu)
        write(text)
    await rt.delivery.close()
    return 0
