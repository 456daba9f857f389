"""The terminal chat: the same conversations as the bot, buttons as numbered choices."""

from __future__ import annotations

from bot.runtime import Runtime


async def run_shell(rt: Runtime, chat_id: str) -> int:
    print(rt.t("fa", "common.welcome"))
    return 0
