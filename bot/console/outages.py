"""Planned outages in the browser: schedule with the 72-hour rule, and the list.

Through handlers.outages.schedule_outage, as `amayesh outage schedule`: the rule, the two
announcements and the audit record are there. Scheduling needs the "outages" right (admins);
forcing a short notice is admin-only here as well, and the handler audits it as forced.
"""

from __future__ import annotations

from aiohttp import web

from bot.console.web import FORM, needs, page, rt_of, who
from handlers import outages
from handlers.casework import Outcome
from handlers.jalali import fa_digits, parse_jalali_datetime
from storage import outages as store

routes = web.RouteTableDef()


async def _page(
    request: web.Request, outcome: Outcome | None = None,
    errors: dict[str, str] | None = None, status: int = 200,
) -> web.Response:  # fmt: skip
    rt = rt_of(request)
    async with rt.db.session() as s:
        rows = await store.recent(s)
    return page(request, "outages.html", http_status=status, rows=rows, now=rt.clock(),
                outcome=outcome, errors=errors or {}, f=request.get(FORM, {}))  # fmt: skip


@routes.get("/outages")
@needs("outages")
async def listing(request: web.Request) -> web.Response:
    return await _page(request)


@routes.post("/outages")
@needs("outages")
async def schedule(request: web.Request) -> web.Response:
    rt, w = rt_of(request), who(request)
    form = {k: str(v) for k, v in (await request.post()).items() if k != "csrf"}
    request[FORM] = form
    errors: dict[str, str] = {}
    when = {}
    for field in ("starts", "ends"):
        try:
            when[field] = parse_jalali_datetime(form.get(field, ""), rt.settings.tz)
        except ValueError:
            errors[field] = "console.form.bad_datetime"
    force = form.get("force") == "yes"
    if force and w.role != "admin":
        errors["force"] = "console.outage.force_admin"
    if errors:
        return await _page(request, None, errors, 400)
    async with rt.db.session() as s:
        out = await outages.schedule_outage(rt, s, w.actor, when["starts"], when["ends"],
                                            form.get("reason", ""), force=force)  # fmt: skip
    if out.ok:
        request[FORM] = {}
    shown = Outcome(out.ok, out.key, {k: fa_digits(v) for k, v in out.params.items()})
    return await _page(request, shown, None, 200 if out.ok else 400)
