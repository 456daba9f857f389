"""The audit log in the browser: filter by staff member, action, national (card) and dates;
paging by id; the current filter exported as CSV. Admins only (the "audit" right)."""

from __future__ import annotations

import csv
import io
import json

from aiohttp import web

from bot.console.pages import _int
from bot.console.web import needs, page, rt_of
from handlers.jalali import format_datetime, parse_jalali_date
from handlers.report import day_bounds
from handlers.runtime import Runtime
from storage import console_audit
from storage.console_audit import AuditFilter
from storage.text import normalize_id, normalize_text

routes = web.RouteTableDef()
PER = 50


def _filter(rt: Runtime, q: web.Request) -> tuple[AuditFilter, dict[str, str], dict[str, str]]:
    """The query string's filter, the values as typed, and the fields that could not be read."""
    typed = {k: normalize_text(q.query.get(k, "")) for k in ("actor", "action", "card",
                                                                "start", "end")}  # fmt: skip
    f, errors = AuditFilter(actor=typed["actor"], action=typed["action"],
                            card=normalize_id(typed["card"])), {}  # fmt: skip
    for field in ("start", "end"):
        if not typed[field]:
            continue
        try:
            lo, hi = day_bounds(parse_jalali_date(typed[field]), rt)
        except ValueError:
            errors[field] = "console.audit.bad_date"
            continue
        if field == "start":
            f.start = lo
        else:
            f.end = hi
    return f, typed, errors


@routes.get("/audit")
@needs("audit")
async def listing(request: web.Request) -> web.Response:
    rt = rt_of(request)
    f, typed, errors = _filter(rt, request)
    before = request.query.get("before")
    async with rt.db.session() as s:
        rows = [] if errors else await console_audit.audit_page(
            s, f, _int(before) if before else None, PER)  # fmt: skip
        actions = await console_audit.actions(s)
    query = "&".join(f"{k}={v}" for k, v in typed.items() if v)
    return page(request, "audit.html", rows=rows, typed=typed, errors=errors, actions=actions,
                more=len(rows) == PER, query=query, http_status=400 if errors else 200)  # fmt: skip


@routes.get("/audit/export.{fmt}")
@needs("audit")
async def export(request: web.Request) -> web.Response:
    rt = rt_of(request)
    if request.match_info["fmt"] != "csv":
        raise web.HTTPNotFound()
    f, _, errors = _filter(rt, request)
    if errors:
        raise web.HTTPBadRequest(text="bad date")
    async with rt.db.session() as s:
        rows = await console_audit.audit_all(s, f)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["id", "at", "actor", "action", "target", "before", "after"])
    for r in rows:
        w.writerow([r.id, format_datetime(r.at, rt.settings.tz, "en"), r.actor, r.action, r.target,
                    json.dumps(r.before, ensure_ascii=False) if r.before else "",
                    json.dumps(r.after, ensure_ascii=False) if r.after else ""])  # fmt: skip
    name = f'attachment; filename="audit-{rt.clock().astimezone(rt.settings.tz):%Y%m%d}.csv"'
    # The BOM lets Excel read the Persian as UTF-8.
    return web.Response(body=("\ufeff" + buf.getvalue()).encode(), content_type="text/csv",
                        charset="utf-8", headers={"Content-Disposition": name})  # fmt: skip
