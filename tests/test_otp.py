"""One-time codes: hashed, 5 minutes, 5 tries, 3 an hour; sent with verify/lookup."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from handlers.otp import request_code, verify_code
from handlers.runtime import Runtime
from sms.verify import is_verify_row, send_verify_row
from storage.models import National, OtpCode, Outbox
from storage.text import InvalidMobile
from tests.fakes.kavenegar import FakeKavenegar
from tests.sms_support import ALI, Clock, with_demo, with_gateway

OTHER = "09121112233"


@pytest.fixture
async def clocked(rt: Runtime) -> Runtime:
    rt.clock = Clock()
    return await with_demo(rt)


async def ask(rt: Runtime, mobile: str = ALI, national_id: int | None = None):  # type: ignore[no-untyped-def]
    async with rt.db.session() as s:
        return await request_code(rt, s, mobile, national_id)


async def check(rt: Runtime, code: str, mobile: str = ALI):  # type: ignore[no-untyped-def]
    async with rt.db.session() as s:
        return await verify_code(rt, s, mobile, code)


async def last_code(rt: Runtime) -> tuple[str, Outbox, OtpCode]:
    async with rt.db.session() as s:
        row = await s.scalar(select(Outbox).where(Outbox.kind == "otp").order_by(Outbox.id.desc()))
        otp = await s.scalar(select(OtpCode).order_by(OtpCode.id.desc()))
    assert row is not None and row.payload is not None and otp is not None
    return row.payload["token"], row, otp


async def ali_id(rt: Runtime) -> int:
    async with rt.db.session() as s:
        found = await s.scalar(select(National.id).where(National.mobile == ALI))
    assert found is not None
    return found


async def test_code_is_queued_and_stored_hashed(clocked: Runtime) -> None:
    nid = await ali_id(clocked)
    outcome = await ask(clocked, "+98 915 123 4567", nid)
    assert outcome.sent and outcome.outbox_id is not None
    code, row, otp = await last_code(clocked)
    assert len(code) == 6 and code.isdigit()
    assert (row.kind, row.channel, row.address, row.urgent) == ("otp", "sms", ALI, True)
    assert row.payload == {"template": clocked.settings.kavenegar_otp_template, "token": code}
    assert code in row.text and row.lang == "prs"
    assert row.deadline_at == outcome.expires_at == clocked.clock() + timedelta(minutes=5)
    assert otp.mobile == ALI and otp.national_id == nid
    assert code not in otp.code_hash and otp.code_hash.startswith("scrypt$")
    assert is_verify_row(row)


async def test_right_code_once(clocked: Runtime) -> None:
    nid = await ali_id(clocked)
    await ask(clocked, ALI, nid)
    code, _, _ = await last_code(clocked)
    persian = code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    outcome = await check(clocked, f" {persian[:3]} {persian[3:]} ")
    assert outcome.ok and outcome.national_id == nid
    assert (await check(clocked, code)).status == "expired"  # used up


async def test_expiry(clocked: Runtime) -> None:
    await ask(clocked)
    code, _, _ = await last_code(clocked)
    clocked.clock.advance(minutes=4, seconds=59)  # type: ignore[attr-defined]
    assert (await check(clocked, "000000" if code != "000000" else "111111")).status == "wrong"
    clocked.clock.advance(seconds=1)  # type: ignore[attr-defined]
    assert (await check(clocked, code)).status == "expired"


async def test_lock_out_after_five_wrong(clocked: Runtime) -> None:
    await ask(clocked)
    code, _, _ = await last_code(clocked)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert (await check(clocked, "12a")).tries_left == 5  # a typo is not a guess
    results = [await check(clocked, wrong) for _ in range(5)]
    assert [(r.status, r.tries_left) for r in results] == [
        ("wrong", 4), ("wrong", 3), ("wrong", 2), ("wrong", 1), ("locked", 0),
    ]  # fmt: skip
    assert (await check(clocked, code)).status == "locked"
    clocked.clock.advance(minutes=1)  # type: ignore[attr-defined]
    assert (await ask(clocked)).sent  # a new code starts afresh
    fresh, _, _ = await last_code(clocked)
    assert (await check(clocked, fresh)).ok


async def test_three_codes_an_hour(clocked: Runtime) -> None:
    for _ in range(3):
        assert (await ask(clocked)).sent
        clocked.clock.advance(minutes=10)  # type: ignore[attr-defined]
    refused = await ask(clocked)
    assert refused.status == "too_many" and refused.retry_in == timedelta(minutes=30)
    assert (await ask(clocked, OTHER)).sent  # per number
    clocked.clock.advance(minutes=30)  # type: ignore[attr-defined]
    assert (await ask(clocked)).sent
    async with clocked.db.session() as s:
        kinds = (await s.scalars(select(Outbox.address).where(Outbox.kind == "otp"))).all()
    assert sorted(kinds) == sorted([ALI] * 4 + [OTHER])


async def test_only_the_newest_code_counts(clocked: Runtime) -> None:
    await ask(clocked)
    first, _, _ = await last_code(clocked)
    await ask(clocked)
    second, _, _ = await last_code(clocked)
    if first != second:
        assert (await check(clocked, first)).status == "wrong"
    assert (await check(clocked, second)).ok


async def test_bad_mobile_raises(clocked: Runtime) -> None:
    with pytest.raises(InvalidMobile):
        await ask(clocked, "+93700123456")


async def test_send_verify_row(clocked: Runtime, kavenegar: FakeKavenegar) -> None:
    kavenegar.templates["amayesh-otp"] = "کد آمایش: %token"
    with_gateway(clocked, kavenegar)
    await ask(clocked)
    code, row, _ = await last_code(clocked)
    assert clocked.sms is not None
    ref = await send_verify_row(clocked.sms, row)
    (call,) = kavenegar.calls_to("verify/lookup")
    assert call.params["token"] == code and call.params["template"] == "amayesh-otp"
    assert call.params["receptor"] == ALI
    (sent,) = kavenegar.sent
    assert str(sent.messageid) == ref and sent.message == f"کد آمایش: {code}"
