"""Token buckets: one per channel for the whole process, one per chat for Telegram."""

from __future__ import annotations

import asyncio
import time


class TokenBucket:
    """`rate` tokens a second, at most `capacity` saved up; waiters are served in order."""

    def __init__(self, rate: float, capacity: float = 1.0) -> None:
        self.rate = rate
        self.capacity = max(1.0, capacity)
        self.tokens = self.capacity
        self.last = time.monotonic()
        self.paused_until = 0.0
        self._lock = asyncio.Lock()

    def _refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
        self.last = now

    async def acquire(self) -> None:
        """Wait for one token (and for any pause a 429 imposed)."""
        async with self._lock:  # asyncio.Lock wakes waiters FIFO: no starvation
            while True:
                now = time.monotonic()
                if now < self.paused_until:
                    await asyncio.sleep(self.paused_until - now)
                    continue
                self._refill(now)
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                await asyncio.sleep((1 - self.tokens) / self.rate)

    def pause(self, seconds: float) -> None:
        """Nobody gets a token for `seconds` (Telegram's retry_after applies to the bot)."""
        now = time.monotonic()
        self.paused_until = max(self.paused_until, now + seconds)
        self.tokens, self.last = 0.0, max(now, self.paused_until)

    def full(self, now: float) -> bool:
        return self.tokens + (now - self.last) * self.rate >= self.capacity


class ChatLimiter:
    """About `rate` messages a second to one chat, with a small burst for multi-part replies."""

    def __init__(self, rate: float, burst: float = 3.0) -> None:
        self.rate, self.burst = rate, burst
        self._chats: dict[str, TokenBucket] = {}
        self._ops = 0

    async def acquire(self, chat: str) -> None:
        bucket = self._chats.get(chat)
        if bucket is None:
            bucket = self._chats[chat] = TokenBucket(self.rate, self.burst)
        self._ops += 1
        if self._ops % 1000 == 0:
            self._prune()
        await bucket.acquire()

    def _prune(self) -> None:
        # A broadcast touches each chat once: forget idle chats so memory stays flat.
        now = time.monotonic()
        for chat in [c for c, b in self._chats.items() if b.full(now) and not b._lock.locked()]:
            del self._chats[chat]
