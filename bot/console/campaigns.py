"""Campaigns in the browser (admins): the list, create one (dates in Jalali, fee items,
offices, documents, card rounds, provinces), and «open cases for a campaign».

Creating goes through the CLI's own field rules (bot.cli_admin._campaign_fields, fed the form
as the command-line arguments it reads) and storage.admin.add_campaign, so the console and
`amayesh campaign create` accept and refuse the same things. Opening cases is
handlers.cases.open_campaign_cases: first its dry run (how many), then the real one.
"""

from __future__ import annotations

import argparse

from aiohttp import web

from bot.cli_admin import _campaign_fields
from bot.console.web import FORM, needs, page, rt_of, who
from handlers import cases
from sms.text import normalize_text
from storage import admin

routes = web.RouteTableDef()
KINDS = ("renewal", "replacement", "issuance")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _args(form: dict[str, str]) -> argparse.Namespace:
    """The form as `amayesh campaign create`'s arguments: one fee / office / document a line."""
    kind = form.get("kind", "renewal")
    days = normalize_text(form.get("max_days_expired", ""))
    return argparse.Namespace(
        code=normalize_text(form.get("code", "")), title=normalize_text(form.get("title", "")),
        kind=kind if kind in KINDS else "renewal", rounds=form.get("rounds", ""),
        provinces=form.get("provinces", ""), start=form.get("start", ""),
        end=form.get("end", ""), fee=_lines(form.get("fees", "")),
        account=form.get("account", ""), document=_lines(form.get("documents", "")),
        office=_lines(form.get("offices", "")),
        max_days_expired=int(days) if days.isdigit() else None,
        late_route=form.get("late_route", ""),
    )  # fmt: skip


async def _list(request: web.Request, error: str = "", created: str = "",
                status: int = 200) -> web.Response:  # fmt: skip
    async with rt_of(request).db.session() as s:
        rows = await admin.list_campaigns(s)
    return page(request, "campaigns.html", http_status=status, rows=rows, error=error,
                created=created, kinds=KINDS, f=request.get(FORM, {}))  # fmt: skip


@routes.get("/campaigns")
@needs("campaigns")
async def listing(request: web.Request) -> web.Response:
    return await _list(request)


@routes.post("/campaigns")
@needs("campaigns")
async def create(request: web.Request) -> web.Response:
    rt = rt_of(request)
    form = {k: str(v) for k, v in (await request.post()).items() if k != "csrf"}
    request[FORM] = form
    try:
        fields = _campaign_fields(_args(form))
        if not fields["code"] or not fields["title"] or not fields["provinces"]:
            raise ValueError(rt.t("fa", "console.campaign.required"))
        async with rt.db.session() as s:
            c = await admin.add_campaign(s, who(request).actor, **fields)
    except ValueError as exc:
        return await _list(request, rt.t("fa", "staff.cli.campaign_not_created", error=exc),
                           status=400)  # fmt: skip
    request[FORM] = {}
    return await _list(request, created=rt.t("fa", "staff.cli.campaign_created", id=c.id,
                                             code=c.code))  # fmt: skip


@routes.get("/campaigns/{ident}")
@needs("campaigns")
async def one(request: web.Request) -> web.Response:
    """The campaign and how many eligible nationals have no case yet (the dry run)."""
    rt = rt_of(request)
    async with rt.db.session() as s:
        bulk = await cases.open_campaign_cases(
            rt, s, who(request).actor, request.match_info["ident"], dry_run=True
        )
    if bulk.campaign is None:
        raise web.HTTPNotFound()
    return page(request, "campaign.html", c=bulk.campaign, openable=bulk.count, opened=None)


@routes.post("/campaigns/{ident}/open-cases")
@needs("campaigns")
async def open_cases(request: web.Request) -> web.Response:
    rt = rt_of(request)
    async with rt.db.session() as s:
        bulk = await cases.open_campaign_cases(rt, s, who(request).actor,
                                               request.match_info["ident"])  # fmt: skip
    if bulk.campaign is None:
        raise web.HTTPNotFound()
    return page(request, "campaign.html", c=bulk.campaign, openable=0, opened=bulk.count)
