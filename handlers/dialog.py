"""The conversation engine: one update in, state saved and replies queued in one transaction.

Channels (Telegram, the terminal shell) turn their input into an Event and call handle(); the
replies come back as outbox rows already claimed for the calling process, which sends them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.base import Ctx, Reply
from handlers.convo import Event, State, cancel_button, hint, link_first, menu_reply
from handlers.features import TABLES
from handlers.language import OFFERED, language_menu
from handlers.runtime import Runtime
from storage import conversations as store
from storage import delivery as delivery_store
from storage import inbox
from storage.outbox import Job, enqueue_reply
from storage.text import fold_keyword, normalize_text

STEPS = TABLES.steps  # every feature's steps (handlers/features.py)
MENU = {entry.data: entry for entry in TABLES.menu}
# Steps during which Telegram shows the share-contact reply keyboard (it stays until removed).
SHARE_STEPS = TABLES.share_steps
CANCEL_WORDS = {"لغو", "انصراف", "cancel", "بازگشت", "منو", "menu"}
LAST_UPDATE = "keep_update_id"


@dataclass
class Turn:
    """What one event gave: the replies, and their outbox rows leased to the calling process
    ready to send (Delivery.send), which spares the sender reading back what was written."""

    replies: list[Reply] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)


async def handle(rt: Runtime, channel: str, chat_id: str, event: Event, *, owner: str) -> Turn:
    """Run one event through the conversation: state saved and replies queued in one transaction."""
    base = f"reply:{channel}:{chat_id}:{event.update_id if event.update_id else uuid4().hex}"
    if event.kind in ("text", "photo", "document"):
        event.text = normalize_text(event.text)
    for attempt in range(3):
        try:
            # SQLite: one writer at a time in this process (see Database.write_lock).
            async with rt.db.serial():
                return await _once(rt, channel, chat_id, event, owner, base)
        except store.StaleConversation:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def _once(
    rt: Runtime,
    channel: str,
    chat_id: str,
    event: Event,
    owner: str,
    base: str,
) -> Turn:
    async with rt.db.session() as s:
        # Replays (a crash, Telegram sending again) are known by the update's own inbox row,
        # marked in this transaction: an older update arriving after a newer one still runs.
        if (
            event.inbox
            and event.update_id
            and not await inbox.claim(s, event.inbox, event.update_id)
        ):
            return Turn()
        conv = await store.load(s, channel, chat_id)
        data = dict(conv.data or {})
        data.pop(LAST_UPDATE, None)  # the old per-chat "largest id" dedupe's key
        st = State(conv.step, data, conv.lang, conv.national_id)
        national = await store.national(s, st.national_id)
        ctx = Ctx(rt, s, channel, chat_id, st.lang or rt.settings.default_language, national)
        if national is not None and channel == "telegram":
            await delivery_store.mark_reachable(s, channel, chat_id)
        replies = await dispatch(ctx, st, event)
        await store.save(
            s, conv, step=st.step, data=st.data, lang=st.lang, national_id=st.national_id
        )
        return Turn(replies, await _queue(s, ctx, replies, base, owner))


async def _queue(
    s: AsyncSession, ctx: Ctx, replies: list[Reply], base: str, owner: str
) -> list[Job]:
    jobs = []
    nid = ctx.national.id if ctx.national else None
    for i, reply in enumerate(replies):
        job = await enqueue_reply(
            s, owner=owner, key=f"{base}:{i}", channel=ctx.channel, address=ctx.address,
            text=reply.text, lang=ctx.lang, national_id=nid, payload=payload(reply),
        )  # fmt: skip
        if job is not None:
            jobs.append(job)
    return jobs


def payload(reply: Reply) -> dict[str, Any]:
    """How a reply's extras travel in the outbox row (the delivery side renders them)."""
    out: dict[str, Any] = dict(reply.payload)
    if reply.buttons:
        out["buttons"] = [[[b.label, b.data] for b in row] for row in reply.buttons]
    for name in ("photo", "document"):
        if getattr(reply, name):
            out[name] = getattr(reply, name)
    if reply.request_contact and "request_contact" not in out:
        out["request_contact"] = "📱"
    return out


async def dispatch(ctx: Ctx, st: State, ev: Event) -> list[Reply]:
    """Run the event; leaving the share-contact step also takes its keyboard away, since an
    inline menu cannot replace a reply keyboard in the same message."""
    sharing = ctx.channel == "telegram" and st.step in SHARE_STEPS
    replies = await _dispatch(ctx, st, ev)
    if sharing and st.step not in SHARE_STEPS:
        if not any(r.payload.get("remove_keyboard") for r in replies):
            close = Reply(ctx.t("common.cancelled"), payload={"remove_keyboard": True})
            replies = [close, *replies]
    return replies


