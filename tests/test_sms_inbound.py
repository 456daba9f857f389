"""Inbound SMS: the forwarding endpoint (secret, fields, dedupe) and the sms/receive poller."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from handlers.runtime import Runtime
from sms.inbound import INBOUND_FIELDS
from sms.poller import run_receive_poller
from storage.models import Complaint, InboundSms
from tests.fakes.kavenegar import FakeKavenegar
from tests.sms_support import (
    ALI,
    SECRET,
    STRANGER,
    client,
    replies,
    with_demo,
    with_gateway,
    with_secret,
)

LINE = "10004346"


def form(mid: str = "9001", sender: str = ALI, text: str = "راهنما") -> dict[str, str]:
    return {"messageid": mid, "from": sender, "to": LINE, "message": text}


@pytest.fixture
async def http(rt: Runtime) -> AsyncIterator[TestClient]:
    c = await client(with_secret(await with_demo(rt)))
    try:
        yield c
    finally:
        await c.close()


async def count(rt: Runtime, model: type) -> int:
    async with rt.db.session() as s:
        return await s.scalar(select(func.count()).select_from(model)) or 0


async def test_post_form_is_answered(http: TestClient, rt: Runtime) -> None:
    resp = await http.post(f"/sms/inbound/{SECRET}", data=form())
    assert resp.status == 200
    (row,) = await replies(rt, ALI)
    assert row.text == rt.t("prs", "sms.help") and row.key == "sms-in:9001"
    async with rt.db.session() as s:
        stored = await s.scalar(select(InboundSms))
    assert stored is not None
    assert (stored.message_id, stored.sender, stored.line) == ("9001", ALI, LINE)


async def test_get_query_string_and_json(http: TestClient, rt: Runtime) -> None:
    resp = await http.get(f"/sms/inbound/{SECRET}", params=form("q1", "+989151234567"))
    assert resp.status == 200
    resp = await http.post(f"/sms/inbound/{SECRET}", json=form("j1", "00989151234567"))
    assert resp.status == 200
    assert [r.key for r in await replies(rt, ALI)] == ["sms-in:q1", "sms-in:j1"]


async def test_wrong_secret_is_403_and_changes_nothing(http: TestClient, rt: Runtime) -> None:
    for path in (f"/sms/inbound/{SECRET}x", "/sms/inbound/wrong", "/sms/status/nope"):
        resp = await http.post(path, data=form())
        assert resp.status == 403
    assert await count(rt, InboundSms) == 0 and not await replies(rt)


async def test_no_secret_configured_is_404(rt: Runtime) -> None:
    c = await client(with_secret(rt, None))
    try:
        assert (await c.post(f"/sms/inbound/{SECRET}", data=form())).status == 404
        assert (await c.get("/sms/status/anything")).status == 404
    finally:
        await c.close()


@pytest.mark.parametrize("field", list(INBOUND_FIELDS.values()))
async def test_missing_field_is_400_naming_it(http: TestClient, rt: Runtime, field: str) -> None:
    data = form()
    del data[field]
    resp = await http.post(f"/sms/inbound/{SECRET}", data=data)
    assert resp.status == 400
    assert field in await resp.text()
    assert await count(rt, InboundSms) == 0


async def test_empty_message_is_a_message(http: TestClient, rt: Runtime) -> None:
    resp = await http.post(f"/sms/inbound/{SECRET}", data=form(text=""))
    assert resp.status == 200
    (row,) = await replies(rt, ALI)
    assert row.text == rt.t("prs", "sms.unknown")


async def test_same_messageid_twice_is_processed_once(http: TestClient, rt: Runtime) -> None:
    data = form("dup-1", STRANGER, "شکایت کسی از من پول خواست")
    for _ in range(3):
        assert (await http.post(f"/sms/inbound/{SECRET}", data=data)).status == 200
    await asyncio.gather(*(http.post(f"/sms/inbound/{SECRET}", data=data) for _ in range(3)))
    assert await count(rt, InboundSms) == 1
    assert await count(rt, Complaint) <= 1  # 1 once the complaints catalog exists
    assert len(await replies(rt, STRANGER)) == 1


async def test_unusable_sender_is_recorded_not_answered(http: TestClient, rt: Runtime) -> None:
    resp = await http.post(f"/sms/inbound/{SECRET}", data=form("s1", "+93700123456"))
    assert resp.status == 200
    assert await count(rt, InboundSms) == 1 and not await replies(rt)


async def test_overlong_messageid_is_400(http: TestClient) -> None:
    resp = await http.post(f"/sms/inbound/{SECRET}", data=form("9" * 65))
    assert resp.status == 400


async def test_receive_poller_routes_every_page(rt: Runtime, kavenegar: FakeKavenegar) -> None:
    with_gateway(await with_demo(rt), kavenegar, sms_sender=LINE)
    for i in range(120):
        kavenegar.add_inbound(STRANGER if i % 2 else ALI, "HELP" if i % 3 else "۱۱")
    kavenegar.add_inbound(ALI, "HELP", linenumber="3000999")  # another line: not ours
    stop = asyncio.Event()
    stop.set()  # one round, then return
    await run_receive_poller(rt, stop)
    assert len(await replies(rt)) == 100
    await run_receive_poller(rt, stop)
    assert len(await replies(rt)) == 120
    await run_receive_poller(rt, stop)
    assert len(await replies(rt)) == 120  # Kavenegar marked them read: nothing twice
    calls = kavenegar.calls_to("sms/receive")
    assert {c.params["linenumber"] for c in calls} == {LINE}
    assert {c.params["isread"] for c in calls} == {"0"}


async def test_receive_poller_off_without_line(rt: Runtime, kavenegar: FakeKavenegar) -> None:
    with_gateway(rt, kavenegar)
    await run_receive_poller(rt, asyncio.Event())  # returns at once: no line to read
    assert not kavenegar.calls


async def test_receive_poller_survives_gateway_errors(
    rt: Runtime, kavenegar: FakeKavenegar
) -> None:
    with_gateway(await with_demo(rt), kavenegar, sms_sender=LINE)
    kavenegar.add_inbound(ALI, "HELP")
    kavenegar.fail_next(409)
    stop = asyncio.Event()
    stop.set()
    await run_receive_poller(rt, stop)
    assert not await replies(rt)
    await run_receive_poller(rt, stop)
    assert len(await replies(rt)) == 1
