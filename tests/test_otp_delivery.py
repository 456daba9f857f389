"""A one-time code leaves by verify/lookup (the template), and the outbox forgets it once sent."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from handlers.otp import request_code, verify_code
from handlers.runtime import Runtime
from tests.fakes.kavenegar import FakeKavenegar
from tests.helpers_delivery import rows, run_until, settled, wired_runtime, wired_settings


@pytest.fixture
async def wrt(db_url: str, kavenegar: FakeKavenegar) -> AsyncIterator[Runtime]:
    settings = wired_settings(db_url, None, kavenegar, kavenegar_otp_template="verify")
    rt = await wired_runtime(settings)
    try:
        yield rt
    finally:
        await rt.close()


async def test_code_goes_by_template_and_is_scrubbed(wrt: Runtime, kavenegar: FakeKavenegar):
    async with wrt.db.session() as s:
        outcome = await request_code(wrt, s, "۰۹۱۵ ۱۲۳ ۴۵۶۷", None)
    assert outcome.sent
    await run_until(wrt, settled)

    lookups = kavenegar.calls_to("verify/lookup")
    assert len(lookups) == 1 and not kavenegar.calls_to("sms/sendarray")
    params = lookups[0].params
    code = params["token"]
    assert params["receptor"] == "09151234567" and params["template"] == "verify"
    assert len(code) == 6 and code.isdigit()

    (row,) = await rows(wrt, kind="otp")
    assert row.state == "sent" and row.provider_ref
    assert code not in row.text and code not in str(row.payload)

    async with wrt.db.session() as s:
        assert (await verify_code(wrt, s, "09151234567", code)).ok


async def test_missing_template_fails_with_reason(db_url: str, kavenegar: FakeKavenegar):
    rt = await wired_runtime(wired_settings(db_url, None, kavenegar))  # template not at fake
    try:
        async with rt.db.session() as s:
            await request_code(rt, s, "09151234567", None)
        await run_until(rt, settled)
        (row,) = await rows(rt, kind="otp")
        assert row.state == "failed" and "424" in (row.error or "")
    finally:
        await rt.close()
