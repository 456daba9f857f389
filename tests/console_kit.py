"""Shared pieces of the console tests: staff with console logins, a signed-in test client."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pyotp
from aiohttp import CookieJar
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.server import init_app
from handlers.broadcasts import create_broadcast
from handlers.runtime import Runtime
from handlers.staff_signin import set_login, set_password
from storage.complaints import create as create_complaint
from storage.models import National
from tests.staff_seed import ADMIN, BROADCASTER, REVIEWER, seed

PASSWORD = "correct horse battery"
USERS = {"admin": ADMIN, "reviewer": REVIEWER, "broadcaster": BROADCASTER}
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
SECRET = re.compile(r'class="secret">([A-Z2-7]+)<')


async def seed_console(rt: Runtime, sms_mobile: str | None = None) -> None:
    """The demo data, one staff member per role, each given a username and a password as
    `amayesh staff add … --username` and `amayesh staff password` do."""
    await seed(rt)
    async with rt.db.session() as s:
        for name, tid in USERS.items():
            await set_login(s, "test", tid, name, None, "totp")
        if sms_mobile:
            await set_login(s, "test", ADMIN, "admin", sms_mobile, "sms")
    async with rt.db.session() as s:
        for name in USERS:
            assert await set_password(rt, s, "test", name, PASSWORD) is None


@asynccontextmanager
async def console_client(rt: Runtime) -> AsyncIterator[TestClient]:
    server = TestServer(init_app(rt))
    await server.start_server()
    # The cookie is Secure; the test server is plain http on loopback, treated as secure here
    # as browsers treat localhost.
    jar = CookieJar(unsafe=True, treat_as_secure_origin=[str(server.make_url("/"))])
    client = TestClient(server, cookie_jar=jar)
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


async def post_form(client: TestClient, path: str, page: str, **fields: str):  # type: ignore[no-untyped-def]
    """Post the form of `page` (its CSRF token included) without following the redirect."""
    return await client.post(path, data={"csrf": csrf_of(page), **fields}, allow_redirects=False)


async def sign_in(client: TestClient, rt: Runtime, user: str, secrets: dict[str, str]) -> None:
    """Password, then the TOTP code (enrolling from the page's secret the first time)."""
    page = await (await client.get("/staff/signin")).text()
    r = await post_form(client, "/staff/signin", page, username=user, password=PASSWORD)
    assert r.status == 303, await r.text()
    page = await (await client.get("/staff/factor")).text()
    if user not in secrets:
        found = SECRET.search(page)
        assert found, page
        secrets[user] = found.group(1)
    code = pyotp.TOTP(secrets[user]).at(rt.clock())
    r = await post_form(client, "/staff/factor", page, code=code)
    assert r.status == 303 and r.headers["Location"] == "/staff/", await r.text()


async def national_id(rt: Runtime, card: str = "100200300") -> int:
    async with rt.db.session() as s:
        nid = await s.scalar(select(National.id).where(National.card_number == card))
    assert nid is not None
    return nid


async def file_complaint(rt: Runtime, card: str = "100200300", hours_left: int = 48) -> int:
    """A complaint as the bot's complaint flow stores it (storage.complaints.create)."""
    nid = await national_id(rt, card)
    now = rt.clock()
    async with rt.db.session() as s:
        c = await create_complaint(s, year=1405, national_id=nid, channel="telegram",
                                   address="555", body="کارتم هنوز صادر نشده است",
                                   photo_path=None, due_at=now + timedelta(hours=hours_left),
                                   now=now)  # fmt: skip
        return c.id


async def scheduled_broadcast(rt: Runtime, segment: str = "province=خراسان جنوبی") -> int:
    """A broadcast scheduled a day ahead, as `amayesh broadcast --at` makes it."""
    async with rt.db.session() as s:
        b = await create_broadcast(rt, s, "cli:test", segment, "اطلاعیه آزمایشی",
                                   when=rt.clock() + timedelta(days=1))  # fmt: skip
        return b.id


async def browser_sign_in(page: Any, base: str, rt: Runtime, user: str = "admin") -> None:
    """In a Playwright page: the password, then the TOTP code from the enrolment page."""
    await page.goto(f"{base}/signin")
    await page.fill("input[name=username]", user)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/factor")
    secret = (await page.text_content(".secret") or "").strip()
    await page.fill("input[name=code]", pyotp.TOTP(secret).at(rt.clock()))
    await page.click("form[action$='/factor'] button")
    await page.wait_for_url(f"{base}/")
