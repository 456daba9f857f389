"""Shared helpers of the SMS tests: demo people, the fake gateway wired in, a settable clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from sqlalchemy import select

from bot.server import init_app
from handlers.demo import load_demo
from handlers.runtime import Runtime
from sms.inbound import install_sms_routes
from sms.kavenegar import AsyncKavenegarAPI
from storage.models import Outbox, utcnow
from tests.fakes.kavenegar import FakeKavenegar

SECRET = "in_s3cret-path"
ALI = "09151234567"  # 100200300, head of H-1001 (members 100200301, 100200302), Dari
GOL = "09157654321"  # 200300400, head of H-2002, Pashto
ZAHRA = "09150001122"  # 300400500, head of H-3003, Persian
STRANGER = "09359998877"  # nobody's registry mobile


class Clock:
    """rt.clock that tests move by hand."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


async def with_demo(rt: Runtime) -> Runtime:
    now = rt.clock()
    async with rt.db.session() as s:
        assert await load_demo(s, now.astimezone(rt.settings.tz).date(), now)
    return rt


def with_secret(rt: Runtime, secret: str | None = SECRET) -> Runtime:
    value = SecretStr(secret) if secret is not None else None
    rt.settings = rt.settings.model_copy(update={"inbound_secret": value})
    return rt


def with_gateway(rt: Runtime, fake: FakeKavenegar, **settings: Any) -> Runtime:
    rt.sms = AsyncKavenegarAPI(fake.valid_key, session=rt.http, base_url=fake.url, timeout=5)
    if settings:
        rt.settings = rt.settings.model_copy(update=settings)
    return rt


async def client(rt: Runtime) -> TestClient:
    c = TestClient(TestServer(init_app(rt, [install_sms_routes])))
    await c.start_server()
    return c


async def replies(rt: Runtime, address: str | None = None) -> list[Outbox]:
    """The SMS replies queued so far, oldest first."""
    async with rt.db.session() as s:
        stmt = select(Outbox).where(Outbox.kind == "reply").order_by(Outbox.id)
        if address is not None:
            stmt = stmt.where(Outbox.address == address)
        return list((await s.scalars(stmt)).all())


async def reply_to(rt: Runtime, message_id: str) -> str | None:
    async with rt.db.session() as s:
        return await s.scalar(select(Outbox.text).where(Outbox.key == f"sms-in:{message_id}"))
