"""Sign-in pages: username and password, then the TOTP or SMS code (TOTP enrolled by QR)."""

from __future__ import annotations

import secrets

import segno
from aiohttp import web

from bot.console.web import (
    COOKIE,
    PRE_COOKIE,
    PRE_CSRF,
    PREFIX,
    address,
    needs,
    page,
    public,
    rt_of,
    same,
    set_cookie,
    who,
)  # fmt: skip
from handlers import staff_signin as auth
from storage.models import Staff, StaffSession

routes = web.RouteTableDef()
STATUS = {"locked": 429, "empty": 400, "wrong": 401, "bad_code": 401}


def _signin_form(request: web.Request, error: str | None = None) -> web.Response:
    token = secrets.token_urlsafe(24)
    request[PRE_CSRF] = token
    resp = page(request, "signin.html", http_status=STATUS.get(error or "", 200), error=error)
    set_cookie(resp, PRE_COOKIE, token)
    return resp


@routes.get("/signin")
@public
async def signin_page(request: web.Request) -> web.Response:
    return _signin_form(request)


@routes.post("/signin")
@public
async def signin(request: web.Request) -> web.Response:
    form = await request.post()
    if not same(str(form.get("csrf", "")), request.cookies.get(PRE_COOKIE)):
        return _signin_form(request, "expired")
    rt = rt_of(request)
    async with rt.db.session() as s:
        step = await auth.sign_in(rt, s, str(form.get("username", "")),
                                  str(form.get("password", "")), address(request))  # fmt: skip
    if step.error:
        return _signin_form(request, step.error)
    resp = web.HTTPSeeOther(f"{PREFIX}/factor")
    set_cookie(resp, COOKIE, step.token or "")
    resp.del_cookie(PRE_COOKIE, path=f"{PREFIX}/")
    raise resp


async def _pending(request: web.Request) -> tuple[StaffSession, Staff]:
    rt = rt_of(request)
    async with rt.db.session() as s:
        found = await auth.current(rt, s, request.cookies.get(COOKIE))
    if found is None:
        raise web.HTTPSeeOther(f"{PREFIX}/signin")
    if found[0].stage == "ok":
        raise web.HTTPSeeOther(f"{PREFIX}/")
    return found


def _factor_page(
    request: web.Request, row: StaffSession, staff: Staff, error: str | None = None, **ctx: object
) -> web.Response:
    qr = secret = None
    if row.stage == "enrol" and row.pending_secret:
        qr = segno.make(auth.enrol_uri(staff, row.pending_secret), error="m").svg_inline(
            scale=5, title="TOTP"
        )
        secret = row.pending_secret
    request[PRE_CSRF] = row.csrf
    return page(request, "factor.html", http_status=STATUS.get(error or "", 200), error=error,
                stage=row.stage, factor=staff.second_factor, qr=qr, secret=secret,
                **ctx)  # fmt: skip


@routes.get("/factor")
@public
async def factor_page(request: web.Request) -> web.Response:
    return _factor_page(request, *await _pending(request))


@routes.post("/factor")
@public
async def factor(request: web.Request) -> web.Response:
    row, staff = await _pending(request)
    form = await request.post()
    if not same(str(form.get("csrf", "")), row.csrf):
        return _factor_page(request, row, staff, "expired")
    rt = rt_of(request)
    async with rt.db.session() as s:
        row = await s.merge(row)
        staff = await s.merge(staff)
        step = await auth.second_factor(rt, s, row, staff, str(form.get("code", "")),
                                        address(request))  # fmt: skip
    if step.error:
        return _factor_page(request, row, staff, step.error)
    resp = web.HTTPSeeOther(f"{PREFIX}/")
    set_cookie(resp, COOKIE, step.token or "")
    raise resp


@routes.post("/factor/resend")
@public
async def resend(request: web.Request) -> web.Response:
    row, staff = await _pending(request)
    form = await request.post()
    sent = False
    if same(str(form.get("csrf", "")), row.csrf) and staff.second_factor == "sms":
        rt = rt_of(request)
        async with rt.db.session() as s:
            sent = await auth.send_code(rt, s, await s.merge(row), staff)
    return _factor_page(request, row, staff, None, resent=sent)


@routes.post("/signout")
@needs(None)
async def signout(request: web.Request) -> web.Response:
    w = who(request)
    rt = rt_of(request)
    async with rt.db.session() as s:
        await auth.sign_out(rt, s, w.row, w.staff)
    resp = web.HTTPSeeOther(f"{PREFIX}/signin")
    resp.del_cookie(COOKIE, path=f"{PREFIX}/")
    raise resp
