"""The terminal chat: the same conversations as the bot, buttons as numbered choices.

Type a number to press a button, or text as in the bot; `/file PATH` sends a file (a deposit
slip), `/quit` leaves. Needs no token and no network: replies are outbox rows on channel
"shell" that the delivery code marks sent. With no SMS gateway configured, one-time codes are
printed here so the demo can be linked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot import delivery
from bot.runtime import Runtime
from handlers import dialog
from handlers.base import Reply
from handlers.convo import Event, SlipFile
from handlers.datafiles import preload
from sms.text import mask_mobile, normalize_digits
from storage import conversations as store

CHANNEL = "shell"
Reader = Callable[[str], Awaitable[str]]
Writer = Callable[[str], None]


async def _stdin(prompt: str) -> str:
    return await asyncio.to_thread(input, prompt)  # input() blocks: keep it off the loop


def render(replies: list[Reply]) -> tuple[str, list[str]]:
    """Replies as text with numbered choices; returns the text and each number's button data."""
    lines: list[str] = []
    choices: list[str] = []
    for reply in replies:
        lines.append(reply.text)
        for row in reply.buttons:
            for button in row:
                choices.append(button.data)
                lines.append(f"  {len(choices)}) {button.label}")
        lines.append("")
    return "\n".join(lines), choices


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


async def turn(rt: Runtime, chat_id: str, event: Event) -> list[Reply]:
    """One exchange; the replies' outbox rows are marked sent (this terminal showed them)."""
    since = rt.clock()
    replies, ids = await dialog.handle(rt, CHANNEL, chat_id, event, owner=delivery.OWNER)
    await delivery.send_now(rt, None, ids)
    if rt.sms is None:
        async with rt.db.session() as s:
            for mobile, text in await store.otp_sent_since(s, since):
                replies.append(Reply(f"[SMS → {mask_mobile(mobile)}] {text}"))
    return replies


async def run_shell(
    rt: Runtime, chat_id: str, *, read: Reader = _stdin, write: Writer = print
) -> int:
    """Chat until /quit or end of input."""
    await preload()
    text, choices = render(await turn(rt, chat_id, Event("command", text="start")))
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
        text, choices = render(await turn(rt, chat_id, event))
        write(text)
    await delivery.delivery_for(rt).close()
    return 0
