"""The Telegram/Bale adapter: python-telegram-bot's Application in front of handlers.dialog.

Each update becomes an Event; the dialog saves the state and queues the replies as outbox rows
leased to this process in one transaction; the process's Delivery then sends those rows.
Replies carry no parse mode, so nothing a user typed can be read as markup.
"""

from __future__ import annotations

import logging
from uuid import uuid4

from telegram import ChatMember, Document, PhotoSize, Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, TypeHandler

from bot import delivery, telegram_broadcast, telegram_cases, telegram_review, telegram_staff
from bot.flood import FloodGuard
from bot.inbox import Inbox, InboxProcessor, TgApp, bot_key
from bot.runtime import Process
from handlers import dialog
from handlers.convo import Event, SlipFile
from handlers.receipts import MAX_BYTES
from storage import delivery as delivery_store

log = logging.getLogger(__name__)
CHANNEL = "telegram"


class TelegramAdapter:
    """Holds what the update callbacks share: the runtime and the flood counter."""

    def __init__(self, rt: Process, inbox: Inbox, flood: FloodGuard | None = None) -> None:
        self.rt, self.inbox = rt, inbox
        self.inbox_key = inbox.bot
        self.flood = flood or FloodGuard()

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None or chat.type != "private":
            return  # groups and channels never see personal data: stay out of them
        chat_id = str(chat.id)
        if update.my_chat_member is not None:
            await membership(self.rt, chat_id, update.my_chat_member.new_chat_member.status)
            return  # a block or unblock is not a message: nothing to answer
        if update.callback_query is not None:
            await answer_button(update)
        verdict = self.flood.verdict(update, user.id)
        if verdict != "ok":
            if verdict == "warn":
                cause = f"flood:{update.update_id}"
                notice = await dialog.say(
                    self.rt, CHANNEL, chat_id, "common.slow_down", owner=delivery.OWNER, cause=cause
                )
                await self.rt.delivery.send(notice)
            return
        event = await to_event(update)
        event.inbox = self.inbox_key
        turn = await dialog.handle(self.rt, CHANNEL, chat_id, event, owner=delivery.OWNER)
        if turn.jobs:  # the rows are leased to this process: send them now
            await self.rt.delivery.send(turn.jobs)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log without the token, and give the user a hint rather than silence."""
        err = context.error
        token = self.rt.settings.telegram_token
        text = str(err)
        if token is not None:
            text = text.replace(token.get_secret_value(), "***")
        uid = update.update_id if isinstance(update, Update) else None
        log.error("update failed: %s: %s", type(err).__name__, text, extra={"update_id": uid})
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        self.inbox.failed.add(update.update_id)  # its row stays unhandled: tried again later
        chat_id = str(update.effective_chat.id)
        try:
            cause = f"error:{uuid4().hex}"
            jobs = await dialog.say(
                self.rt, CHANNEL, chat_id, "common.error", owner=delivery.OWNER, cause=cause
            )
            await self.rt.delivery.send(jobs)
        except Exception as exc:  # the database may be what failed; nothing more to do
            log.error("could not tell the user: %s", type(exc).__name__)


async def answer_button(update: Update) -> None:
    """Stop the button's spinner; if Telegram refuses ("query is too old" after a backlog or a
    restart), the press is still acted on: the answer is cosmetic, the press is not."""
    assert update.callback_query is not None
    try:
        await update.callback_query.answer()
    except TelegramError as exc:
        log.info("answerCallbackQuery failed (%s); handling the press anyway", type(exc).__name__)


async def membership(rt: Process, chat_id: str, status: str) -> None:
    """my_chat_member: a block ("kicked") makes the chat unreachable (messages go by SMS),
    joining again ("member") makes it reachable."""
    async with rt.db.serial(), rt.db.session() as s:
        if status == ChatMember.BANNED:
            await delivery_store.mark_unreachable(s, CHANNEL, chat_id, "blocked by the user")
        elif status == ChatMember.MEMBER:
            await delivery_store.mark_reachable(s, CHANNEL, chat_id)


async def to_event(update: Update) -> Event:
    """The update in the dialog's terms; files are fetched here, size checked first."""
    uid = update.update_id
    user = update.effective_user
    app_lang = (user.language_code or "") if user is not None else ""
    if (query := update.callback_query) is not None:
        return Event("button", data=query.data or "", update_id=uid)
    msg = update.effective_message
    if msg is None:
        return Event("other", update_id=uid)
    if msg.text is not None:
        if msg.text.startswith("/"):
            name = msg.text[1:].split(maxsplit=1)[0].split("@")[0] if len(msg.text) > 1 else ""
            return Event("command", text=name, update_id=uid, app_lang=app_lang)
        return Event("text", text=msg.text, update_id=uid)
    if msg.contact is not None:
        sender = msg.from_user.id if msg.from_user else None
        own = msg.contact.user_id is not None and msg.contact.user_id == sender
        return Event("contact", contact_phone=msg.contact.phone_number, contact_is_own=own,
                     update_id=uid)  # fmt: skip
    if msg.photo:
        # The last size is the full-resolution one; the others are thumbnails.
        file = await fetch(msg.photo[-1], "image/jpeg", "")
        return Event("photo", text=msg.caption or "", file=file, update_id=uid)
    if msg.document is not None:
        doc = msg.document
        file = await fetch(doc, doc.mime_type or "", doc.file_name or "")
        return Event("document", text=msg.caption or "", file=file, update_id=uid)
    return Event("other", update_id=uid)


async def fetch(item: PhotoSize | Document, mime: str, name: str) -> SlipFile:
    """Download a file unless Telegram already says it is too big (then data is None)."""
    if item.file_size is not None and item.file_size > MAX_BYTES:
        return SlipFile(None, mime, name, item.file_size)
    tg_file = await item.get_file()
    if tg_file.file_size is not None and tg_file.file_size > MAX_BYTES:
        return SlipFile(None, mime, name, tg_file.file_size)
    data = bytes(await tg_file.download_as_bytearray())
    return SlipFile(data, mime, name, len(data))


def build_application(rt: Process) -> TgApp:
    """The real Application against AMAYESH_TELEGRAM_API_URL (Telegram or Bale), built on the
    process's one Bot (bot/delivery.py's make_bot): one connection pool for replies, staff
    answers and the worker's sends."""
    settings = rt.settings
    if settings.telegram_token is None or rt.bot is None:
        raise ValueError("AMAYESH_TELEGRAM_TOKEN is not set")
    inbox = Inbox(rt, bot_key(settings.telegram_token.get_secret_value()))
    builder = Application.builder().bot(rt.bot)
    flood = FloodGuard(limit=settings.telegram_flood_limit)
    # Updates arrive through the inbox (bot.inbox): our webhook route or bot.polling.
    builder = builder.concurrent_updates(
        InboxProcessor(inbox, 32, flood, observe=lambda: rt.observe(CHANNEL))
    ).updater(None)
    app = builder.build()
    inbox.application = app
    app.bot_data["inbox"] = inbox
    adapter = TelegramAdapter(rt, inbox, flood)
    app.bot_data["adapter"] = adapter
    app.add_handler(TypeHandler(Update, adapter.on_update))
    # Staff commands run first (group -1); anyone who is not staff falls through to the dialog.
    telegram_staff.register(app, rt)
    telegram_review.register(app, rt)
    telegram_cases.register(app, rt)  # /open, /exempt, /identity, /complaints
    telegram_broadcast.register(app, rt)
    app.add_error_handler(adapter.on_error)
    return app
