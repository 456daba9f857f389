"""Staff commands in a private chat with the bot, in front of the nationals' conversation.

Handlers sit in group -1: a staff update stops there (ApplicationHandlerStop); anyone else's
falls through to the ordinary dialog, so a non-staff /review gets the usual menu, and the try
is audited. Staff replies are sent straight away (they are screens, edited in place), while
what nationals are told goes through the outbox in the same transaction as the change.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Document, Update
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.inbox import Inbox, TgApp, claim_staff, unclaim
from bot.runtime import Runtime
from bot.staff_state import IDLE, flow, waiting
from handlers import casework, imports, report
from handlers import staff_complaints as desk
from handlers.jalali import format_date, format_short
from handlers.staff_auth import Forbidden, actor_for, authorize, role_of

log = logging.getLogger(__name__)
LANG = "fa"  # the bureau's staff read Persian
GROUP = -1
CSV_LIMIT = 5 * 1024 * 1024
Ctx = ContextTypes.DEFAULT_TYPE
Action = Callable[[Runtime, Update, Ctx, str], Coroutine[Any, Any, None]]
# Step kind -> (right, handler(rt, update, context, actor, step)) for typed text a flow awaits
# (bot.staff_state keeps the step in the database); filled by the flow modules.
TextStep = Callable[[Runtime, Update, Ctx, str, tuple[str, ...]], Coroutine[Any, Any, None]]
TEXT_STEPS: dict[str, tuple[str, TextStep]] = {}


async def say(update: Update, text: str, **kw: Any) -> None:
    chat = update.effective_chat
    assert chat is not None
    await chat.get_bot().send_message(chat.id, text[:4096], **kw)


async def gate(rt: Runtime, update: Update, right: str) -> str | None:
    """The actor if allowed; None for non-staff (who fall through); staff without it are told."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != "private":
        return None
    actor = actor_for(user.id)
    try:
        await authorize(rt, actor, right)
    except Forbidden as exc:
        if exc.role is None:
            return None
        if update.callback_query:
            await answer_quietly(update)
        await say(update, rt.t(LANG, "staff.denied"))
        raise ApplicationHandlerStop from None
    return actor


async def once(rt: Runtime, update: Update, context: Ctx, act: Coroutine[Any, Any, None]) -> None:
    """Run a staff action unless this update was acted on before (a replay after a crash, or
    Telegram sending it again): a replayed /answer answers once. The update's inbox row is
    claimed first and released if the action fails, so a failure is tried again."""
    inbox: Inbox | None = context.application.bot_data.get("inbox")
    if inbox is not None and not await claim_staff(rt, inbox.bot, update):
        act.close()
        raise ApplicationHandlerStop
    try:
        await act
    except ApplicationHandlerStop:
        raise
    except Exception:
        if inbox is not None:
            await unclaim(rt, inbox.bot, update)
        raise
    raise ApplicationHandlerStop


def staff(
    rt: Runtime, right: str, action: Action
) -> Callable[[Update, Ctx], Coroutine[Any, Any, None]]:
    """Wrap a staff action: role check, then stop the update from reaching the dialog."""

    async def run(update: Update, context: Ctx) -> None:
        actor = await gate(rt, update, right)
        if actor is None:
            return
        if update.callback_query:
            await answer_quietly(update)
        await once(rt, update, context, action(rt, update, context, actor))

    return run


async def answer_quietly(update: Update) -> None:
    """Stop a button's spinner; a refused answer ("query is too old") does not stop the press."""
    assert update.callback_query is not None
    try:
        await update.callback_query.answer()
    except TelegramError as exc:
        log.info("answerCallbackQuery failed (%s); acting on the press anyway", type(exc).__name__)


async def on_status(rt: Runtime, update: Update, context: Ctx, actor: str) -> None:
    """/status CARD NEW_STATUS [note]"""
    args = context.args or []
    if len(args) < 2:
        await say(update, rt.t(LANG, "staff.tg.status_usage"))
        return
    async with rt.db.session() as s:
        out = await casework.change_status(rt, s, actor, args[0], args[1], " ".join(args[2:]))
    await say(update, out.text(rt, LANG))


async def on_report(rt: Runtime, update: Update, context: Ctx, actor: str) -> None:
    """/report: the chart as a photo, the figures as text and as a CSV file."""
    async with rt.db.session() as s:
        rep = await report.daily_report(rt, s, actor)
    chat = update.effective_chat
    assert chat is not None
    bot = chat.get_bot()
    png = await report.chart_png(rt, rep, LANG)
    title = rt.t(
        LANG, "staff.report.title", day=format_date(rep.day, LANG), campaign=rep.campaign or "-"
    )
    await bot.send_photo(chat.id, png, caption=title[:1024])
    await say(update, report.to_text(rt, rep, LANG))
    name = f"report-{format_short(rep.day).replace('/', '-')}"
    await bot.send_document(chat.id, report.to_csv(rep).encode("utf-8"), filename=f"{name}.csv")
    xlsx = await asyncio.to_thread(report.to_xlsx, rt, rep, LANG)
    await bot.send_document(chat.id, xlsx, filename=f"{name}.xlsx")


