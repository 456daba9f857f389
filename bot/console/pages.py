"""The dashboard, the nationals search and one national's page."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from bot.console.web import FORM, needs, page, rt_of, who
from handlers import report
from handlers.casework import EXEMPTION_BODIES
from handlers.runtime import Runtime
from storage import console_lists, console_search
from storage.statuses import TRANSITIONS, Status
from storage.text import InvalidMobile, normalize_id, normalize_mobile, normalize_text

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
CREDIT_EVERY, REPORT_EVERY = timedelta(minutes=5), timedelta(minutes=1)


async def sms_credit(rt: Runtime) -> int | None:
    """The Kavenegar account's credit in rials, read at most every five minutes (None: off)."""
    if rt.sms is None:
        return None
    sms = rt.sms

    async def load(now: datetime) -> tuple[int | None, datetime]:
        try:
            async with asyncio.timeout(3):
                info = await sms.account_info()
            return int(info.get("remaincredit", 0)), now + CREDIT_EVERY
        except Exception as exc:  # the dashboard still shows; the failure is stated
            log.warning("sms credit unavailable: %s", type(exc).__name__)
            return None, now + timedelta(seconds=30)

    return await rt.remember("console:sms_credit", load)


@routes.get("/")
@needs("report")
async def dashboard(request: web.Request) -> web.Response:
    rt, w = rt_of(request), who(request)

    async def load(now: datetime) -> tuple[report.DailyReport, datetime]:
        async with rt.db.session() as s:
            return await report.daily_report(rt, s, w.actor), now + REPORT_EVERY

    # The day's figures are counts over the whole campaign (a second at a million rows):
    # one copy a minute per process serves every staff member's dashboard.
    rep = await rt.remember("console:daily_report", load)
    async with rt.db.session() as s:
        outbox = await console_lists.outbox_counts(s)
        slips = await console_lists.waiting_slips(s)
        open_, overdue = await console_lists.complaint_counts(s, rt.clock())
    rows = [(report.label(rt, "fa", name), day, so_far) for name, day, so_far in rep.rows()]
    channels = sorted({ch for ch, _ in outbox} | {"telegram", "sms"})
    return page(request, "dashboard.html", rep=rep, rows=rows, outbox=outbox, channels=channels,
                slips=slips, open=open_, overdue=overdue,
                credit=await sms_credit(rt), credit_known=rt.sms is not None)  # fmt: skip


async def search(rt: Runtime, query: str) -> list[Any]:
    """A card, household number or mobile (any digits) exactly, else a name's beginning."""
    text = normalize_text(query)
    if not text:
        return []
    ident = normalize_id(text)
    try:
        mobile: str | None = normalize_mobile(text)
    except InvalidMobile:
        mobile = None
    async with rt.db.session() as s:
        found = list(await console_search.by_identifier(s, ident, text.upper(), mobile))
        key = console_search.name_key(text)
        if not found and not ident.isdigit() and len(key) >= 2:
            found = list(await console_search.by_name(s, key))
    return found


@routes.get("/nationals")
@needs("statuses")
async def nationals_form(request: web.Request) -> web.Response:
    return page(request, "search.html", query="", results=None)


@routes.post("/nationals")
@needs("statuses")
async def nationals_search(request: web.Request) -> web.Response:
    # POST: the card number or name searched for stays out of URLs and access logs.
    query = str((await request.post()).get("q", ""))[:100]
    results = await search(rt_of(request), query)
    return page(request, "search.html", query=query, results=results,
                limit=console_search.LIMIT)  # fmt: skip


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise web.HTTPNotFound() from None


async def national_page(
    request: web.Request, national_id: int, outcome: Any = None, status: int = 200,
    errors: dict[str, str] | None = None,
) -> web.Response:  # fmt: skip
    rt = rt_of(request)
    async with rt.db.session() as s:
        file = await console_search.national_file(s, national_id)
    if file is None:
        raise web.HTTPNotFound()
    app = file.cases[0][0] if file.cases else None
    moves = sorted(TRANSITIONS[Status(app.status)]) if app else []
    return page(request, "national.html", http_status=status, f=file, app=app, moves=moves,
                bodies=EXEMPTION_BODIES, outcome=outcome, errors=errors or {},
                offices=(file.cases[0][1].offices if file.cases and file.cases[0][1] else []),
                form=request.get(FORM, {}))  # fmt: skip


@routes.get("/nationals/{nid}")
@needs("statuses")
async def national(request: web.Request) -> web.Response:
    return await national_page(request, _int(request.match_info["nid"]))
