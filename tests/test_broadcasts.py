"""Broadcasts: segments, set-wise expansion, opt-outs, languages, pause/resume/cancel, workers."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import Delivery
from bot.worker import run_worker
from handlers import broadcasts as bc
from handlers.audience import SegmentError, format_segment, parse_segment
from handlers.runtime import Runtime
from sms.keywords import route
from storage import broadcasts as bc_store
from storage.models import National, Outbox
from tests.conftest import PG_URL
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.kavenegar import FakeKavenegar
from tests.helpers_delivery import (
    add_people,
    count_states,
    link_chat,
    opt_out,
    person,
    rows,
    run_until,
    settled,
    wired_runtime,
    wired_settings,
)

CLI = "cli:test"


def test_segment_text_is_parsed_and_normalised() -> None:
    seg = parse_segment(" استان = خراسان  جنوبي ، language=Dari|ps,status=awaiting_payment ")
    assert seg == {"province": ["خراسان جنوبی"], "language": ["prs", "ps"],
                   "status": ["awaiting_payment"]}  # fmt: skip
    assert parse_segment(format_segment(seg)) == seg
    assert parse_segment("") == {}
    assert parse_segment("campaign=AMAYESH-19,eligibility=بله") == {
        "campaign": "AMAYESH-19", "eligibility": "eligible"}  # fmt: skip
    assert parse_segment("عضویت=بله,subscribed=yes") == {"subscribed": "yes"}
    assert parse_segment(format_segment({"subscribed": "no"})) == {"subscribed": "no"}


async def test_subscribed_segment_is_who_joined(wrt: Runtime) -> None:
    """«subscribed=yes» is who asked for announcements (here by the SMS keyword JOIN from their
    mobile), «no» is everyone else reachable; an opt-out is in neither."""
    await _town(wrt)
    await route(wrt, "09150000003", "عضویت", "join-3")  # person 3 joins by SMS
    async with wrt.db.session() as s:
        yes = await bc.preview(wrt, s, CLI, "province=خراسان جنوبی,subscribed=بله")
        no = await bc.preview(wrt, s, CLI, "province=خراسان جنوبی,subscribed=no")
        both = await bc.preview(wrt, s, CLI, "province=خراسان جنوبی,subscribed=yes|no")
    assert (yes.total, no.total, both.total) == (1, 2, 3)


@pytest.mark.parametrize(
    ("text", "reason"),
    [("province", "bad_pair"), ("colour=red", "unknown_key"), ("language=xx", "bad_value"),
     ("status=flying", "bad_value"), ("city=", "empty"), ("subscribed=maybe", "bad_value")],
)  # fmt: skip
def test_bad_segments_say_why(text: str, reason: str) -> None:
    with pytest.raises(SegmentError) as err:
        parse_segment(text)
    assert err.value.reason == reason


async def _town(rt: Runtime) -> list[int]:
    """Six people: two with chats, one opted out by id, one by mobile, one elsewhere."""
    ids = await add_people(rt, [
        person(1, language="prs"), person(2, language="ps"), person(3, language="en"),
        person(4), person(5, mobile="09150000005"), person(6, province="تهران"),
        person(7, mobile=None),
    ])  # fmt: skip
    await link_chat(rt, ids[0], 601)
    await link_chat(rt, ids[1], 602)
    await opt_out(rt, national_id=ids[3])
    await opt_out(rt, mobile="09150000005")
    return ids


TEXTS = {"fa": "اطلاعیه", "prs": "اطلاعیه دری", "ps": "خبرتیا", "en": "Notice"}


async def test_broadcast_reaches_segment_in_each_language_minus_opt_outs(
    wrt: Runtime, botapi: FakeBotAPI, kavenegar: FakeKavenegar
) -> None:
    ids = await _town(wrt)
    async with wrt.db.session() as s:
        pv = await bc.preview(wrt, s, CLI, "province=خراسان جنوبی", sms_text="کوتاه")
        assert pv.by_channel == {"telegram": 2, "sms": 1}
        b = await bc.create_broadcast(wrt, s, CLI, "province=خراسان جنوبی", TEXTS,
                                      sms_text="کوتاه")  # fmt: skip
    assert (b.state, b.total) == ("running", 3)
    got = {r.national_id: (r.channel, r.text, r.key) for r in await rows(wrt)}
    assert got == {
        ids[0]: ("telegram", "اطلاعیه دری", f"bc:{b.id}:{ids[0]}"),
        ids[1]: ("telegram", "خبرتیا", f"bc:{b.id}:{ids[1]}"),
        ids[2]: ("sms", "Notice", f"bc:{b.id}:{ids[2]}"),
    }
    await run_until(wrt, settled)
    assert botapi.last_text(601) == "اطلاعیه دری" and botapi.last_text(602) == "خبرتیا"
    assert [(m.receptor, m.message) for m in kavenegar.sent] == [("09150000003", "کوتاه")]
    async with wrt.db.session() as s:
        await bc.start_due(wrt, s)  # the scheduler closes finished broadcasts
        report = await bc.broadcast_report(wrt, s, b.id)
        assert report.state == "done" and report.sms_parts == 1
        assert "پیام‌رسان: ۲ فرستاده" in bc.format_report(wrt, "fa", report)
    async with wrt.db.session() as s:  # starting again adds nobody twice
        again = await bc.create_broadcast(wrt, s, CLI, {}, "x")
        assert again.total == 4  # everyone reachable and not opted out, any province


async def test_expanding_a_broadcast_again_adds_no_second_copy(wrt: Runtime) -> None:
    """A start cut short and run again (or run twice) gives each recipient one copy."""
    await add_people(wrt, [person(i) for i in range(5)])
    async with wrt.db.session() as s:
        b = await bc.create_broadcast(wrt, s, CLI, "", "x")
    async with wrt.db.session() as s:
        await s.execute(delete(Outbox).where(Outbox.national_id == min(await _ids(s))))
    async with wrt.db.session() as s:
        again = await bc_store.get(s, b.id)
        assert again is not None
        assert await bc_store.start(s, again, wrt.clock()) == 1  # only the missing one
        assert await bc_store.start(s, again, wrt.clock()) == 0
    got = Counter(r.national_id for r in await rows(wrt))
    assert len(got) == 5 and set(got.values()) == {1}


async def _ids(s: AsyncSession) -> list[int]:
    return list((await s.scalars(select(National.id))).all())


async def test_pause_resume_cancel(wrt: Runtime) -> None:
    await add_people(wrt, [person(i) for i in range(10)])
    async with wrt.db.session() as s:
        b = await bc.create_broadcast(wrt, s, CLI, "", "x")
    async with wrt.db.session() as s:
        await bc.pause_broadcast(wrt, s, CLI, b.id)
    assert await count_states(wrt) == {"held": 10}
    await run_until(wrt, lambda c: True)  # a worker pass sends nothing that is held
    assert await count_states(wrt) == {"held": 10}
    async with wrt.db.session() as s:
        await bc.resume_broadcast(wrt, s, CLI, b.id)
        p = await bc.broadcast_progress(wrt, s, b.id)
        assert p.counts == {"queued": 10} and p.remaining == 10
        await bc.cancel_broadcast(wrt, s, CLI, b.id)
    assert await count_states(wrt) == {"cancelled": 10}
    async with wrt.db.session() as s:
        with pytest.raises(bc.BroadcastError) as err:
            await bc.resume_broadcast(wrt, s, CLI, b.id)
        assert "cancelled" in err.value.text(wrt, "en")


async def test_scheduled_broadcast_starts_when_due(wrt: Runtime) -> None:
    await add_people(wrt, [person(1)])
    async with wrt.db.session() as s:
        with pytest.raises(bc.BroadcastError):
            await bc.create_broadcast(wrt, s, CLI, "", "x", when="1390/01/01 10:00")
        b = await bc.create_broadcast(wrt, s, CLI, "", "x", when=wrt.clock() + timedelta(hours=1))
    assert b.state == "scheduled" and await rows(wrt) == []
    wrt.clock = lambda: b.scheduled_at + timedelta(seconds=1)  # type: ignore[operator]
    async with wrt.db.session() as s:
        assert await bc.start_due(wrt, s) == [b.id]
    assert len(await rows(wrt, broadcast_id=b.id)) == 1


async def test_staff_without_the_right_cannot_broadcast(wrt: Runtime) -> None:
    from handlers.staff_auth import Forbidden

    async with wrt.db.session() as s:
        with pytest.raises(Forbidden):
            await bc.create_broadcast(wrt, s, "tg:999", "", "x")


@pytest.mark.skipif(not PG_URL, reason="several workers share the outbox only on PostgreSQL")
async def test_two_workers_on_postgresql_never_send_the_same_row(
    db_url: str, botapi: FakeBotAPI
) -> None:
    a = await wired_runtime(wired_settings(db_url, botapi, None, telegram_rate=400))
    b = await wired_runtime(wired_settings(db_url, botapi, None, telegram_rate=400))
    try:
        ids = await add_people(a, [person(i) for i in range(600)])
        for i, nid in enumerate(ids):
            await link_chat(a, nid, 10_000 + i)
        async with a.db.session() as s:
            await bc.create_broadcast(a, s, CLI, "", "x")
        b.delivery = Delivery(b, None, b.metrics, owner="second-worker")
        stop = asyncio.Event()
        workers = [asyncio.create_task(run_worker(rt, stop, poll=0.05)) for rt in (a, b)]
        async with asyncio.timeout(60):
            while not settled(await count_states(a)):  # noqa: ASYNC110 (polls the database)
                await asyncio.sleep(0.1)
        stop.set()
        await asyncio.gather(*workers)
        chats = Counter(m.chat_id for m in botapi.sent)
        assert len(chats) == 600 and max(chats.values()) == 1
        assert await count_states(a) == {"sent": 600}
    finally:
        await a.close()
        await b.close()
