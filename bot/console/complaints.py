"""The complaints inbox: overdue first with the SLA clock, filters, paging, answer, close."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web

from bot.console.pages import _int
from bot.console.slips import read_stored
from bot.console.web import needs, page, rt_of, who
from handlers import staff_complaints
from storage import console_lists
from storage.household import national_by_id

routes = web.RouteTableDef()
PER = 25
CANNED = ("received", "in_progress", "resolved", "visit_office")


@routes.get("/complaints")
@needs("complaints")
async def inbox(request: web.Request) -> web.Response:
    rt = rt_of(request)
    what = request.query.get("state", "open")
    if what not in console_lists.COMPLAINT_FILTERS:
        what = "open"
    page_no = max(0, _int(request.query.get("page", "0") or "0"))
    async with rt.db.session() as s:
        rows, more = await console_lists.complaints_page(s, what, rt.clock(), page_no, PER)
    return page(request, "complaints.html", rows=rows, more=more, what=what, page_no=page_no,
                now=rt.clock(), filters=console_lists.COMPLAINT_FILTERS)  # fmt: skip


async def _complaint_page(
    request: web.Request, cid: int, outcome: object = None, status: int = 200
) -> web.Response:
    rt = rt_of(request)
    async with rt.db.session() as s:
        c = await console_lists.complaint(s, cid)
        if c is None:
            raise web.HTTPNotFound()
        national = await national_by_id(s, c.national_id) if c.national_id else None
    lang = rt.catalog.normalise_lang(
        (national.language if national else None) or rt.settings.default_language
    )
    canned = [(k, rt.t(lang, f"console.canned.{k}")) for k in CANNED]
    return page(request, "complaint.html", http_status=status, c=c, national=national, lang=lang,
                canned=canned, now=rt.clock(), outcome=outcome)  # fmt: skip


@routes.get("/complaints/{cid}")
@needs("complaints")
async def complaint(request: web.Request) -> web.Response:
    return await _complaint_page(request, _int(request.match_info["cid"]))


@routes.post("/complaints/{cid}")
@needs("complaints")
async def act(request: web.Request) -> web.Response:
    """Answer (the complainant hears it once) or close, through the /answer and /close code."""
    rt, actor = rt_of(request), who(request).actor
    cid = _int(request.match_info["cid"])
    form = await request.post()
    async with rt.db.session() as s:
        if form.get("action") == "close":
            out = await staff_complaints.close(rt, s, actor, str(cid))
        else:
            out = await staff_complaints.answer(rt, s, actor, str(cid), str(form.get("answer", "")))
    return await _complaint_page(request, cid, out, 200 if out.ok else 400)


@routes.get("/complaints/{cid}/photo")
@needs("complaints")
async def photo(request: web.Request) -> web.Response:
    rt = rt_of(request)
    async with rt.db.session() as s:
        c = await console_lists.complaint(s, _int(request.match_info["cid"]))
    if c is None or not c.photo_path:
        raise web.HTTPNotFound()
    data = await asyncio.to_thread(read_stored, Path(rt.settings.files_dir), c.photo_path)
    return web.Response(body=data, content_type="image/jpeg")
