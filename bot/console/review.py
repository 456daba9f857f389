"""The slip review queue in the browser: the same lease and decision as Telegram's /review."""

from __future__ import annotations

from aiohttp import web

from bot.console import slips
from bot.console.pages import _int
from bot.console.slips import PDF
from bot.console.web import PREFIX, needs, page, rt_of, who
from handlers import review
from storage import console_lists

routes = web.RouteTableDef()


def _skipped(raw: str) -> list[int]:
    return [int(x) for x in raw.split(",") if x.isdigit()][:200]


@routes.get("/review")
@needs("receipts")
async def queue(request: web.Request) -> web.Response:
    """The oldest slip nobody else holds, leased to this reviewer (as /review does)."""
    rt, actor = rt_of(request), who(request).actor
    skip = _skipped(request.query.get("skip", ""))
    async with rt.db.session() as s:
        card = await review.next_slip(rt, s, actor, set(skip))
        fee = None
        if card is not None:
            r = await console_lists.receipt(s, card.receipt_id)
            c = await console_lists.campaign_of(s, r.application_id) if r else None
            fee = c.fee_total if c else None
    pages = await slips.page_count(rt, card.file_path) if card and card.mime == PDF else 0
    flags = list(card.flags) if card else []
    if card is not None and fee is not None and card.amount != fee:
        flags.append("amount_differs")
    done = request.query.get("done")
    return page(request, "review.html", card=card, fee=fee, flags=flags, skip=skip, pages=pages,
                reasons=review.REASONS, done=done if done in ("approved", "rejected") else None,
                code=request.query.get("code", "")[:24])  # fmt: skip


@routes.post("/review/{rid}")
@needs("receipts")
async def decide(request: web.Request) -> web.Response:
    rt, actor = rt_of(request), who(request).actor
    rid = _int(request.match_info["rid"])
    form = await request.post()
    choice = str(form.get("decision", ""))
    skip = _skipped(str(form.get("skip", "")))
    async with rt.db.session() as s:
        if choice == "skip":
            await review.skip_slip(rt, s, actor, rid)
            skip.append(rid)
            raise web.HTTPSeeOther(f"{PREFIX}/review?skip={','.join(map(str, skip))}")
        if choice not in ("approve", "reject"):
            raise web.HTTPBadRequest(text="unknown decision")
        reason = str(form.get("reason_text", "")).strip() or str(form.get("reason", ""))
        out = await review.decide(rt, s, actor, rid, choice == "approve", reason)
    if not out.ok:
        return page(request, "review.html", http_status=400, card=None, error=out.text(rt),
                    skip=skip, reasons=review.REASONS, flags=[], fee=None)  # fmt: skip
    state = "approved" if choice == "approve" else "rejected"
    tail = f"&skip={','.join(map(str, skip))}" if skip else ""
    raise web.HTTPSeeOther(f"{PREFIX}/review?done={state}&code={out.params['code']}{tail}")
