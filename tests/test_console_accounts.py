"""Staff accounts in the console: an admin adds one (username, role, second factor, first
password), changes its role, resets its password and second factor, deactivates it (its
sign-in refused at once); the last admin cannot be locked out; everyone changes their own
password; other roles are refused; every step audited."""

from __future__ import annotations

import re

from sqlalchemy import select

from handlers.runtime import Runtime
from storage.models import Staff
from tests.console_kit import PASSWORD, console_client, post_form, seed_console, sign_in
from tests.staff_seed import audits

NEW = {"username": "Zahra.K", "name": "زهرا کریمی", "telegram_id": "۷۷۰۰۱", "role": "reviewer",
       "factor": "totp", "mobile": "", "password": "first password 1"}  # fmt: skip


async def _staff(rt: Runtime, username: str) -> Staff:
    async with rt.db.session() as s:
        return (await s.scalars(select(Staff).where(Staff.username == username))).one()


async def _signin_status(rt: Runtime, username: str, password: str) -> int:
    async with console_client(rt) as other:
        page = await (await other.get("/staff/signin")).text()
        r = await post_form(other, "/staff/signin", page, username=username, password=password)
        return int(r.status)


async def test_admin_manages_an_account_from_add_to_deactivate(rt: Runtime) -> None:
    await seed_console(rt)
    async with console_client(rt) as client:
        await sign_in(client, rt, "admin", {})
        page = await (await client.get("/staff/accounts")).text()
        assert "کارکنان" in page and "reviewer" in page
        r = await post_form(client, "/staff/accounts", page, **(NEW | {"password": "short"}))
        assert r.status == 400 and "گذرواژه دست‌کم ۱۰ نویسه است" in await r.text()
        r = await post_form(client, "/staff/accounts", page, **(NEW | {"username": "admin"}))
        assert r.status == 400 and "این نام کاربری را کس دیگری دارد" in await r.text()
        r = await post_form(client, "/staff/accounts", page, **(NEW | {"factor": "sms"}))
        assert r.status == 400 and "شماره همراه لازم است" in await r.text()
        r = await post_form(client, "/staff/accounts", page, **NEW)
        assert r.status == 200 and "حساب zahra.k ساخته شد" in await r.text()
        r = await post_form(client, "/staff/accounts", page, **NEW)
        assert r.status == 400 and "حساب فعالی دارد" in await r.text()
        z = await _staff(rt, "zahra.k")
        assert (z.telegram_id, z.role, z.name) == (77001, "reviewer", "زهرا کریمی")
        assert await _signin_status(rt, "zahra.k", NEW["password"]) == 303

        page = await (await client.get(f"/staff/accounts/{z.id}")).text()
        r = await post_form(client, f"/staff/accounts/{z.id}/role", page, role="broadcaster")
        assert r.status == 200 and "نقش تغییر کرد" in await r.text()
        r = await post_form(client, f"/staff/accounts/{z.id}/role", page, role="king")
        assert r.status == 400
        r = await post_form(client, f"/staff/accounts/{z.id}/password", page, password="x")
        assert r.status == 400
        r = await post_form(client, f"/staff/accounts/{z.id}/password", page,
                            password="second password")  # fmt: skip
        assert r.status == 200 and "گذرواژه تازه گذاشته شد" in await r.text()
        assert await _signin_status(rt, "zahra.k", NEW["password"]) == 401  # refused
        r = await post_form(client, f"/staff/accounts/{z.id}/factor", page, factor="sms",
                            mobile="۰۹۱۵ ۱۱۱ ۲۲۳۳")  # fmt: skip
        assert r.status == 200 and "عامل دوم بازنشانی شد" in await r.text()
        z = await _staff(rt, "zahra.k")
        assert (z.role, z.second_factor, z.mobile) == ("broadcaster", "sms", "09151112233")
        r = await post_form(client, f"/staff/accounts/{z.id}/deactivate", page)
        assert r.status == 200 and "حساب غیرفعال شد" in await r.text()
        assert await _signin_status(rt, "zahra.k", "second password") == 401  # refused
        listing = await (await client.get("/staff/accounts")).text()
        assert 'class="inactive"' in listing
        assert (await client.get("/staff/accounts/999")).status == 404
        r = await post_form(client, f"/staff/accounts/{z.id}/fly", page)
        assert r.status == 404
    actions = [a.action for a in await audits(rt) if a.target == "staff:77001"]
    assert actions == ["staff.add", "staff.login", "staff.role", "staff.password_reset",
                       "staff.factor_reset", "staff.remove"]  # fmt: skip
    assert {a.actor for a in await audits(rt, "staff.role")} == {"web:admin"}


