"""Nothing leaked by what came after the conversation test (tests/test_log_redaction): `amayesh
-v run` in webhook mode (the inbox), a /metrics scrape, an admins' alert, and the staff console
(a password, a first sign-in enrolling an authenticator app, an SMS sign-in code, a search by
mobile, a case opened). Its debug log holds no token, secret, password, code or full mobile."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import aiohttp
import pyotp
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from handlers.settings import load_settings
from storage.db import Database
from tests.bot_kit import ALI_MOBILE, Chat, seeded_runtime
from tests.cases_kit import cli
from tests.console_kit import CSRF, SECRET
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.kavenegar import FakeKavenegar
from tests.inbox_support import free_port
from tests.redact_kit import FULL_MOBILE, debug_run, secrets_of, service_env

METRICS_TOKEN = "metrics-Tok-7Hq2Lw9"
PASSWORD = "stapler correct horse"
STAFF_MOBILE, CONTACT_MOBILE = "09121110022", "+989157654321"
APP_USER, SMS_USER = "reviewer", "boss"


async def _staff(db_url: str, tmp: Path) -> None:
    """The demo registry; a reviewer (authenticator app) and an admin (SMS codes), as
    `amayesh staff add … --username` and `amayesh staff password` make them."""
    rt = await seeded_runtime(load_settings(database_url=db_url))
    try:
        pw = tmp / "pw.txt"
        pw.write_text(PASSWORD + "\n", encoding="utf-8")
        for argv in (
            ["--telegram-id", "7002", "--role", "reviewer", "--username", APP_USER],
            ["--telegram-id", "7001", "--role", "admin", "--username", SMS_USER, "--mobile",
             STAFF_MOBILE, "--second-factor", "sms"],
        ):  # fmt: skip
            assert (await cli(rt, "staff", "add", *argv))[0] == 0
        for user in (APP_USER, SMS_USER):
            assert (await cli(rt, "staff", "password", user, "--password-file", str(pw)))[0] == 0
    finally:
        await rt.close()


async def _post(http: aiohttp.ClientSession, path: str, page: str, **form: str) -> str:
    found = CSRF.search(page)
    assert found, page[:500]
    async with http.post(path, data={"csrf": found.group(1), **form}) as r:
        assert r.status < 500, await r.text()
        return await r.text()


async def _sign_in(http: aiohttp.ClientSession, user: str, code_of: object) -> str:
    """Password, then the second factor; returns the dashboard's HTML."""
    async with http.get("/staff/signin") as r:
        page = await r.text()
    page = await _post(http, "/staff/signin", page, username=user, password=PASSWORD)
    code = await code_of(page)  # type: ignore[operator]
    page = await _post(http, "/staff/factor", page, code=code)
    assert "/staff/signout" in page, page[:500]
    return page


async def test_debug_log_of_the_inbox_console_and_ops_leaks_nothing(
    db_url: str, botapi: FakeBotAPI, kavenegar: FakeKavenegar, tmp_path: Path
) -> None:
    await _staff(db_url, tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    warn = str(kavenegar.credit + 1)  # a credit alert goes out at once
    hook = f"{base}/telegram/webhook"
    env = service_env(db_url, botapi, kavenegar, tmp_path, port, sms_credit_warn=warn,
                      webhook_url=hook, metrics_token=METRICS_TOKEN)  # fmt: skip
    seen: dict[str, str] = {}
    async with debug_run(env, tmp_path) as log_path:
        async with asyncio.timeout(90):
            await botapi.wait_for_calls("setWebhook", timeout=60)
            await _session(botapi, kavenegar, base, seen)
    log = log_path.read_text("utf-8", errors="replace")
    assert "DEBUG" in log and "/telegram/webhook" in log and "alert credit" in log
    secrets = secrets_of(botapi, kavenegar) | seen | {
        "metrics token": METRICS_TOKEN, "password": PASSWORD, "staff mobile": STAFF_MOBILE,
        "contact mobile": CONTACT_MOBILE[3:], "ali": ALI_MOBILE[1:],
    }  # fmt: skip
    leaked = {name for name, s in secrets.items() if s in log}
    assert leaked == set(), f"leaked: {leaked}"
    assert not FULL_MOBILE.search(log), "a full mobile in some other form"


async def _session(botapi: FakeBotAPI, kavenegar: FakeKavenegar, base: str, seen: dict) -> None:
    chat = Chat(botapi, 701)  # through the webhook and the inbox
    await chat.say("/start")
    botapi.push(botapi.contact_update(702, CONTACT_MOBILE, 702))
    await botapi.wait_for_message(702)
    await botapi.wait_for_message(7001)  # the credit alert, to the admin's chat
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
        async with http.get(f"{base}/metrics", headers=headers) as r:
            assert r.status == 200 and "amayesh_inbox_backlog" in await r.text()

    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base])
    async with aiohttp.ClientSession(base_url=base, cookie_jar=jar) as http:

        async def from_app(page: str) -> str:
            found = SECRET.search(page)
            assert found, page[:500]
            seen["totp secret"] = found.group(1)
            return pyotp.TOTP(found.group(1)).now()

        page = await _sign_in(http, APP_USER, from_app)
        seen["session cookie"] = next(c.value for c in jar if len(c.value) > 20)
        seen["csrf"] = CSRF.search(page).group(1)  # type: ignore[union-attr]
        async with http.get("/staff/nationals") as r:
            page = await r.text()
        found = await _post(http, "/staff/nationals", page, q="۰۹۱۵۱۲۳۴۵۶۷")
        nid = re.search(r'href="/staff/nationals/(\d+)"', found).group(1)  # type: ignore[union-attr]
        async with http.get(f"/staff/nationals/{nid}") as r:
            assert r.status == 200

    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base])
    async with aiohttp.ClientSession(base_url=base, cookie_jar=jar) as http:

        async def from_sms(page: str) -> str:
            def lookups() -> list[str]:
                return [c.params["token"] for c in kavenegar.calls_to("verify/lookup")
                        if c.form.get("receptor") == STAFF_MOBILE]  # fmt: skip

            while not lookups():  # noqa: ASYNC110 (the service's worker sends it)
                await asyncio.sleep(0.05)
            seen["sms code"] = lookups()[0]
            return seen["sms code"]

        await _sign_in(http, SMS_USER, from_sms)


async def test_a_database_error_does_not_carry_its_bound_values(db_url: str) -> None:
    """What a failing query puts in a logged traceback: the statement, not the values."""
    db = Database(db_url)
    try:
        async with db.session() as s:
            with pytest.raises(DBAPIError) as failed:
                await s.execute(text("SELECT * FROM no_such_table WHERE x = :v"),
                                {"v": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"})  # fmt: skip
    finally:
        await db.dispose()
    assert "no_such_table" in str(failed.value)
    assert "JBSWY3DPEHPK3PXP" not in str(failed.value)
