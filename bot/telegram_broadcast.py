"""/broadcast in Telegram: texts → segment → preview → send now, schedule or discard → a
progress message edited in place → the final report. /cancel leaves at any step."""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.inbox import TgApp
from bot.runtime import Runtime
from bot.staff_state import IDLE, flow
from bot.telegram_staff import GROUP, LANG, TEXT_STEPS, Ctx, say, staff
from handlers import broadcasts as bc
from handlers import staff_broadcast as sb
from handlers.jalali import format_datetime

log = logging.getLogger(__name__)
PROGRESS_EVERY = 3.0  # seconds between edits (Telegram allows about one edit a second)
FIELDS = ("ps", "en", "prs", "sms")


def _kb(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in row]
                                 for row in rows])  # fmt: skip


def _t(rt: Runtime, key: str, **kw: object) -> str:
    return rt.t(LANG, f"staff.tg.bc.{key}", **kw)


async def start(rt: Runtime, update: Update, context: Ctx, actor: str) -> None:
    async with flow(rt, update) as state:
        state.data["bc"] = {"texts": {}, "sms": None}
        state.step = "bc:fa"
    await say(update, _t(rt, "ask_fa"))


async def _more(rt: Runtime, update: Update) -> None:
    rows = [[(_t(rt, f"add_{f}"), f"sb:add:{f}") for f in FIELDS[:2]],
            [(_t(rt, f"add_{f}"), f"sb:add:{f}") for f in FIELDS[2:]],
            [(_t(rt, "to_segment"), "sb:seg"), (_t(rt, "discard"), "sb:discard")]]  # fmt: skip
    await say(update, _t(rt, "more"), reply_markup=_kb(rows))


async def on_text(
    rt: Runtime, update: Update, context: Ctx, actor: str, step: tuple[str, ...]
) -> None:
    text = (update.effective_message.text if update.effective_message else "") or ""
    field = step[1]
    if field == "seg":
        await _preview(rt, update, actor, "" if text.strip() in ("*", "همه") else text)
        return
    if field == "at":
        await _create(rt, update, context, actor, when=text)
        return
    async with flow(rt, update) as state:
        draft = state.data.get("bc")
        if draft is None:
            state.step = IDLE
            return
        if field == "sms":
            draft["sms"] = text.strip()
        else:
            draft["texts"][field] = text.strip()
        state.step = "bc"
    await _more(rt, update)


async def _preview(rt: Runtime, update: Update, actor: str, segment: str) -> None:
    try:
        async with flow(rt, update) as state:
            draft = state.data.get("bc")
            if draft is None:
                state.step = IDLE
                return
            est = await sb.estimate(rt, state.s, actor, segment, draft["texts"], draft["sms"])
            draft["segment"] = segment
            state.step = "bc"
    except bc.BroadcastError as exc:
        await say(update, sb.error_text(rt, LANG, exc))  # stays at the segment step: type it again
        return
    rows = [[(_t(rt, "send"), "sb:send"), (_t(rt, "schedule"), "sb:at")],
            [(_t(rt, "discard"), "sb:discard")]]  # fmt: skip
    await say(update, sb.estimate_text(rt, LANG, est), reply_markup=_kb(rows))


async def _create(
    rt: Runtime, update: Update, context: Ctx, actor: str, when: str | None = None
) -> None:
    """The broadcast is created and the draft closed in one transaction: a second press of
    Send, here or in another process, finds no draft."""
    b = None
    try:
        async with flow(rt, update) as state:
            draft = state.data.get("bc")
            if draft and "segment" in draft:
                b = await bc.create_broadcast(rt, state.s, actor, draft["segment"], draft["texts"],
                                              sms_text=draft["sms"], when=when)  # fmt: skip
                state.data.pop("bc")
                state.step = IDLE
    except bc.BroadcastError as exc:
        await say(update, sb.error_text(rt, LANG, exc))
        return
    if b is None:
        await say(update, _t(rt, "expired"))
        return
    if b.scheduled_at is not None and b.state == "scheduled":
        at = format_datetime(b.scheduled_at, rt.settings.tz, LANG)
        await say(update, _t(rt, "scheduled", id=b.id, when=at))
        return
    chat = update.effective_chat
    assert chat is not None
    msg = await chat.get_bot().send_message(chat.id, _t(rt, "started", id=b.id))
    context.application.create_task(follow(rt, chat.get_bot(), chat.id, msg.message_id, b.id))


async def follow(rt: Runtime, bot: Bot, chat_id: int, message_id: int, bid: int) -> None:
    """Edit the progress message in place until the broadcast ends, then show the report."""
    stop = _kb([[(_t(rt, "stop"), f"sb:stop:{bid}")]])
    last = ""
    while True:
        async with rt.db.session() as s:
            p = await bc.broadcast_progress(rt, s, bid)
            done = sb.finished(p)
            if done:
                text = bc.format_report(rt, LANG, await bc.broadcast_report(rt, s, bid))
            else:
                text = bc.format_progress(rt, LANG, p) + "\n" + sb.progress_bar(rt, LANG, p, 20)
        if text != last:
            try:
                markup = None if done else stop
                await bot.edit_message_text(
                    text, chat_id=chat_id, message_id=message_id, reply_markup=markup
                )
            except TelegramError as exc:
                log.warning("progress edit failed: %s", type(exc).__name__)
            last = text
        if done:
            return
        await asyncio.sleep(PROGRESS_EVERY)


async def on_button(rt: Runtime, update: Update, context: Ctx, actor: str) -> None:
    """sb:add:LANG, sb:seg, sb:send, sb:at, sb:discard, sb:stop:ID"""
    parts = (update.callback_query.data or "").split(":") if update.callback_query else []
    op = parts[1] if len(parts) > 1 else ""
    if op == "stop":
        try:
            async with rt.db.session() as s:
                await bc.cancel_broadcast(rt, s, actor, int(parts[2]))
        except bc.BroadcastError as exc:
            await say(update, sb.error_text(rt, LANG, exc))
        return
    if op == "send":
        await _create(rt, update, context, actor)
        return
    if op == "add":  # sb:add:LANG waits for that text, like sb:seg and sb:at for theirs
        op = parts[2] if len(parts) > 2 and parts[2] in FIELDS else ""
    if op not in (*FIELDS, "seg", "at", "discard"):
        return
    async with flow(rt, update) as state:
        if "bc" not in state.data:
            reply = _t(rt, "expired")
        elif op == "discard":
            state.data.pop("bc")
            state.step = IDLE
            reply = _t(rt, "discarded")
        else:
            state.step = f"bc:{op}"
            reply = _t(rt, "ask_segment" if op == "seg" else f"ask_{op}")
    await say(update, reply)


def register(app: TgApp, rt: Runtime) -> None:
    app.add_handler(CommandHandler("broadcast", staff(rt, "broadcasts", start)), group=GROUP)
    app.add_handler(
        CallbackQueryHandler(staff(rt, "broadcasts", on_button), pattern=r"^sb:"), group=GROUP
    )
    TEXT_STEPS["bc"] = ("broadcasts", on_text)
