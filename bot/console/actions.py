"""Actions on one national's case, through the functions the CLI and the bot use."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console.pages import _int, national_page
from bot.console.web import FORM, needs, rt_of, who
from bot.runtime import Runtime
from handlers import cases, casework, imports
from handlers.casework import Outcome
from handlers.jalali import parse_jalali_datetime
from handlers.staff_auth import require
from sms.text import normalize_text
from storage import casework as case_store
from storage.console_lists import campaign_of
from storage.household import national_by_id
from storage.models import National

routes = web.RouteTableDef()


async def open_case(rt: Runtime, session: AsyncSession, actor: str, national: National) -> Outcome:
    """The national's page «open the case»: handlers.cases.open_case, as `/open CARD` and
    `amayesh case open CARD` (it checks the role, audits and notifies once)."""
    return await cases.open_case(rt, session, actor, national.card_number, door="console")


async def _act(
    request: web.Request, form: dict[str, Any]
) -> tuple[int, Outcome | None, dict[str, str]]:
    """Run the form's action for the national in the URL: (id, outcome, field errors)."""
    rt, actor = rt_of(request), who(request).actor
    nid = _int(request.match_info["nid"])
    action = request.match_info["action"]
    errors: dict[str, str] = {}
    out: Outcome | None
    async with rt.db.session() as s:
        national = await national_by_id(s, nid)
        if national is None:
            raise web.HTTPNotFound()
        card = national.card_number
        if action == "status":
            out = await casework.change_status(rt, s, actor, card, form.get("status", ""),
                                               form.get("note", ""))  # fmt: skip
        elif action == "exempt":
            out = await casework.exempt(rt, s, actor, card, form.get("body", ""),
                                        form.get("certificate", ""))  # fmt: skip
        elif action == "identity":
            out = await casework.identity_check(rt, s, actor, card)
        elif action == "open-case":
            out = await open_case(rt, s, actor, national)
        elif action == "appointment":
            out, errors = await _book(rt, s, actor, national, form)
        else:
            raise web.HTTPNotFound()
    return nid, out, errors


async def _book(
    rt: Runtime, s: AsyncSession, actor: str, national: National, form: dict[str, Any]
) -> tuple[Outcome | None, dict[str, str]]:
    await require(s, actor, "appointments")
    errors: dict[str, str] = {}
    try:
        when = parse_jalali_datetime(form.get("when", ""), rt.settings.tz)
        if when <= rt.clock():
            errors["when"] = "console.form.past"
    except ValueError:
        errors["when"] = "console.form.bad_datetime"
    office = normalize_text(form.get("office", ""))
    if not office:
        errors["office"] = "console.form.required"
    if errors:
        return None, errors
    app = await case_store.current_application(s, national.id)
    campaign_offices = {}
    if app is not None:
        c = await campaign_of(s, app.id)
        campaign_offices = {o["name"]: o.get("address", "") for o in (c.offices if c else [])}
    row = dict(office=office, address=campaign_offices.get(office, ""), starts_at=when,
               attendees=normalize_text(form.get("attendees", "")),
               purpose=normalize_text(form.get("purpose", "")))  # fmt: skip
    booked = await imports.book(rt, s, actor, national, app.id if app else None, row)
    key = "console.appointment.booked" if booked else "console.appointment.exists"
    return Outcome(booked, key, {"card": national.card_number}), {}


@routes.post("/nationals/{nid}/{action}")
@needs("statuses")
async def act(request: web.Request) -> web.Response:
    form = {k: str(v) for k, v in (await request.post()).items() if k != "csrf"}
    nid, outcome, errors = await _act(request, form)
    request[FORM] = form
    bad = bool(errors) or (outcome is not None and not outcome.ok)
    return await national_page(request, nid, outcome, 400 if bad else 200, errors)
