"""/healthz (liveness) and /readyz (every dependency), failing for each dependency in turn."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.health import install_health_routes, worker_beat
from bot.runtime import open_runtime
from bot.server import init_app
from bot.worker import run_worker
from handlers.runtime import Runtime
from handlers.settings import load_settings
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.kavenegar import FakeKavenegar
from tests.helpers_delivery import wired_settings

HOOK = "https://bot.example.ir/telegram/webhook"


async def ready(rt: Runtime) -> tuple[int, dict[str, Any]]:
    rt.memo.clear()  # a new minute: the probes ask again
    async with TestClient(TestServer(init_app(rt, [install_health_routes]))) as client:
        resp = await client.get("/readyz")
        return resp.status, await resp.json()


@pytest.fixture
async def hrt(db_url: str, botapi: FakeBotAPI, kavenegar: FakeKavenegar) -> AsyncIterator[Runtime]:
    """Every dependency configured: database, Telegram with a webhook, Kavenegar."""
    rt = await open_runtime(wired_settings(db_url, botapi, kavenegar, webhook_url=HOOK))
    try:
        yield rt
    finally:
        await rt.close()


async def test_readyz_is_ready_when_everything_answers(hrt: Runtime, botapi: FakeBotAPI):
    botapi.webhook = {"url": HOOK}
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(hrt, stop, poll=0.05))
    await asyncio.sleep(0.3)  # a few turns of the real worker's loop
    stop.set()
    await task
    status, body = await ready(hrt)
    assert status == 200, body
    assert body["status"] == "ready" and body["down"] == []
    assert set(body["checks"]) == {"database", "migrations", "telegram", "webhook", "kavenegar",
                                   "worker"}  # fmt: skip
    assert body["checks"]["telegram"]["username"] == "amayesh_test_bot"
    assert body["checks"]["webhook"]["url"] == HOOK
    assert body["checks"]["worker"]["last_loop_seconds_ago"] < 60
    assert "token" not in str(body).lower()


async def test_readyz_names_each_dependency_that_is_down(
    hrt: Runtime, botapi: FakeBotAPI, kavenegar: FakeKavenegar
):
    worker_beat(hrt)
    assert (await ready(hrt))[0] == 200

    botapi.fail_next("getMe", 401, "Unauthorized")
    status, body = await ready(hrt)
    assert status == 503 and body["down"] == ["telegram"]
    assert body["checks"]["telegram"]["error"] == "401: Unauthorized"

    botapi.fail_next("getWebhookInfo", 502, "Bad Gateway")
    status, body = await ready(hrt)
    assert status == 503 and body["down"] == ["webhook"]

    kavenegar.fail_next(403)
    status, body = await ready(hrt)
    assert status == 503 and body["down"] == ["kavenegar"]
    assert body["checks"]["kavenegar"]["status"] == 403

    later = hrt.clock() + timedelta(seconds=90)  # the worker's last loop is now too old
    hrt.clock = lambda: later
    status, body = await ready(hrt)
    assert status == 503 and body["down"] == ["worker"]
    assert body["checks"]["worker"]["error"] == "worker loop stalled"


async def test_readyz_without_the_worker_or_with_kavenegar_gone(hrt: Runtime, kavenegar):
    status, body = await ready(hrt)
    assert status == 503 and body["down"] == ["worker"]  # this process runs no worker yet
    worker_beat(hrt)
    await kavenegar.close()  # nothing listens on its port any more
    status, body = await ready(hrt)
    assert status == 503 and body["down"] == ["kavenegar"]
    assert "ClientConnectorError" in body["checks"]["kavenegar"]["error"]


async def test_readyz_database_down_and_schema_behind(tmp_path):
    down = await open_runtime(
        load_settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none", http_port=0)
    )
    empty = await open_runtime(
        load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", http_port=0)
    )
    try:
        worker_beat(down)
        worker_beat(empty)
        status, body = await ready(down)
        assert status == 503 and body["down"] == ["database", "migrations"]
        assert body["checks"]["migrations"]["error"] == "database unreachable"
        status, body = await ready(empty)
        assert status == 503 and body["down"] == ["migrations"]
        assert "amayesh db upgrade" in body["checks"]["migrations"]["error"]
        # Liveness does not depend on the database: the process is alive and serving.
        async with TestClient(TestServer(init_app(down))) as client:
            resp = await client.get("/healthz")
            assert resp.status == 200 and (await resp.json()) == {"status": "ok"}
    finally:
        await down.close()
        await empty.close()
