"""What a conversation step sees: the incoming Event, the saved State, and shared replies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from handlers.base import Button, Ctx, Reply
from handlers.menu import main_menu

EventKind = Literal["command", "text", "button", "photo", "document", "contact", "other"]


@dataclass
class SlipFile:
    """A file a user sent: bytes as received (None when too big to fetch), then where it is kept."""

    data: bytes | None = None
    mime: str = ""  # as the client claimed; the bytes decide
    name: str = ""
    size: int = 0
    path: str = ""  # set once stored (relative to settings.files_dir)
    sha256: str = ""
    ext: str = ""


@dataclass
class Event:
    """One thing the user did, in no channel's terms."""

    kind: EventKind
    text: str = ""  # normalised text, or the command name without the slash
    data: str = ""  # button data
    file: SlipFile | None = None
    contact_phone: str = ""
    contact_is_own: bool = False
    update_id: int | None = None
    app_lang: str = ""  # the language the user's messenger app reports (Telegram language_code)
    inbox: str | None = None  # the bot whose inbox row this is (marked handled with the change)


@dataclass
class State:
    """The conversation row's mutable part; steps change it, the engine saves it."""

    step: str
    data: dict[str, Any] = field(default_factory=dict)
    lang: str | None = None
    national_id: int | None = None

    def go(self, step: str, **data: Any) -> None:
        """Move to `step` with fresh step data (keeps long-lived keys such as link tries)."""
        kept = {k: v for k, v in self.data.items() if k.startswith("keep_")}
        self.step, self.data = step, kept | data


Step = Callable[[Ctx, State, Event], Awaitable[list[Reply]]]


async def menu_reply(ctx: Ctx, text: str | None = None) -> Reply:
    """The main menu; unlinked users also get a "link my card" button."""
    reply = await main_menu(ctx)
    if text:
        reply = Reply(text=f"{text}\n\n{reply.text}", buttons=reply.buttons)
    if ctx.national is None:
        reply.buttons = [[Button(ctx.t("dialog.link_button"), "link:start")], *reply.buttons]
    return reply


def hint(ctx: Ctx, st: State) -> list[Reply]:
    """The answer to anything unexpected: never silence, never a traceback."""
    return [Reply(ctx.t("common.hint"), buttons=[[cancel_button(ctx)]])]


def cancel_button(ctx: Ctx) -> Button:
    return Button(ctx.t("dialog.cancel_button"), "menu:home")


def ask(ctx: Ctx, key: str, **params: Any) -> Reply:
    """A question with a cancel button under it."""
    return Reply(ctx.t(key, **params), buttons=[[cancel_button(ctx)]])


def link_first(ctx: Ctx) -> Reply:
    """Personal data is shown only to linked chats: say so, with the way to link (SMS readers
    get the text alone)."""
    buttons = [[Button(ctx.t("dialog.link_button"), "link:start")], [cancel_button(ctx)]]
    return Reply(ctx.t("common.link_first"), buttons=buttons)
