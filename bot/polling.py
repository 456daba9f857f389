"""Long polling that confirms an offset only once the updates before it are in the inbox.

python-telegram-bot's Updater confirms a batch (the next getUpdates' offset) as soon as it is
on the in-memory queue; a crash then lost everything queued and not yet processed. This loop
asks for the updates, stores them (bot.inbox), and only then moves the offset; while the
database is down it keeps asking with the old offset, so Telegram keeps the updates.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Bot, Update
from telegram.error import InvalidToken

from bot.inbox import Inbox, strip_nul

log = logging.getLogger(__name__)
TIMEOUT = 30  # seconds Telegram holds a getUpdates open when there is nothing new
BACKOFF = (0.5, 1.0, 2.0, 5.0)


def parse(bot: Bot, got: tuple[Update, ...]) -> list[tuple[dict[str, Any], Update | None]]:
    """(body to store, update to run) pairs; an update with U+0000 is read again without it."""
    out: list[tuple[dict[str, Any], Update | None]] = []
    for update in got:
        raw = update.to_dict()
        body = strip_nul(raw)
        out.append((body, update if body == raw else Update.de_json(body, bot)))
    return out


async def poll(inbox: Inbox, bot: Bot, *, hold: int = TIMEOUT) -> None:
    """Until cancelled: fetch, store, then confirm (the next call's offset)."""
    offset: int | None = None
    failures = 0
    while True:
        try:
            got = await bot.get_updates(offset, timeout=hold, allowed_updates=Update.ALL_TYPES)
        except InvalidToken:
            raise
        except Exception as exc:  # TelegramError, or an update PTB could not read: try again
            failures += 1
            if failures == 1:
                log.warning("getUpdates failed: %s; retrying", type(exc).__name__)
            await asyncio.sleep(BACKOFF[min(failures, len(BACKOFF)) - 1])
            continue
        updates = parse(bot, got)
        if not updates:
            failures = 0
            continue
        try:
            await inbox.accept(updates)
        except Exception as exc:  # not stored: not confirmed; Telegram sends them again
            failures += 1
            if failures == 1:
                log.warning("storing updates failed (%s); not confirming them", type(exc).__name__)
            await asyncio.sleep(BACKOFF[min(failures, len(BACKOFF)) - 1])
            continue
        if failures:
            log.info("updates stored again after %d failed tries", failures)
        failures = 0
        offset = max(body["update_id"] for body, _ in updates) + 1
