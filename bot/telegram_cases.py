"""Staff chat commands for cases: /open CARD, /exempt CARD BODY CERTIFICATE, /identity CARD,
and the complaints queue page by page ("more…") with each complaint's photo."""

from __future__ import annotations

import asyncio
from pathlib import Path

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.inbox import TgApp
from bot.runtime import Runtime
from bot.telegram_staff import GROUP, LANG, Ctx, say, staff
from handlers import cases, casework
from handlers import staff_complaints as desk


async def on_open(rt: Runtime, update: Update, context: Ctx, actor: str) -> None:
    """/open CARD"""
    card = " ".join(context.args or [])  # «/open ۵۱۰ ۰۰۰ ۰۰۴»: spaces typed in the number
    if not card:
        await say(update, rt.t(LANG, "cases.tg_open_usage"))
        return
    async with rt.db.session() as s:
        out = await cases.open_case(rt, s, actor, card, door="telegram-staff")
    await say(update, out.text(rt, LANG))


async def on_exempt(rt: Runtime, update: Update, context: Ctx, actor: str) -> None:
    """/exempt CARD BODY CERTIFICATE (the certificate may hold spaces, kept as typed)"""
    args = context.args or []
    if len(args) < 3:
        await say(update, rt.t(LANG, "cases.tg_exempt_usage"))
        return
    async with rt.db.session() as s:
        out = await casework.exempt(rt, s, actor, args[0], args[1], " ".join(args[2:]))
    await say(update, out.text(rt, LANG))


async def on_identity(rt: Runtime, update: Update, context: Ctx, actor: str) -> None:
    """/identity CARD"""
    card = " ".join(context.args or [])
    if not card:
        await say(update, rt.t(LANG, "cases.tg_identity_usage"))
        return
    async with rt.db.session() as s:
        out = await casework.identity_check(rt, s, actor, card)
    await say(update, out.text(rt, LANG))


async def on_complaints(rt: Runtime, update: Update, context: Ctx, actor: str) -> None:
    """/complaints, and the "more…" button (cq:more:OFFSET) for the next page."""
    offset = 0
    query = update.callback_query
    if query is not None and (query.data or "").startswith("cq:more:"):
        tail = (query.data or "")[8:]
        offset = int(tail) if tail.isdigit() else 0
    async with rt.db.session() as s:
        lines, more = await desk.queue_page(rt, s, actor, offset)
    text = "\n\n".join(q.text(rt, LANG) for q in lines) or rt.t(LANG, "staff.complaint.none")
    kb = None
    if more:
        nxt = offset + len(lines)
        label = rt.t(LANG, "cases.tg_more")
        kb = InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=f"cq:more:{nxt}")]])
    await say(update, text + "\n\n" + rt.t(LANG, "staff.tg.complaint_usage"), reply_markup=kb)
    chat = update.effective_chat
    assert chat is not None
    for q in lines:
        if q.photo_path:
            await _photo(rt, chat.get_bot(), chat.id, q.photo_path, q.code)


async def _photo(rt: Runtime, bot: Bot, chat_id: int, rel: str, caption: str) -> None:
    """A complaint's photo as the staff member sees it; a missing file is said, not hidden."""
    path = Path(rt.settings.files_dir) / rel
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError:
        await bot.send_message(chat_id, rt.t(LANG, "cases.tg_photo_gone", code=caption))
        return
    if rel.endswith(".pdf"):
        await bot.send_document(chat_id, data, caption=caption, filename=path.name)
    else:
        await bot.send_photo(chat_id, data, caption=caption)


def register(app: TgApp, rt: Runtime) -> None:
    for name, right, action in (
        ("open", "statuses", on_open), ("exempt", "statuses", on_exempt),
        ("identity", "statuses", on_identity), ("complaints", "complaints", on_complaints),
    ):  # fmt: skip
        app.add_handler(CommandHandler(name, staff(rt, right, action)), group=GROUP)
    app.add_handler(
        CallbackQueryHandler(staff(rt, "complaints", on_complaints), pattern=r"^cq:more:"),
        group=GROUP,
    )
