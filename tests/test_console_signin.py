"""Console sign-in: password and second factor, lockout, sessions, CSRF, audit."""

from __future__ import annotations

from datetime import timedelta

import pyotp

from handlers.runtime import Runtime
from storage.models import Outbox
from tests.console_kit import PASSWORD, console_client, csrf_of, post_form, seed_console, sign_in
from tests.staff_seed import NOW, audits, outbox


async def test_sign_in_with_totp_enrolment_then_sign_out(rt: Runtime) -> None:
    await seed_console(rt)
    secrets: dict[str, str] = {}
    async with console_client(rt) as client:
        r = await client.get("/staff/", allow_redirects=False)
        assert r.status == 303 and r.headers["Location"] == "/staff/signin"
        await sign_in(client, rt, "reviewer", secrets)
        r = await client.get("/staff/")
        assert r.status == 200
        html = await r.text()
        assert 'dir="rtl"' in html and "پیشخوان" in html
        assert "script-src 'self'" in r.headers["Content-Security-Policy"]
        cookie = r.request_info.headers.get("Cookie", "")
        assert "amayesh_staff" in cookie
        r = await post_form(client, "/staff/signout", html)
        assert r.status == 303
        r = await client.get("/staff/", allow_redirects=False)
        assert r.headers["Location"] == "/staff/signin"
        # The second time the enrolled app's code is asked for, with no QR code.
        page = await (await client.get("/staff/signin")).text()
        await post_form(client, "/staff/signin", page, username="reviewer", password=PASSWORD)
        page = await (await client.get("/staff/factor")).text()
        assert "<svg" not in page and 'class="secret"' not in page
    actions = [a.action for a in await audits(rt) if a.actor == "web:reviewer"]
    assert actions[:4] == ["console.password_ok", "console.totp_enrolled", "console.signin",
                           "report.daily"]  # fmt: skip
    assert "console.signout" in actions


async def test_cookie_flags(rt: Runtime) -> None:
    await seed_console(rt)
    async with console_client(rt) as client:
        page = await (await client.get("/staff/signin")).text()
        r = await post_form(client, "/staff/signin", page, username="admin", password=PASSWORD)
        raw = r.headers.getall("Set-Cookie")
        mine = next(c for c in raw if c.startswith("amayesh_staff="))
        for flag in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/staff/"):
            assert flag in mine


async def test_wrong_code_does_not_sign_in(rt: Runtime) -> None:
    await seed_console(rt)
    async with console_client(rt) as client:
        page = await (await client.get("/staff/signin")).text()
        await post_form(client, "/staff/signin", page, username="admin", password=PASSWORD)
        page = await (await client.get("/staff/factor")).text()
        r = await post_form(client, "/staff/factor", page, code="000000")
        assert r.status == 401 and "کد درست نیست" in await r.text()
        r = await client.get("/staff/", allow_redirects=False)
        assert r.headers["Location"] == "/staff/factor"
    assert [a.after["why"] for a in await audits(rt, "console.signin_failed")] == ["code"]


async def test_sms_second_factor_goes_through_the_outbox(rt: Runtime) -> None:
    await seed_console(rt, sms_mobile="09151112233")
    async with console_client(rt) as client:
        page = await (await client.get("/staff/signin")).text()
        await post_form(client, "/staff/signin", page, username="admin", password=PASSWORD)
        sent = [m for m in await outbox(rt) if m.kind == "otp"]
        assert len(sent) == 1 and sent[0].address == "09151112233" and sent[0].channel == "sms"
        code = (sent[0].payload or {})["token"]
        page = await (await client.get("/staff/factor")).text()
        assert "پیامک شد" in page
        r = await post_form(client, "/staff/factor", page, code="".join(
            "۰۱۲۳۴۵۶۷۸۹"[int(d)] for d in code))  # Persian digits accepted  # fmt: skip
        assert r.status == 303
        assert (await client.get("/staff/")).status == 200


async def test_lockout_per_account(rt: Runtime) -> None:
    await seed_console(rt)
    async with console_client(rt) as client:
        for _ in range(5):
            page = await (await client.get("/staff/signin")).text()
            r = await post_form(client, "/staff/signin", page, username="admin", password="nope")
            assert r.status == 401 and "درست نیست" in await r.text()
        page = await (await client.get("/staff/signin")).text()
        r = await post_form(client, "/staff/signin", page, username="admin", password=PASSWORD)
        assert r.status == 429 and "۱۵ دقیقه" in await r.text()
        rt.clock = lambda: NOW + timedelta(minutes=16)
        page = await (await client.get("/staff/signin")).text()
        r = await post_form(client, "/staff/signin", page, username="admin", password=PASSWORD)
        assert r.status == 303
    assert len(await audits(rt, "console.signin_failed")) == 5
    assert len(await audits(rt, "console.signin_locked")) == 1


async def test_lockout_per_address(rt: Runtime) -> None:
    await seed_console(rt)
    async with console_client(rt) as client:
        for i in range(20):
            page = await (await client.get("/staff/signin")).text()
            await post_form(client, "/staff/signin", page, username=f"guess{i}", password="x")
        page = await (await client.get("/staff/signin")).text()
        r = await post_form(client, "/staff/signin", page, username="reviewer", password=PASSWORD)
        assert r.status == 429


async def test_idle_session_expires_and_password_change_revokes(rt: Runtime) -> None:
    await seed_console(rt)
    secrets: dict[str, str] = {}
    async with console_client(rt) as client:
        await sign_in(client, rt, "admin", secrets)
        rt.clock = lambda: NOW + timedelta(minutes=29)
        assert (await client.get("/staff/", allow_redirects=False)).status == 200
        rt.clock = lambda: NOW + timedelta(minutes=29 + 31)
        r = await client.get("/staff/", allow_redirects=False)
        assert r.headers["Location"] == "/staff/signin"
        await sign_in(client, rt, "admin", secrets)
        from handlers.staff_signin import set_password

        async with rt.db.session() as s:
            assert await set_password(rt, s, "cli:root", "admin", "another long one") is None
        r = await client.get("/staff/", allow_redirects=False)
        assert r.headers["Location"] == "/staff/signin"


async def test_signin_form_needs_its_csrf_token(rt: Runtime) -> None:
    await seed_console(rt)
    async with console_client(rt) as client:
        await client.get("/staff/signin")
        r = await client.post(
            "/staff/signin",
            data={"csrf": "forged", "username": "admin", "password": PASSWORD},
            allow_redirects=False,
        )
        assert r.status == 200 and "منقضی" in await r.text()
        assert csrf_of(await r.text())
    assert not [m for m in await outbox(rt) if isinstance(m, Outbox) and m.kind == "otp"]


async def test_a_totp_code_works_once(rt: Runtime) -> None:
    await seed_console(rt)
    secrets: dict[str, str] = {}
    async with console_client(rt) as client:
        await sign_in(client, rt, "admin", secrets)
    async with console_client(rt) as other:  # the same code again, from another browser
        page = await (await other.get("/staff/signin")).text()
        await post_form(other, "/staff/signin", page, username="admin", password=PASSWORD)
        page = await (await other.get("/staff/factor")).text()
        code = pyotp.TOTP(secrets["admin"]).at(rt.clock())
        r = await post_form(other, "/staff/factor", page, code=code)
        assert r.status == 401
        rt.clock = lambda: NOW + timedelta(seconds=61)
        r = await post_form(other, "/staff/factor", page,
                            code=pyotp.TOTP(secrets["admin"]).at(rt.clock()))  # fmt: skip
        assert r.status == 303
