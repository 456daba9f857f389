"""Staff accounts in the browser: admins list, add, change role, reset password or second
factor and deactivate (handlers.staff_accounts, the rules of `amayesh staff add|password`);
everyone's own page to change their password."""

from __future__ import annotations

from aiohttp import web

from bot.console.pages import _int
from bot.console.web import needs, page, rt_of, who
from handlers import staff_accounts as acc
from handlers.jalali import fa_digits
from handlers.staff_signin import FACTORS, MIN_PASSWORD
from storage import admin
from storage import console_auth as auth
from storage import staff_accounts as store

routes = web.RouteTableDef()
ACTIONS = ("role", "password", "factor", "deactivate")


def _why(request: web.Request, reason: str) -> str:
    return rt_of(request).t("fa", f"console.accounts.refused.{reason}",
                            n=fa_digits(str(MIN_PASSWORD)))  # fmt: skip


async def _list(request: web.Request, error: str = "", done: str = "", status: int = 200,
                f: dict[str, str] | None = None) -> web.Response:  # fmt: skip
    async with rt_of(request).db.session() as s:
        rows = await store.all_staff(s)
    return page(request, "accounts.html", http_status=status, rows=rows, roles=admin.ROLES,
                factors=FACTORS, error=error, done=done, f=f or {})  # fmt: skip


@routes.get("/accounts")
@needs("staff")
async def listing(request: web.Request) -> web.Response:
    return await _list(request)


@routes.post("/accounts")
@needs("staff")
async def add(request: web.Request) -> web.Response:
    rt = rt_of(request)
    form = {k: str(v) for k, v in (await request.post()).items() if k != "csrf"}
    new = acc.NewAccount(**{k: form.get(k, "") for k in
                            ("telegram_id", "role", "name", "username", "password", "factor",
                             "mobile")})  # fmt: skip
    try:
        async with rt.db.session() as s:
            staff = await acc.add_account(s, who(request).actor, new)
            name = staff.username or ""
    except acc.AccountRefused as exc:
        form.pop("password", None)  # never sent back into the page
        return await _list(request, error=_why(request, exc.reason), status=400, f=form)
    return await _list(request, done=rt.t("fa", "console.accounts.added", username=name))


async def _one(request: web.Request, sid: int, error: str = "", done: str = "",
               status: int = 200) -> web.Response:  # fmt: skip
    async with rt_of(request).db.session() as s:
        staff = await auth.staff_by_id(s, sid)
    if staff is None:
        raise web.HTTPNotFound()
    return page(request, "account.html", http_status=status, s=staff, roles=admin.ROLES,
                factors=FACTORS, error=error, done=done)  # fmt: skip


@routes.get("/accounts/{sid}")
@needs("staff")
async def one(request: web.Request) -> web.Response:
    return await _one(request, _int(request.match_info["sid"]))


@routes.post("/accounts/{sid}/{action}")
@needs("staff")
async def act(request: web.Request) -> web.Response:
    rt, sid, action = rt_of(request), _int(request.match_info["sid"]), request.match_info["action"]
    if action not in ACTIONS:
        raise web.HTTPNotFound()
    form, actor, now = await request.post(), who(request).actor, rt.clock()
    async with rt.db.session() as s:
        if action == "role":
            refused = await acc.change_role(s, actor, sid, str(form.get("role", "")), now)
        elif action == "password":
            refused = await acc.reset_password(s, actor, sid, str(form.get("password", "")), now)
        elif action == "factor":
            refused = await acc.reset_factor(s, actor, sid, str(form.get("factor", "")),
                                             str(form.get("mobile", "")), now)  # fmt: skip
        else:
            refused = await acc.deactivate(s, actor, sid, now)
    if refused == "no_user":
        raise web.HTTPNotFound()
    if refused:
        return await _one(request, sid, error=_why(request, refused), status=400)
    if action != "password" and sid == who(request).staff.id:
        raise web.HTTPSeeOther("/staff/signin")  # their own sessions ended with the change
    return await _one(request, sid, done=rt.t("fa", f"console.accounts.done_{action}"))


@routes.get("/me")
@needs(None)
async def me(request: web.Request) -> web.Response:
    return page(request, "me.html", n=MIN_PASSWORD, error="", done="")


@routes.post("/me/password")
@needs(None)
async def my_password(request: web.Request) -> web.Response:
    rt, w = rt_of(request), who(request)
    form = await request.post()
    new = str(form.get("new", ""))
    if new != str(form.get("again", "")):
        refused: str | None = "differ"
    else:
        async with rt.db.session() as s:
            old = str(form.get("old", ""))
            refused = await acc.change_own_password(s, w.staff.id, w.row.id, old, new,
                                                    rt.clock())  # fmt: skip
    if refused:
        return page(request, "me.html", http_status=400, n=MIN_PASSWORD, done="",
                    error=_why(request, refused))  # fmt: skip
    return page(request, "me.html", n=MIN_PASSWORD, error="",
                done=rt.t("fa", "console.accounts.done_own"))  # fmt: skip
