"""The console's plumbing: who is signed in, the role each route needs, CSRF, headers."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.runtime import Runtime
from handlers.staff_auth import Forbidden, allowed, authorize
from handlers.staff_signin import actor_of, current
from storage.models import Staff, StaffSession

RT: web.AppKey[Runtime] = web.AppKey("console_runtime", Runtime)
COOKIE = "amayesh_staff"
PRE_COOKIE = "amayesh_signin"  # the sign-in form's CSRF (double submit: no session yet)
PREFIX = "/staff"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; "  # the live counts and a broadcast's progress (console.js fetch)
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Who:
    row: StaffSession
    staff: Staff

    @property
    def actor(self) -> str:
        return actor_of(self.staff)

    @property
    def role(self) -> str:
        return self.staff.role

    def may(self, right: str) -> bool:
        return allowed(self.staff.role, right)


def needs(right: str | None) -> Callable[[Handler], Handler]:
    """Mark a handler: None = any signed-in staff; a right = only roles that hold it."""

    def mark(handler: Handler) -> Handler:
        # The mark rides on the function (read back by getattr in the guard below): a
        # Callable type has no attributes to declare, and the route table keeps the function.
        handler.console_right = right  # type: ignore[attr-defined]
        return handler

    return mark


def public(handler: Handler) -> Handler:
    handler.console_public = True  # type: ignore[attr-defined]  # as in needs()
    return handler


WHO: web.RequestKey[Who] = web.RequestKey("console_who", Who)
PRE_CSRF: web.RequestKey[str] = web.RequestKey("console_pre_csrf", str)
FORM: web.RequestKey[dict[str, str]] = web.RequestKey("console_form", dict)


def rt_of(request: web.Request) -> Runtime:
    return request.app[RT]


def who(request: web.Request) -> Who:
    return request[WHO]


def address(request: web.Request) -> str:
    return request.remote or "-"


def set_cookie(resp: web.StreamResponse, name: str, value: str, max_age: int | None = None) -> None:
    resp.set_cookie(name, value, path=f"{PREFIX}/", secure=True, httponly=True,
                    samesite="Strict", max_age=max_age)  # fmt: skip


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


def page(request: web.Request, template: str, http_status: int = 200, **ctx: Any) -> web.Response:
    w = request.get(WHO)
    ctx |= {"who": w, "csrf": w.row.csrf if w else request.get(PRE_CSRF, "")}
    return aiohttp_jinja2.render_template(template, request, ctx, status=http_status)


def _handler_of(request: web.Request) -> Any:
    h = request.match_info.handler
    return getattr(h, "__wrapped__", h)


@web.middleware
async def headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        resp = await handler(request)
    except web.HTTPException as exc:
        resp = exc
    resp.headers.setdefault("Content-Security-Policy", CSP)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers.setdefault("Cache-Control", "no-store")
    if isinstance(resp, web.HTTPException) and resp.status >= 300:
        raise resp
    return resp


@web.middleware
async def signed_in(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every route but the public ones: a live, fully signed-in session with the right role."""
    target = _handler_of(request)
    if getattr(target, "console_public", False) or request.match_info.route.name == "static":
        return await handler(request)
    rt = rt_of(request)
    async with rt.db.session() as s:
        found = await current(rt, s, request.cookies.get(COOKIE))
    if found is None or found[0].stage != "ok":
        if request.method != "GET":
            raise web.HTTPForbidden(text="sign in first")
        where = "factor" if found is not None else "signin"
        raise web.HTTPSeeOther(f"{PREFIX}/{where}")
    request[WHO] = w = Who(*found)
    if request.method == "POST":
        form = await request.post()
        if not same(str(form.get("csrf", "")), w.row.csrf):
            raise web.HTTPForbidden(text="the form has expired; reload the page")
    right = getattr(target, "console_right", "missing")
    if right == "missing":
        raise web.HTTPForbidden()  # a route nobody marked is nobody's
    try:
        if right is not None:
            await authorize(rt, w.actor, right)  # audited on refusal, read from the database
        return await handler(request)
    except Forbidden:
        return page(request, "forbidden.html", http_status=403)
