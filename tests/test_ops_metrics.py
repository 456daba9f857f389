"""/metrics: scraped and parsed with prometheus-client's parser after a conversation and a
broadcast through the real Application and worker, against the fake Bot API and Kavenegar."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from bot.metrics import reason_of
from bot.metrics_route import install_metrics_routes
from bot.server import init_app
from handlers import broadcasts as bc
from handlers.runtime import Runtime
from tests.bot_kit import Chat, running_bot, stored_not_run
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.kavenegar import FakeKavenegar
from tests.helpers_delivery import add_people, link_chat, person, run_until, settled

TOKEN = "scrape-me"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(got: dict, name: str, **labels: str) -> float:
    return got[(name, frozenset(labels.items()))]


async def scrape(rt: Runtime, auth: str | None = f"Bearer {TOKEN}") -> tuple[int, str]:
    async with TestClient(TestServer(init_app(rt, [install_metrics_routes]))) as client:
        headers = {"Authorization": auth} if auth else {}
        resp = await client.get("/metrics", headers=headers)
        return resp.status, await resp.text()


async def test_metrics_after_a_conversation_and_a_broadcast(
    wrt: Runtime, botapi: FakeBotAPI, kavenegar: FakeKavenegar
) -> None:
    wrt.settings = wrt.settings.model_copy(update={"metrics_token": SecretStr(TOKEN)})
    ids = await add_people(wrt, [person(1), person(2), person(3, mobile=None)])
    await link_chat(wrt, ids[0], 801)
    await link_chat(wrt, ids[2], 803)
    async with running_bot(wrt) as runner:
        chat = Chat(botapi, 901)
        await chat.say("/start")
        await chat.press("lang:en")
        async with wrt.db.session() as s:
            b = await bc.create_broadcast(wrt, s, "cli:test", "", "سلام")
        botapi.flood(801, retry_after=1)  # one 429 on the broadcast's first copy
        botapi.unknown_chat(803)  # no mobile either: this copy fails
        assert runner.application.bot is wrt.bot  # one Bot: the worker sends with it too
        await run_until(wrt, settled)
    # Two updates that came in after the bot stopped: stored, not yet run (the backlog).
    await stored_not_run(wrt, botapi, botapi.text_update(905, "/start"),
                         botapi.text_update(906, "/help"))  # fmt: skip

    assert (await scrape(wrt, None))[0] == 401
    assert (await scrape(wrt, "Bearer wrong"))[0] == 401
    status, text = await scrape(wrt)
    assert status == 200
    got = samples(text)
    assert value(got, "amayesh_updates_received_total", channel="telegram") == 2
    assert value(got, "amayesh_updates_handled_total", channel="telegram", outcome="ok") == 2
    assert value(got, "amayesh_update_handling_seconds_count", channel="telegram") == 2
    assert value(got, "amayesh_telegram_429_total") == 1
    assert value(got, "amayesh_telegram_retry_after_seconds_total") == 1
    assert value(got, "amayesh_fallbacks_to_sms_total") == 0
    # The broadcast: 801 by Telegram, person 2 by SMS, 803 failed (no chat, no mobile).
    assert value(got, "amayesh_broadcast_total", broadcast=str(b.id), state="running") == 3
    assert value(got, "amayesh_broadcast_rows", broadcast=str(b.id), state="failed") == 1
    assert value(got, "amayesh_outbox_rows", state="failed", channel="telegram") == 1
    reason = reason_of("no mobile to fall back to (Chat not found)")
    assert value(got, "amayesh_outbox_failed", reason=reason) == 1
    assert value(got, "amayesh_sms_parts_total") == 1
    assert value(got, "amayesh_sms_cost_rials_total") == wrt.settings.sms_cost_rials
    # Two replies (/start, the language), the broadcast's copies to 801 and to person 2's mobile.
    assert value(got, "amayesh_outcomes_total", state="sent") == 4
    assert value(got, "amayesh_outcomes_total", state="failed") == 1
    assert (
        "amayesh_outbox_rows",
        frozenset({("state", "sent"), ("channel", "telegram")}),
    ) not in got  # sent rows are counted as they go, not by scanning the table
    assert value(got, "amayesh_sms_credit_rials") == kavenegar.credit
    assert value(got, "amayesh_inbox_backlog") == 2  # the conversation's two were handled
    assert value(got, "amayesh_sends_per_second", channel="sms") > 0
    assert value(got, "process_resident_memory_bytes") > 0
    assert ("amayesh_event_loop_lag_seconds", frozenset()) in got
    assert ("amayesh_db_pool_connections", frozenset({("state", "in_use")})) in got


async def test_metrics_are_off_without_a_token(rt: Runtime) -> None:
    assert (await scrape(rt))[0] == 404
    rt.settings = rt.settings.model_copy(update={"metrics_token": SecretStr("")})
    assert (await scrape(rt))[0] == 404
