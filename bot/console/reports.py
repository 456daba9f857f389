"""The daily report for any day (and its campaign so far) in the browser: the figures, the
chart (handlers.report_files, as the staff chat's /report sends it) and CSV/XLSX downloads."""

from __future__ import annotations

import asyncio
from datetime import date

from aiohttp import web

from bot.console.web import needs, page, rt_of, who
from handlers import report, report_files
from handlers.jalali import format_short, parse_jalali_date
from handlers.runtime import Runtime

routes = web.RouteTableDef()


def _day(rt: Runtime, request: web.Request) -> tuple[date, str, bool]:
    """The ?day= Jalali date (any digits), else today in Tehran; (day, as typed, readable)."""
    typed = request.query.get("day", "").strip()
    today = rt.clock().astimezone(rt.settings.tz).date()
    if not typed:
        return today, "", True
    try:
        return parse_jalali_date(typed), typed, True
    except ValueError:
        return today, typed, False


async def _report(request: web.Request) -> tuple[report.DailyReport, str, bool]:
    rt = rt_of(request)
    day, typed, ok = _day(rt, request)
    async with rt.db.session() as s:
        rep = await report.daily_report(rt, s, who(request).actor, day)
    return rep, typed, ok


@routes.get("/reports")
@needs("report")
async def daily(request: web.Request) -> web.Response:
    rt = rt_of(request)
    rep, typed, ok = await _report(request)
    rows = [(report.label(rt, "fa", name), day, so_far) for name, day, so_far in rep.rows()]
    return page(request, "reports.html", http_status=200 if ok else 400, rep=rep, rows=rows,
                typed=typed, bad=not ok, day=format_short(rep.day))  # fmt: skip


@routes.get("/reports/chart.png")
@needs("report")
async def chart(request: web.Request) -> web.Response:
    rep, _, ok = await _report(request)
    if not ok:
        raise web.HTTPBadRequest(text="bad day")
    png = await report_files.chart_png(rt_of(request), rep, "fa")
    return web.Response(body=png, content_type="image/png")


@routes.get("/reports/export.{fmt}")
@needs("report")
async def export(request: web.Request) -> web.Response:
    rt, fmt = rt_of(request), request.match_info["fmt"]
    if fmt not in ("csv", "xlsx"):
        raise web.HTTPNotFound()
    rep, _, ok = await _report(request)
    if not ok:
        raise web.HTTPBadRequest(text="bad day")
    name = f"report-{format_short(rep.day).replace('/', '')}.{fmt}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        body = ("\ufeff" + report.to_csv(rep)).encode()
        return web.Response(body=body, content_type="text/csv", charset="utf-8",
                            headers=disposition)  # fmt: skip
    data = await asyncio.to_thread(report_files.to_xlsx, rt, rep, "fa")
    return web.Response(body=data, headers=disposition, content_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))  # fmt: skip
