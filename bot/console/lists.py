"""The cases list: filter by status, sort, page through all of them, export CSV or XLSX."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterable
from typing import Any

from aiohttp import web
from openpyxl import Workbook

from bot.console.pages import _int
from bot.console.web import needs, page, rt_of, who
from handlers.jalali import format_short
from handlers.runtime import Runtime
from storage import admin, console_lists
from storage.statuses import Status

routes = web.RouteTableDef()
PER = 50


def _filter(request: web.Request) -> tuple[str | None, str]:
    status = request.query.get("status") or None
    if status not in {s.value for s in Status}:
        status = None
    sort = request.query.get("sort", "updated")
    return status, sort if sort in console_lists.SORTS else "updated"


@routes.get("/lists")
@needs("statuses")
async def cases(request: web.Request) -> web.Response:
    rt = rt_of(request)
    status, sort = _filter(request)
    page_no = max(0, _int(request.query.get("page", "0") or "0"))
    async with rt.db.session() as s:
        rows, more = await console_lists.cases_page(s, status, sort, page_no, PER)
    return page(request, "lists.html", rows=rows, more=more, status=status, sort=sort,
                page_no=page_no, statuses=[s.value for s in Status],
                sorts=list(console_lists.SORTS))  # fmt: skip


def _line(rt: Runtime, app: Any, national: Any, code: str) -> list[str]:
    local = app.updated_at.astimezone(rt.settings.tz)
    return [national.card_number, national.full_name, national.province, code, app.status,
            f"{format_short(local.date())} {local:%H:%M}"]  # fmt: skip


def _xlsx(lines: Iterable[list[str]]) -> bytes:
    wb = Workbook(write_only=True)  # rows stream into the file instead of a cell grid in memory
    ws = wb.create_sheet("cases")
    ws.sheet_view.rightToLeft = True
    ws.append(list(console_lists.CASE_COLUMNS))
    for line in lines:
        ws.append(line)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@routes.get("/lists/export.{fmt}")
@needs("statuses")
async def export(request: web.Request) -> web.StreamResponse:
    """The current filter and sort, every row; the export itself is audited (it holds PII)."""
    rt, actor = rt_of(request), who(request).actor
    fmt = request.match_info["fmt"]
    if fmt not in ("csv", "xlsx"):
        raise web.HTTPNotFound()
    status, sort = _filter(request)
    async with rt.db.session() as s:
        lines = [_line(rt, *row) async for row in console_lists.cases_export(s, status, sort)]
        await admin.audit(s, actor, "console.export", f"cases:{fmt}",
                          after={"status": status, "sort": sort, "rows": len(lines)})  # fmt: skip
    name = f"cases-{status or 'all'}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "xlsx":
        body = await asyncio.to_thread(_xlsx, lines)
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return web.Response(body=body, content_type=mime, headers=headers)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(console_lists.CASE_COLUMNS)
    writer.writerows(lines)
    # A BOM so that Excel opens the Persian text as UTF-8.
    return web.Response(body=("\ufeff" + buf.getvalue()).encode(), headers=headers,
                        content_type="text/csv", charset="utf-8")  # fmt: skip
