"""The database away for 20 s under the real service: nothing is acknowledged that is not
stored (the webhook answers 503, polling does not confirm), and once it is back every update
that came meanwhile is answered, once.

PostgreSQL only: the outage is a cut network path (a relay the test controls, so neither the
shared server nor anyone else's connections are touched): connections reset, new ones refused.
A SQLite database is a file the process already holds open; there is no comparable failure to
simulate reliably (removing or locking the file leaves open handles working).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import PG_URL
from tests.fakes.botapi import FakeBotAPI
from tests.inbox_support import CuttableProxy, Service, replies_per_chat, until, welcomes

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (see the module's note)")
OUTAGE = 20.0
BEFORE, DURING = 5, 20


@pytest.mark.parametrize("webhook", [True, False], ids=["webhook", "polling"])
async def test_database_down_20s_then_everything_answered(
    db_url: str, botapi: FakeBotAPI, tmp_path: Path, webhook: bool
) -> None:
    where = urlsplit(db_url)
    proxy = CuttableProxy(where.hostname or "127.0.0.1", where.port or 5432)
    await proxy.start()
    via_proxy = db_url.replace(where.netloc, f"{where.username}@127.0.0.1:{proxy.port}")
    service = Service(via_proxy, botapi, tmp_path, webhook=webhook)
    await service.start()
    try:
        ready = (lambda: bool(botapi.webhook["url"])) if webhook else (
            lambda: bool(botapi.calls_of("getUpdates")))  # fmt: skip
        await until(ready, 30, "the bot started", service)
        for i in range(BEFORE):
            botapi.push(botapi.text_update(40_000 + i, "/start"))
        await until(lambda: len(welcomes(botapi)) == BEFORE, 30, "answers before", service)

        await proxy.cut()
        during = [botapi.push(botapi.text_update(41_000 + i, "/start")) for i in range(DURING)]
        await asyncio.sleep(OUTAGE)
        ids = {u["update_id"] for u in during}
        if webhook:
            answers = [status for uid, status in botapi.webhook_posts if uid in ids]
            assert answers and all(status == 503 for status in answers)  # Telegram retries
        else:
            assert {u["update_id"] for u in botapi._updates} >= ids  # none confirmed
        assert len(welcomes(botapi)) == BEFORE and service.proc.returncode is None

        await proxy.restore()
        total = BEFORE + DURING
        await until(lambda: len(welcomes(botapi)) == total, 60, "answers after", service)
        await asyncio.sleep(1.0)  # room for a repeat to show up
    finally:
        await service.stop()
        await proxy.close()
    counts = welcomes(botapi)
    assert set(counts) == {40_000 + i for i in range(BEFORE)} | {41_000 + i for i in range(DURING)}
    assert all(n == 1 for n in counts.values())
    assert set((await replies_per_chat(db_url)).values()) == {1}
