"""Delivery reports: sms/status polled (and the status callback) land on the outbox rows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from handlers.runtime import Runtime
from sms.poller import delivery_report_hook, poll_delivery_reports
from storage.models import Outbox, Subscription, utcnow
from tests.fakes.kavenegar import FakeKavenegar
from tests.sms_support import SECRET, Clock, client, with_gateway, with_secret

LINE = "10004346"


def mobile(i: int) -> str:
    return f"0912{i:07d}"


def sent_row(address: str, ref: str, age: timedelta = timedelta(minutes=5)) -> Outbox:
    """An outbox row as the SMS sender leaves it once Kavenegar took the message."""
    return Outbox(
        key=f"t:{ref}", kind="notice", channel="sms", address=address, text="x", state="sent",
        provider_ref=ref, sent_at=utcnow() - age,
    )  # fmt: skip


async def sent_rows(
    rt: Runtime, fake: FakeKavenegar, n: int, *, age: timedelta = timedelta(minutes=5)
) -> list[int]:
    """n SMS really sent through the fake, recorded as the SMS sender would record them."""
    numbers = [mobile(i) for i in range(n)]
    refs: list[str] = []
    for i in range(0, n, 200):
        assert rt.sms is not None
        entries = await rt.sms.send(numbers[i : i + 200], "آزمایش", sender=LINE)
        refs += [str(e["messageid"]) for e in entries]
    async with rt.db.session() as s:
        rows = [sent_row(num, ref, age) for num, ref in zip(numbers, refs, strict=True)]
        s.add_all(rows)
        await s.flush()
        return [r.id for r in rows]


async def rows(rt: Runtime) -> dict[str, Outbox]:
    async with rt.db.session() as s:
        return {r.address: r for r in (await s.scalars(select(Outbox))).all()}


@pytest.fixture
async def gw(rt: Runtime, kavenegar: FakeKavenegar) -> Runtime:
    return with_gateway(rt, kavenegar)


CODES = [1, 2, 4, 5, 6, 10, 11, 13, 14]


async def test_every_code_is_recorded(gw: Runtime, kavenegar: FakeKavenegar) -> None:
    await sent_rows(gw, kavenegar, len(CODES))
    for i, code in enumerate(CODES):
        kavenegar.delivery[mobile(i)] = code
    assert await poll_delivery_reports(gw) == len(CODES)
    got = await rows(gw)
    for i, code in enumerate(CODES):
        row = got[mobile(i)]
        assert row.payload is not None and row.payload["dlr"] == code
        if code == 10:
            assert row.state == "delivered" and row.delivered_at is not None
        elif code in (6, 11, 13, 14):
            assert row.state == "failed" and row.error and row.error.startswith(f"kavenegar {code}")
        else:
            assert row.state == "sent"  # still on its way: asked again next time
    async with gw.db.session() as s:
        subs = (await s.scalars(select(Subscription))).all()
    blocked = mobile(CODES.index(14))
    assert [(x.channel, x.address, x.subscribed) for x in subs] == [("sms", blocked, False)]
    # Only the rows still on their way are asked about again.
    kavenegar.calls.clear()
    await poll_delivery_reports(gw)
    (call,) = kavenegar.calls_to("sms/status")
    assert len(call.params["messageid"]) == 4


async def test_unknown_id_is_noted_and_kept(gw: Runtime, kavenegar: FakeKavenegar) -> None:
    async with gw.db.session() as s:
        s.add(sent_row(mobile(1), "123"))
    await poll_delivery_reports(gw)
    row = (await rows(gw))[mobile(1)]
    assert row.state == "sent" and row.payload == {"dlr": 100, "dlr_at": row.payload["dlr_at"]}


async def test_batches_of_500_and_48_hours(gw: Runtime, kavenegar: FakeKavenegar) -> None:
    await sent_rows(gw, kavenegar, 600)
    async with gw.db.session() as s:
        s.add(sent_row(mobile(9999), "1", timedelta(hours=49)))
    kavenegar.calls.clear()
    assert await poll_delivery_reports(gw) == 600
    calls = kavenegar.calls_to("sms/status")
    assert [len(c.params["messageid"]) for c in calls] == [500, 100]
    assert all("1" not in c.params["messageid"] for c in calls)


async def test_gateway_error_is_not_fatal(gw: Runtime, kavenegar: FakeKavenegar) -> None:
    await sent_rows(gw, kavenegar, 3)
    kavenegar.fail_next(409)
    assert await poll_delivery_reports(gw) == 0
    assert {r.state for r in (await rows(gw)).values()} == {"sent"}
    assert await poll_delivery_reports(gw) == 3


async def test_no_gateway_no_poll(rt: Runtime) -> None:
    assert await poll_delivery_reports(rt) == 0


@pytest.fixture
async def http(gw: Runtime) -> AsyncIterator[TestClient]:
    c = await client(with_secret(gw))
    try:
        yield c
    finally:
        await c.close()


async def test_status_callback(http: TestClient, gw: Runtime, kavenegar: FakeKavenegar) -> None:
    await sent_rows(gw, kavenegar, 2)
    refs = {r.address: r.provider_ref for r in (await rows(gw)).values()}
    resp = await http.post(
        f"/sms/status/{SECRET}", data={"messageid": refs[mobile(0)], "status": "10"}
    )
    assert resp.status == 200
    resp = await http.get(
        f"/sms/status/{SECRET}", params={"messageid": refs[mobile(1)], "status": "14"}
    )
    assert resp.status == 200
    got = await rows(gw)
    assert got[mobile(0)].state == "delivered" and got[mobile(1)].state == "failed"
    assert (await http.post(f"/sms/status/{SECRET}", data={"messageid": "1"})).status == 400
    bad = await http.post(f"/sms/status/{SECRET}", data={"messageid": "1", "status": "x"})
    assert bad.status == 400 and "status" in await bad.text()
    assert (await http.post("/sms/status/wrong", data={"messageid": "1"})).status == 403


async def test_scheduler_hook_polls_every_two_minutes(
    gw: Runtime, kavenegar: FakeKavenegar
) -> None:
    gw.clock = clock = Clock()
    await sent_rows(gw, kavenegar, 1)
    kavenegar.default_delivery = 4  # still with the operator: asked about again
    hook = delivery_report_hook()
    for _ in range(3):
        await hook(gw)
        clock.advance(seconds=61)
    assert len(kavenegar.calls_to("sms/status")) == 2  # at 0 s and at 122 s, not at 61 s
