"""Turning an outbox row into one Bot API call (text, photo or document, with a keyboard).

Payload keys an enqueuer may set:
  buttons          [[[label, data], ...], ...]  an inline keyboard
  reply_markup     a Bot API reply_markup object as JSON (inline_keyboard | keyboard | ...)
  request_contact  a button label: a one-time keyboard that shares the phone number
  remove_keyboard  true: remove a reply keyboard shown earlier
  photo, document  a file path under AMAYESH_FILES_DIR; the text becomes the caption
"""

from __future__ import annotations

import asyncio
import warnings
from pathlib import Path
from typing import Any

import telegram
from telegram import (
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from storage.outbox import Job

# do_api_request warns that send_message exists; send_text uses the raw call on purpose.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.sendMessage'")
CAPTION_MAX = 1024
TEXT_MAX = 4096


def _markup(payload: dict[str, Any], bot: telegram.Bot) -> Any:
    if buttons := payload.get("buttons"):
        rows = [[InlineKeyboardButton(str(b[0]), callback_data=str(b[1])) for b in row]
                for row in buttons]  # fmt: skip
        return InlineKeyboardMarkup(rows)
    if label := payload.get("request_contact"):
        button = KeyboardButton(str(label), request_contact=True)
        return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)
    if payload.get("remove_keyboard"):
        return ReplyKeyboardRemove()
    raw = payload.get("reply_markup")
    if isinstance(raw, dict):
        if "inline_keyboard" in raw:
            return InlineKeyboardMarkup.de_json(raw, bot)
        if "keyboard" in raw:
            return ReplyKeyboardMarkup.de_json(raw, bot)
        if raw.get("remove_keyboard"):
            return ReplyKeyboardRemove()
        if raw.get("force_reply"):
            return ForceReply()
    return None


async def render(bot: telegram.Bot, job: Job, files_dir: Path) -> int:
    """Send `job` through `bot` and return the message id; Bot API errors propagate as
    telegram.error exceptions."""
    payload = job.payload or {}
    markup = _markup(payload, bot) if payload else None
    for kind in ("photo", "document"):
        if path := payload.get(kind):
            full = Path(files_dir) / str(path)
            data = await asyncio.to_thread(full.read_bytes)  # never block the loop on disk
            caption = job.text[:CAPTION_MAX] or None
            if kind == "photo":
                sent = await bot.send_photo(job.address, data, caption=caption,
                                            reply_markup=markup)  # fmt: skip
            else:
                sent = await bot.send_document(
                    job.address, data, caption=caption, reply_markup=markup, filename=full.name
                )
            return sent.message_id
    return await send_text(bot, job.address, job.text[:TEXT_MAX], markup)


async def send_text(bot: telegram.Bot, chat: str, text: str, markup: Any = None) -> int:
    """sendMessage through Bot.do_api_request (same errors as send_message); the message id.

    At hundreds of messages a second, building a telegram.Message from every answer (only its
    id is kept) was a tenth of the worker's CPU.
    """
    kwargs: dict[str, Any] = {"chat_id": chat, "text": text}
    if markup is not None:
        kwargs["reply_markup"] = markup
    result = await bot.do_api_request("sendMessage", api_kwargs=kwargs)
    return int(result["message_id"])