async def on_answer(rt: Runtime, update: Update, context: Ctx, actor: str) -> None:
    """/answer CODE text…"""
    args = context.args or []
    if len(args) < 2:
        await say(update, rt.t(LANG, "staff.tg.complaint_usage"))
        return
    async with rt.db.session() as s:
        out = await desk.answer(rt, s, actor, args[0], " ".join(args[1:]))
    await say(update, out.text(rt, LANG))


async def on_close(rt: Runtime, update: Update, context: Ctx, actor: str) -> None:
    args = context.args or []
    if not args:
        await say(update, rt.t(LANG, "staff.tg.complaint_usage"))
        return
    async with rt.db.session() as s:
        out = await desk.close(rt, s, actor, args[0])
    await say(update, out.text(rt, LANG))


async def on_csv(update: Update, context: Ctx) -> None:
    """A CSV sent by staff: statuses or appointments, told apart by the header."""
    rt: Runtime = context.application.bot_data["runtime"]
    msg, user = update.effective_message, update.effective_user
    doc = msg.document if msg else None
    if doc is None or user is None or not (doc.file_name or "").lower().endswith(".csv"):
        return
    async with rt.db.session() as s:
        if await role_of(s, actor_for(user.id)) is None:
            return  # a national's file: the dialog takes it
    text = await _download(doc)
    right = "appointments" if "starts_at" in text.partition("\n")[0] else "statuses"
    actor = await gate(rt, update, right)
    if actor is None:
        return
    run = imports.import_appointments if right == "appointments" else imports.import_statuses

    async def act() -> None:
        await say(update, await _import(rt, run, actor, text))

    await once(rt, update, context, act())


async def _download(doc: Document) -> str:
    if (doc.file_size or 0) > CSV_LIMIT:
        return ""
    data = await (await doc.get_file()).download_as_bytearray()
    return bytes(data).decode("utf-8-sig", errors="replace")


async def _import(rt: Runtime, run: imports.Importer, actor: str, text: str) -> str:
    try:
        async with rt.db.session() as s:
            res = await run(rt, s, actor, text)
    except ValueError as exc:
        return rt.t(LANG, "staff.tg.import_bad", error=str(exc))
    if res.errors:
        shown = "\n".join(str(e) for e in res.errors[:20])
        return rt.t(LANG, "staff.tg.import_errors", n=len(res.errors), errors=shown)
    return rt.t(LANG, "staff.tg.import_ok", changed=res.changed, unchanged=res.unchanged)


async def on_text(update: Update, context: Ctx) -> None:
    """Typed text that a staff flow is waiting for; any other text goes on to the dialog."""
    chat = update.effective_chat
    if update.effective_user is None or chat is None or chat.type != "private":
        return
    rt: Runtime = context.application.bot_data["runtime"]
    step = await waiting(rt, update)
    if len(step) < 2 or step[0] not in TEXT_STEPS:
        return
    right, handler = TEXT_STEPS[step[0]]
    actor = await gate(rt, update, right)
    if actor is None:
        return
    await once(rt, update, context, handler(rt, update, context, actor, step))


async def on_cancel(update: Update, context: Ctx) -> None:
    """/cancel leaves a staff flow; without one it is the dialog's /cancel."""
    chat = update.effective_chat
    if update.effective_user is None or chat is None or chat.type != "private":
        return
    rt: Runtime = context.application.bot_data["runtime"]
    if not await waiting(rt, update):
        return

    async def act() -> None:
        async with flow(rt, update) as state:
            state.step = IDLE
            state.data.pop("bc", None)
        await say(update, rt.t(LANG, "staff.tg.cancelled"))

    await once(rt, update, context, act())


def register_staff_handlers(app: TgApp, rt: Runtime) -> None:
    """Called by bot.telegram.build_application; everything staff lives behind this hook."""
    from bot import telegram_broadcast, telegram_cases, telegram_review

    app.bot_data["runtime"] = rt
    for name, right, action in (
        ("status", "statuses", on_status), ("report", "report", on_report),
        ("answer", "complaints", on_answer), ("close", "complaints", on_close),
    ):  # fmt: skip
        app.add_handler(CommandHandler(name, staff(rt, right, action)), group=GROUP)
    app.add_handler(CommandHandler("cancel", on_cancel), group=GROUP)
    app.add_handler(MessageHandler(filters.Document.ALL, on_csv), group=GROUP)
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text), group=GROUP)
    telegram_review.register(app, rt)
    telegram_cases.register(app, rt)  # /open, /exempt, /identity, /complaints
    telegram_broadcast.register(app, rt)
