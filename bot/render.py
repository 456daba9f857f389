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

from storage.delivery import Job

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


async def render(bot: telegram.Bot, job: Job, files_dir: Path) -> telegram.Message:
    """Send `job` through `bot`; Bot API errors propagate as telegram.error exceptions."""
    payload = job.payload or {}
    markup = _markup(payload, bot)
    for kind in ("photo", "document"):
        if path := payload.get(kind):
            full = Path(files_dir) / str(path)
            data = await asyncio.to_thread(full.read_bytes)  # never block the loop on disk
            caption = job.text[:CAPTION_MAX] or None
            if kind == "photo":
                return await bot.send_photo(job.address, data, caption=caption,
                                            reply_markup=markup)  # fmt: skip
            return await bot.send_document(
                job.address, data, caption=caption, reply_markup=markup, filename=full.name
            )
    return await bot.send_message(job.address, job.text[:TEXT_MAX], reply_markup=markup)
