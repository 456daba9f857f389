"""Editing a campaign in the browser (admins): the create form's fields, filled in, through the
CLI's own field rules (bot.cli_admin._campaign_fields, as creating does) and
handlers.campaign_edit.update_campaign, which refuses what a campaign in use may not change.
The page says what is fixed and why before anyone types.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.cli_admin import _campaign_fields
from bot.console.campaigns import KINDS, _args
from bot.console.web import needs, page, rt_of, who
from handlers.campaign_edit import EditRefused, update_campaign, usage
from handlers.jalali import fa_digits, format_short
from storage import admin
from storage.models import Campaign

routes = web.RouteTableDef()


def as_form(c: Campaign) -> dict[str, str]:
    """The campaign as the create form's text: one fee, office or document a line."""
    return {
        "code": c.code, "title": c.title, "kind": c.kind, "provinces": "، ".join(c.provinces),
        "rounds": ",".join(str(r) for r in c.eligible_rounds),
        "start": fa_digits(format_short(c.starts_on)), "end": fa_digits(format_short(c.ends_on)),
        "fees": "\n".join(f"{f['name']}={f['rials']}" for f in c.fee_items),
        "account": c.bank_account,
        "offices": "\n".join("|".join((o.get("name", ""), o.get("address", ""), o.get("city", "")))
                             .rstrip("|") for o in c.offices),
        "documents": "\n".join(c.documents),
        "max_days_expired": "" if c.max_days_expired is None else str(c.max_days_expired),
        "late_route": c.late_route or "",
    }  # fmt: skip


async def _show(request: web.Request, c: Campaign, f: dict[str, str], error: str = "",
                saved: str = "", status: int = 200) -> web.Response:  # fmt: skip
    async with rt_of(request).db.session() as s:
        use = await usage(s, c)
    # The form's names of the locked fields (the model's names differ for two of them).
    names = {"starts_on": "start", "fee_items": "fees", "bank_account": "account"}
    locked = [names.get(n, n) for n in use.locked]
    return page(request, "campaign_edit.html", http_status=status, c=c, f=f, use=use,
                locked=locked, kinds=KINDS, error=error, saved=saved)  # fmt: skip


async def _campaign(request: web.Request) -> Campaign:
    async with rt_of(request).db.session() as s:
        c = await admin.get_campaign(s, request.match_info["ident"])
    if c is None:
        raise web.HTTPNotFound()
    return c


@routes.get("/campaigns/{ident}/edit")
@needs("campaigns")
async def edit_form(request: web.Request) -> web.Response:
    c = await _campaign(request)
    return await _show(request, c, as_form(c))


def _refusal(rt: Any, exc: ValueError) -> str:
    if isinstance(exc, EditRefused):
        what = rt.t("fa", f"console.campaign.field.{exc.field}") if exc.field else ""
        return str(rt.t("fa", f"console.campaign.refused.{exc.reason}", field=what))
    return str(rt.t("fa", "console.campaign.not_saved", error=exc))  # the field rules' words


@routes.post("/campaigns/{ident}/edit")
@needs("campaigns")
async def edit(request: web.Request) -> web.Response:
    rt, c = rt_of(request), await _campaign(request)
    form = {k: str(v) for k, v in (await request.post()).items() if k != "csrf"}
    today = rt.clock().astimezone(rt.settings.tz).date()
    try:
        fields = _campaign_fields(_args(form))
        async with rt.db.session() as s:
            done = await update_campaign(s, who(request).actor, str(c.id), fields, today)
            assert done is not None  # found above; campaigns are never deleted
            c, changed = done.campaign, done.changed
    except ValueError as exc:
        return await _show(request, c, form, error=_refusal(rt, exc), status=400)
    key = "console.campaign.saved" if changed else "console.campaign.unchanged"
    return await _show(request, c, as_form(c), saved=rt.t("fa", key))