async def test_the_last_admin_cannot_be_locked_out(rt: Runtime) -> None:
    await seed_console(rt)
    me = await _staff(rt, "admin")
    async with console_client(rt) as client:
        await sign_in(client, rt, "admin", {})
        page = await (await client.get(f"/staff/accounts/{me.id}")).text()
        for action, data in (("role", {"role": "reviewer"}), ("deactivate", {})):
            r = await post_form(client, f"/staff/accounts/{me.id}/{action}", page, **data)
            assert r.status == 400 and "تنها مدیر فعال" in await r.text(), action
        page = await (await client.get("/staff/accounts")).text()
        admin2 = NEW | {"role": "admin", "username": "second", "password": PASSWORD}
        r = await post_form(client, "/staff/accounts", page, **admin2)
        assert r.status == 200
        second = await _staff(rt, "second")
        page = await (await client.get(f"/staff/accounts/{me.id}")).text()
        r = await post_form(client, f"/staff/accounts/{me.id}/role", page, role="reviewer")
        assert (r.status, r.headers["Location"]) == (303, "/staff/signin")  # own sessions ended
    assert (await _staff(rt, "admin")).role == "reviewer"
    async with console_client(rt) as client:  # the new admin may not remove herself now
        await sign_in(client, rt, "second", {})
        page = await (await client.get(f"/staff/accounts/{second.id}")).text()
        r = await post_form(client, f"/staff/accounts/{second.id}/deactivate", page)
        assert r.status == 400 and "تنها مدیر فعال" in await r.text()
    refused = await audits(rt, "staff.last_admin_refused")
    assert [a.after for a in refused] == [{"tried": "role"}, {"tried": "deactivate"},
                                          {"tried": "deactivate"}]  # fmt: skip


async def test_own_password_and_other_roles_refused(rt: Runtime) -> None:
    await seed_console(rt)
    async with console_client(rt) as client, console_client(rt) as elsewhere:
        await sign_in(client, rt, "broadcaster", {})
        page = await (await elsewhere.get("/staff/signin")).text()  # half signed in elsewhere
        r = await post_form(elsewhere, "/staff/signin", page, username="broadcaster",
                            password=PASSWORD)  # fmt: skip
        assert r.status == 303
        assert (await client.get("/staff/accounts")).status == 403
        page = await (await client.get("/staff/me")).text()
        assert 'href="/staff/accounts"' not in page and "حساب من" in page
        bad = {"old": "wrong password", "new": "a new password", "again": "a new password"}
        r = await post_form(client, "/staff/me/password", page, **bad)
        assert r.status == 400 and "گذرواژه کنونی درست نیست" in await r.text()
        r = await post_form(client, "/staff/me/password", page,
                            **(bad | {"old": PASSWORD, "again": "other"}))  # fmt: skip
        assert r.status == 400 and "یکی نیستند" in await r.text()
        r = await post_form(client, "/staff/me/password", page, **(bad | {"old": PASSWORD}))
        assert r.status == 200 and "گذرواژه شما تغییر کرد" in await r.text()
        assert (await client.get("/staff/me", allow_redirects=False)).status == 200  # still in
        r = await elsewhere.get("/staff/factor", allow_redirects=False)
        assert (r.status, r.headers["Location"]) == (303, "/staff/signin")  # that one ended
    assert await _signin_status(rt, "broadcaster", "a new password") == 303
    assert [a.actor for a in await audits(rt, "staff.password_own")] == ["web:broadcaster"]
    denied = [a for a in await audits(rt, "denied") if a.target == "staff"]
    assert len(denied) == 1 and re.match(r"web:broadcaster", denied[0].actor)