async def _dispatch(ctx: Ctx, st: State, ev: Event) -> list[Reply]:
    """Commands and menu buttons work at any step; everything else goes to the current step."""
    if ev.kind == "command":
        if st.lang is None and (guess := app_language(ev.app_lang)):
            ctx.lang = guess  # greet in the app's language until the person chooses
        return await on_command(ctx, st, ev.text)
    if ev.kind == "text" and fold_keyword(ev.text) in CANCEL_WORDS:
        return await on_command(ctx, st, "cancel")
    if ev.kind == "button" and (replies := await on_button(ctx, st, ev.data)) is not None:
        return replies
    step = STEPS.get(st.step)
    if step is not None:
        return await step(ctx, st, ev)
    if ev.kind in ("photo", "document") and ev.file is not None and TABLES.on_file:
        return await TABLES.on_file(ctx, st, ev)  # a slip sent straight from the menu
    return [await menu_reply(ctx, ctx.t("common.hint"))]


async def on_command(ctx: Ctx, st: State, name: str) -> list[Reply]:
    name = name.lower()
    if name == "language":
        return [language_menu(ctx)]
    if name == "help":
        return [await menu_reply(ctx, ctx.t("common.help"))]
    if name not in ("start", "menu", "cancel"):
        return hint(ctx, st) if st.step in STEPS else [await menu_reply(ctx, ctx.t("common.hint"))]
    sharing = ctx.channel == "telegram" and st.step in SHARE_STEPS
    await leave(ctx, st)
    st.go("menu")
    if name == "start":
        return [welcome(ctx)]
    if sharing:  # dispatch adds the «لغو شد.» that takes the share keyboard away
        return [await menu_reply(ctx)]
    return [await menu_reply(ctx, ctx.t("common.cancelled") if name == "cancel" else None)]


def app_language(code: str) -> str | None:
    """An offered language for a messenger's language code ("fa", "fa-AF", "ps", "en-US")."""
    code = code.lower().replace("_", "-")
    if code in ("prs", "fa-af"):
        return "prs"
    base = code.split("-")[0]
    return base if base in OFFERED else None


def welcome(ctx: Ctx) -> Reply:
    """The greeting in one language (the chat's, or the app's), the choice right below."""
    reply = language_menu(ctx)
    return Reply(f"{ctx.t('common.welcome')}\n\n{reply.text}", buttons=reply.buttons)


async def leave(ctx: Ctx, st: State) -> None:
    """Leaving a flow (/cancel, a menu button): each feature drops what it kept (a staged slip)."""
    for hook in TABLES.leave_hooks:
        await hook(ctx, st)


async def on_button(ctx: Ctx, st: State, data: str) -> list[Reply] | None:
    """Buttons that mean the same at every step; None lets the step handle it."""
    if data == "menu:home":
        return await on_command(ctx, st, "cancel")
    if data.startswith("menu:"):
        await leave(ctx, st)
        return await open_menu(ctx, st, data)
    own = TABLES.step_buttons.get(st.step, ())
    if any(data == d or (d.endswith(":") and data.startswith(d)) for d in own):
        return None  # the step's own buttons
    if data in TABLES.leaving:
        await leave(ctx, st)
    route = TABLES.buttons.get(data.partition(":")[0])
    replies = await route(ctx, st, data) if route is not None else None
    return replies if replies is not None else await stale_button(ctx, st)


async def open_menu(ctx: Ctx, st: State, data: str) -> list[Reply]:
    """A main-menu button, valid at any step."""
    entry = MENU.get(data)
    if entry is not None and entry.personal and ctx.national is None:
        return [link_first(ctx)]
    st.go("menu")
    return await entry.open(ctx, st) if entry is not None else [await menu_reply(ctx)]


async def stale_button(ctx: Ctx, st: State) -> list[Reply]:
    """A button from an old message (its step is over, or it was pressed already)."""
    if st.step in STEPS:  # mid-flow: keep what was typed so far
        return [Reply(ctx.t("dialog.stale_step"), buttons=[[cancel_button(ctx)]])]
    return [await menu_reply(ctx, ctx.t("dialog.stale"))]


async def say(
    rt: Runtime, channel: str, chat_id: str, key: str, *, owner: str, cause: str
) -> list[Job]:
    """One catalog message outside the conversation (slow down, something went wrong); its
    outbox row comes back leased to `owner`, to send after commit."""
    async with rt.db.serial(), rt.db.session() as s:
        lang = await store.lang_of(s, channel, chat_id) or rt.settings.default_language
        home = [[[rt.t(lang, "dialog.menu_button"), "menu:home"]]]
        job = await enqueue_reply(
            s, owner=owner, key=f"reply:{channel}:{chat_id}:{cause}", channel=channel,
            address=chat_id, text=rt.t(lang, key), lang=lang, payload={"buttons": home},
        )  # fmt: skip
    return [job] if job is not None else []
