"""Broadcasts in the console: the live figures, the preview, sending once, scheduling, actions."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from handlers import broadcasts as bc
from handlers.jalali import fa_digits
from handlers.runtime import Runtime
from storage.models import Broadcast, Outbox
from tests.console_kit import console_client, csrf_of, post_form, seed_console, sign_in
from tests.staff_seed import audits

FA_70 = "ب" * 70  # one UCS-2 part exactly
PROVINCE = "خراسان جنوبی"


async def _expected(rt: Runtime, segment: str) -> dict[str, int]:
    async with rt.db.session() as s:
        return (await bc.preview(rt, s, "cli:test", segment)).by_channel


async def _compose(client, **fields: str):  # type: ignore[no-untyped-def]
    page = await (await client.get("/staff/broadcasts/new")).text()
    return await post_form(client, "/staff/broadcasts/preview", page, **fields)


async def _rows(rt: Runtime) -> tuple[int, int]:
    async with rt.db.session() as s:
        made = await s.scalar(select(func.count()).select_from(Broadcast))
        copies = await s.scalar(select(func.count()).where(Outbox.broadcast_id.is_not(None)))
    return made or 0, copies or 0


async def test_live_part_count_and_recipient_count(rt: Runtime) -> None:
    await seed_console(rt)
    async with console_client(rt) as client:
        await sign_in(client, rt, "broadcaster", {})
        page = await (await client.get("/staff/broadcasts/new")).text()
        assert 'id="composer"' in page and "متن فارسی" in page and "<script>" not in page
        token = csrf_of(page)
        for text, parts, enc in ((FA_70, 1, "ucs2"), (FA_70 + "پ", 2, "ucs2"),
                                 ("a" * 160, 1, "gsm7"), ("a" * 161, 2, "gsm7")):  # fmt: skip
            r = await client.post("/staff/broadcasts/parts", data={"csrf": token, "text": text})
            got = await r.json()
            assert (got["parts"], got["encoding"]) == (parts, enc)
            assert fa_digits(str(parts)) + " بخش پیامک" in got["label"]
        r = await client.post("/staff/broadcasts/parts", data={"text": "x"})
        assert r.status == 403  # the live count is a POST like any other: CSRF checked
        want = await _expected(rt, f"province={PROVINCE}")
        got = await (await client.get("/staff/broadcasts/audience", params={
            "province": PROVINCE})).json()  # fmt: skip
        assert got["total"] == sum(want.values()) > 0
        assert (got["telegram"], got["sms"]) == (want.get("telegram", 0), want.get("sms", 0))
        got = await (await client.get("/staff/broadcasts/audience", params={
            "province": PROVINCE, "channel": "sms"})).json()  # fmt: skip
        assert got["telegram"] == 0 and got["sms"] == want.get("sms", 0)
        got = await (await client.get("/staff/broadcasts/audience", params={
            "campaign": "NOPE-1"})).json()  # fmt: skip
        assert "NOPE-1" in got["error"]


async def test_preview_then_send_once_despite_double_click(rt: Runtime) -> None:
    await seed_console(rt)
    want = await _expected(rt, f"province={PROVINCE}")
    async with console_client(rt) as client:
        await sign_in(client, rt, "broadcaster", {})
        r = await _compose(client, text_fa="", province=PROVINCE)
        assert r.status == 400 and "متن پیام خالی است" in await r.text()
        r = await _compose(client, text_fa=FA_70 + "پ", text_en="Amayesh starts", province=PROVINCE)
        preview = await r.text()
        assert r.status == 200
        assert f'id="pv-total">{fa_digits(str(sum(want.values())))}<' in preview
        cost = want.get("sms", 0) * 2 * rt.settings.sms_cost_rials
        assert fa_digits(f"{cost:,}".replace(",", "٬")) in preview
        assert "تومان" in preview and "همین حالا بفرست" in preview
        assert (await _rows(rt)) == (0, 0)  # a preview makes nothing
        fields = dict(re.findall(r'type="hidden" name="([a-z_]+)" value="([^"]*)"', preview))
        first = await client.post("/staff/broadcasts", data=fields, allow_redirects=False)
        again = await client.post("/staff/broadcasts", data=fields, allow_redirects=False)
        assert first.status == again.status == 303
        assert first.headers["Location"] == again.headers["Location"]
        made, copies = await _rows(rt)
        assert (made, copies) == (1, sum(want.values()))
        assert len(await audits(rt, "broadcast.create")) == 1
        where = first.headers["Location"]
        page = await (await client.get(where)).text()
        assert "در حال ارسال" in page and 'id="progress"' in page
        fig = await (await client.get(f"{where}/progress.json")).json()
        assert fig["state"] == "running" and fig["remaining"] == fa_digits(str(copies))
        r = await post_form(client, f"{where}/pause", page)
        assert r.status == 303
        page = await (await client.get(where)).text()
        assert "متوقف" in page and "ادامه" in page
        r = await post_form(client, f"{where}/pause", page)
        assert r.status == 400 and "متوقف" in await r.text()  # already paused: said, not done
        r = await post_form(client, f"{where}/resume", page)
        r = await post_form(client, f"{where}/cancel", page)
        fig = await (await client.get(f"{where}/progress.json")).json()
        assert fig["state"] == "cancelled" and fig["finished"] is True
        listing = await (await client.get("/staff/broadcasts")).text()
        assert "لغوشده" in listing and f"استان: {PROVINCE}" in listing
    assert [a.action for a in await audits(rt) if a.action.startswith("broadcast.")] == [
        "broadcast.create", "broadcast.pause", "broadcast.resume", "broadcast.cancel"]  # fmt: skip


async def test_schedule_at_a_jalali_time(rt: Runtime) -> None:
    await seed_console(rt)  # the clock stands at 1405/09/02 11:30 Tehran
    async with console_client(rt) as client:
        await sign_in(client, rt, "admin", {})
        r = await _compose(client, text_fa="یادآوری", when="۱۴۰۵/۰۹/۰۱ ۰۹:۰۰")
        assert r.status == 400 and "گذشته است" in await r.text()
        r = await _compose(client, text_fa="یادآوری", when="فردا")
        assert r.status == 400 and "خوانده نشد" in await r.text()
        r = await _compose(client, text_fa="یادآوری", when="۱۴۰۵/۰۹/۱۰ ۰۹:۰۰")
        preview = await r.text()
        assert "زمان‌بندی برای" in preview
        fields = dict(re.findall(r'type="hidden" name="([a-z_]+)" value="([^"]*)"', preview))
        r = await client.post("/staff/broadcasts", data=fields, allow_redirects=False)
        page = await (await client.get(r.headers["Location"])).text()
        assert "زمان‌بندی‌شده" in page and "همین حالا شروع کن" in page
    assert await _rows(rt) == (1, 0)  # nothing queued before its time
    async with rt.db.session() as s:
        b = (await s.scalars(select(Broadcast))).one()
        assert b.state == "scheduled" and b.created_by == "web:admin"


async def test_a_stale_confirm_form_is_refused(rt: Runtime) -> None:
    await seed_console(rt)
    async with console_client(rt) as client:
        await sign_in(client, rt, "broadcaster", {})
        page = await (await client.get("/staff/broadcasts/new")).text()
        r = await post_form(client, "/staff/broadcasts", page, text_fa="بدون پیش‌نمایش")
        assert r.status == 400
    assert await _rows(rt) == (0, 0)
