"""Kill -9 a worker in the middle of a broadcast, start it again: nothing lost, no repeats but
the requests that were in flight."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path

from handlers import broadcasts as bc
from tests.fakes.botapi import FakeBotAPI
from tests.helpers_delivery import (
    add_people,
    count_states,
    link_chat,
    person,
    settled,
    wired_runtime,
    wired_settings,
)

AUDIENCE = 300
RATE = 60
LEASE = 2.0
IN_FLIGHT = max(8, int(RATE / 4) + 8)  # bot.delivery's concurrency for this rate


async def _spawn(db_url: str, botapi: FakeBotAPI, cwd: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMAYESH_")}
    env |= {"AMAYESH_DATABASE_URL": db_url, "AMAYESH_TELEGRAM_TOKEN": botapi.token,
            "AMAYESH_TELEGRAM_API_URL": botapi.url, "AMAYESH_TELEGRAM_RATE": str(RATE),
            "AMAYESH_QUIET_HOURS": "", "AMAYESH_SMS_RECEIVE": "webhook"}  # fmt: skip
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "worker", "--lease", str(LEASE), cwd=cwd, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def test_sigkill_mid_broadcast_loses_nothing(
    db_url: str, botapi: FakeBotAPI, tmp_path: Path
) -> None:
    rt = await wired_runtime(wired_settings(db_url, botapi, None))
    try:
        ids = await add_people(rt, [person(i) for i in range(AUDIENCE)])
        for i, nid in enumerate(ids):
            await link_chat(rt, nid, 20_000 + i)
        async with rt.db.session() as s:
            b = await bc.create_broadcast(rt, s, "cli:test", "", "پیام همگانی")
        assert b.total == AUDIENCE
        proc = await _spawn(db_url, botapi, tmp_path)
        async with asyncio.timeout(60):
            while len(botapi.sent) < AUDIENCE // 3:  # noqa: ASYNC110 (another process sends)
                await asyncio.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        before = await count_states(rt)
        assert before.get("queued", 0) + before.get("sending", 0) > 0  # killed mid-way
        await asyncio.sleep(LEASE + 0.5)  # the dead worker's leases run out
        proc = await _spawn(db_url, botapi, tmp_path)
        try:
            async with asyncio.timeout(60):
                while not settled(await count_states(rt)):  # noqa: ASYNC110 (polls the db)
                    await asyncio.sleep(0.1)
        finally:
            proc.send_signal(signal.SIGTERM)
            await proc.wait()
        per_chat = Counter(m.chat_id for m in botapi.sent)
        assert set(per_chat) == {20_000 + i for i in range(AUDIENCE)}  # nobody lost
        repeats = sum(n - 1 for n in per_chat.values())
        # Only what was on the wire at the kill, or sent and waiting for its group commit (the
        # recorder commits as fast as the database allows: on a loaded machine up to a second
        # of sends at RATE): at-least-once, bounded.
        assert repeats <= IN_FLIGHT + RATE, repeats
        assert await count_states(rt) == {"sent": AUDIENCE}
    finally:
        await rt.close()
