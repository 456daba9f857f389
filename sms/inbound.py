"""HTTP endpoints Kavenegar calls: forwarded inbound SMS and delivery-report callbacks.

Both live under a secret path segment (AMAYESH_INBOUND_SECRET) because Kavenegar signs nothing;
with no secret configured the routes answer 404 as if they did not exist.
"""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Mapping

from aiohttp import web

from handlers.runtime import Runtime
from sms.keywords import route
from sms.poller import apply_reports

log = logging.getLogger(__name__)

# Kavenegar's documentation of the forwarded fields is thin: the names live here and only here.
INBOUND_FIELDS: Mapping[str, str] = {
    "message_id": "messageid",
    "sender": "from",
    "line": "to",
    "text": "message",
}
STATUS_FIELDS: Mapping[str, str] = {"message_id": "messageid", "status": "status"}
# A blank SMS is still a message (it gets the help text); these must not be empty.
NON_EMPTY = frozenset({"message_id", "sender", "status"})
MAX_ID = 64


def _authorised(rt: Runtime, request: web.Request) -> None:
    """404 when inbound SMS is off, 403 for a wrong secret (compared in constant time)."""
    secret = rt.settings.inbound_secret
    if secret is None:
        raise web.HTTPNotFound()
    given = request.match_info.get("secret", "").encode()
    if not hmac.compare_digest(given, secret.get_secret_value().encode()):
        raise web.HTTPForbidden(text="forbidden")


async def _fields(request: web.Request, names: Mapping[str, str]) -> dict[str, str]:
    """Fields from the query string, the form body or a JSON body; 400 names a missing one."""
    raw: dict[str, object] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        # A hostile body is the sender's fault, never a 500: JSON nested thousands deep
        # (RecursionError) and bytes that are not UTF-8 (UnicodeDecodeError, a ValueError).
        try:
            if request.content_type == "application/json":
                body = await request.json()
                raw |= body if isinstance(body, dict) else {}
            else:
                raw |= {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        except (ValueError, RecursionError):
            raise web.HTTPBadRequest(text="body is not readable") from None
    out: dict[str, str] = {}
    for key, name in names.items():
        value = raw.get(name)
        if value is None or (key in NON_EMPTY and not str(value).strip()):
            raise web.HTTPBadRequest(text=f"missing field: {name}")
        given = str(value).replace("\x00", "")  # PostgreSQL text cannot hold U+0000
        out[key] = given.strip() if key != "text" else given
    if len(out["message_id"]) > MAX_ID:
        raise web.HTTPBadRequest(text=f"field too long: {names['message_id']}")
    return out


async def inbound(rt: Runtime, request: web.Request) -> web.Response:
    """One forwarded SMS: answered once, however often Kavenegar repeats it."""
    _authorised(rt, request)
    f = await _fields(request, INBOUND_FIELDS)
    async with rt.observe("sms"):
        await route(rt, f["sender"], f["text"], f["message_id"], line=f["line"])
    return web.Response(text="ok")


async def status_callback(rt: Runtime, request: web.Request) -> web.Response:
    """A delivery report pushed by Kavenegar instead of polled."""
    _authorised(rt, request)
    f = await _fields(request, STATUS_FIELDS)
    try:
        code = int(f["status"])
    except ValueError:
        raise web.HTTPBadRequest(text="field not a number: status") from None
    await apply_reports(rt, [{"messageid": f["message_id"], "status": code}])
    return web.Response(text="ok")


def install_sms_routes(app: web.Application, rt: Runtime) -> None:
    """RouteInstaller for bot.server.init_app: the handlers are bound to `rt` here, so this
    adapter needs nothing of the server's (the layers contract keeps sms/ below bot/)."""
    for method in ("GET", "POST"):
        app.router.add_route(method, "/sms/inbound/{secret}", functools.partial(inbound, rt))
        app.router.add_route(method, "/sms/status/{secret}", functools.partial(status_callback, rt))
