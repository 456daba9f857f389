"""/review in Telegram: the slip's photo with Approve, Reject (a listed or typed reason), Skip."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.inbox import TgApp
from bot.runtime import Runtime
from bot.staff_state import IDLE, flow
from bot.telegram_staff import GROUP, LANG, TEXT_STEPS, Ctx, say, staff
from handlers import review
from handlers.review_copy import review_copy

log = logging.getLogger(__name__)


def _kb(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in row]
                                 for row in rows])  # fmt: skip


async def show_next(rt: Runtime, update: Update, context: Ctx, actor: str) -> None:
    """The next slip (its photo, or the file as a document) with the three choices."""
    async with flow(rt, update) as state:
        skipped = state.data.get("skipped", [])
        card = await review.next_slip(rt, state.s, actor, set(skipped))
        if card is None:
            state.data.pop("skipped", None)  # a new round offers the skipped slips again
    if card is None:
        await say(update, rt.t(LANG, "staff.review.empty"))
        return
    rid = card.receipt_id
    kb = _kb([[(rt.t(LANG, "staff.review.approve"), f"rv:ok:{rid}"),
               (rt.t(LANG, "staff.review.reject"), f"rv:no:{rid}")],
              [(rt.t(LANG, "staff.review.skip"), f"rv:skip:{rid}")]])  # fmt: skip
    caption = card.text(rt, LANG)[:1024]
    chat = update.effective_chat
    assert chat is not None
    path = Path(rt.settings.files_dir) / card.file_path
    try:
        copy = await asyncio.to_thread(review_copy, path, card.mime)
    except OSError:
        copy = None  # the file is gone
    if copy is None:  # nothing showable: decide on the figures (the original, if any, is kept)
        note = rt.t(LANG, "review_copy.none")
        await say(update, f"{caption}\n{note}"[:1024], reply_markup=kb)
        return
    if copy.note is not None:
        caption = f"{caption}\n{rt.t(LANG, copy.note)}"[:1024]
    bot = chat.get_bot()
    try:
        await bot.send_photo(chat.id, copy.data, caption=caption, reply_markup=kb)
    except BadRequest as exc:  # a photo Telegram refuses must not block the queue: as a file
        log.info("review photo refused (%s): sending it as a document", exc.message)
        await bot.send_document(chat.id, copy.data, caption=caption, reply_markup=kb,
                                filename=copy.filename)  # fmt: skip


async def _decide(
    rt: Runtime, update: Update, context: Ctx, actor: str, rid: int, ok: bool, reason: str = ""
) -> None:
    async with rt.db.session() as s:
        out = await review.decide(rt, s, actor, rid, ok, reason)
    await say(update, out.text(rt, LANG))
    await show_next(rt, update, context, actor)


async def on_button(rt: Runtime, update: Update, context: Ctx, actor: str) -> None:
    """rv:ok:ID, rv:no:ID, rv:r:ID:REASON, rv:t:ID, rv:skip:ID"""
    query = update.callback_query
    assert query is not None
    _, op, rid_text, *rest = (query.data or "").split(":")
    rid = int(rid_text)
    if op == "ok":
        await _decide(rt, update, context, actor, rid, True)
    elif op == "no":
        rows = [
            [(rt.t(LANG, f"staff.review.reason.{r}"), f"rv:r:{rid}:{r}")] for r in review.REASONS
        ]
        rows.append([(rt.t(LANG, "staff.review.typed"), f"rv:t:{rid}")])
        await say(update, rt.t(LANG, "staff.review.choose_reason"), reply_markup=_kb(rows))
    elif op == "r" and rest:
        await _decide(rt, update, context, actor, rid, False, rest[0])
    elif op == "t":
        async with flow(rt, update) as state:
            state.step = f"reject:{rid}"
        await say(update, rt.t(LANG, "staff.review.type_reason"))
    elif op == "skip":
        async with flow(rt, update) as state:
            await review.skip_slip(rt, state.s, actor, rid)
            state.data["skipped"] = sorted({*state.data.get("skipped", []), rid})
        await show_next(rt, update, context, actor)


async def on_typed_reason(
    rt: Runtime, update: Update, context: Ctx, actor: str, step: tuple[str, ...]
) -> None:
    """The reason typed after "Type a reason"."""
    text = update.effective_message.text if update.effective_message else ""
    async with flow(rt, update) as state:
        state.step = IDLE
        out = await review.decide(rt, state.s, actor, int(step[1]), False, text or "")
    await say(update, out.text(rt, LANG))
    await show_next(rt, update, context, actor)


def register(app: TgApp, rt: Runtime) -> None:
    app.add_handler(CommandHandler("review", staff(rt, "receipts", show_next)), group=GROUP)
    app.add_handler(
        CallbackQueryHandler(staff(rt, "receipts", on_button), pattern=r"^rv:"), group=GROUP
    )
    TEXT_STEPS["reject"] = ("receipts", on_typed_reason)
