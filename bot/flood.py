"""Per-user flood control and per-chat ordering for the bot's update processing.

Both live in this process's memory: the counter resets on restart and each process counts on
its own. That is acceptable for flood control (it only has to stop one burst from one user being
served message by message), and it costs no database write per update.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

LIMIT = 6  # messages served per user per WINDOW: a quick person, not a pasted burst
WINDOW = 10.0


class FloodGuard:
    """Sliding window per user: 'ok', 'warn' (send one slow-down), or 'drop' (say nothing)."""

    def __init__(
        self,
        limit: int = LIMIT,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._seen: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}
        self._checks = 0
        self._verdicts: dict[int, str] = {}  # update_id -> verdict taken on arrival

    def arrived(self, update: object) -> None:
        """Count an update when it arrives, not when its chat's turn comes: one chat's updates
        wait for each other (and for the 1-a-second send limit), so counting at handling time
        spread a burst of 30 over 30 seconds and never saw it."""
        if isinstance(update, Update) and update.effective_user is not None:
            self._verdicts[update.update_id] = self.check(update.effective_user.id)

    def verdict(self, update: Update, user_id: int) -> str:
        """The verdict taken on arrival (or now, for an update that came another way)."""
        found = self._verdicts.pop(update.update_id, None)
        return found if found is not None else self.check(user_id)

    def check(self, user_id: int) -> str:
        now = self.clock()
        times = self._seen.setdefault(user_id, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        times.append(now)
        self._checks += 1
        if self._checks % 1000 == 0:
            self._prune(now)
        if len(times) <= self.limit:
            return "ok"
        if now - self._warned.get(user_id, -self.window) >= self.window:
            self._warned[user_id] = now
            return "warn"
        return "drop"

    def _prune(self, now: float) -> None:
        # Forget users idle for a whole window so memory stays flat.
        for user in [u for u, t in self._seen.items() if not t or t[-1] <= now - self.window]:
            del self._seen[user]
            self._warned.pop(user, None)


def chat_key(update: object) -> int | None:
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    return None


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Many chats at once, but one chat's updates strictly in arrival order."""

    def __init__(
        self,
        max_concurrent_updates: int = 32,
        flood: FloodGuard | None = None,
        observe: Callable[[], AbstractAsyncContextManager[None]] | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self._observe = observe  # counts and times each update (bot/metrics)
        self._locks: dict[int | None, tuple[asyncio.Lock, int]] = {}
        self.flood = flood

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if self.flood is not None:  # counted before waiting for the chat's turn
            self.flood.arrived(update)
        key = chat_key(update)
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with self._observe() if self._observe else nullcontext():
                async with lock:  # asyncio.Lock wakes waiters in FIFO order
                    await coroutine
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
