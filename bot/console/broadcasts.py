"""Broadcasts in the browser: compose, segment, preview, send or schedule once, progress, list.

Every step goes through handlers.broadcasts / handlers.staff_broadcast, the functions behind
`amayesh broadcast` and the staff chat's /broadcast: the same rights, audit and outbox rows.
"""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web
from sqlalchemy.exc import IntegrityError

from bot.console.pages import _int
from bot.console.web import needs, page, rt_of, who
from handlers import broadcasts as bc
from handlers import staff_broadcast as sb
from handlers.audience import KEYS
from handlers.fmt import num
from handlers.i18n import LANGUAGES
from handlers.runtime import Runtime
from handlers.sms_parts import count_segments
from storage import admin
from storage import broadcasts as store
from storage.statuses import Status

routes = web.RouteTableDef()
# The segment builder's fields, in the order of handlers.audience.KEYS; free text or a choice.
FREE = ("province", "city", "campaign")
CHOICES: dict[str, tuple[str, ...]] = {
    "eligibility": ("eligible", "ineligible"),
    "status": (*(s.value for s in Status), "none"),
    "language": tuple(LANGUAGES),
    "channel": ("telegram", "sms"),
    "subscribed": ("yes", "no"),
}
SEGMENT_FIELDS = FREE + tuple(CHOICES)
# The composer's texts: Persian (required), then the languages the bureau's nationals read.
TEXT_LANGS = tuple(lang for lang in ("fa", "prs", "ps", "en") if lang in LANGUAGES)
ACTIONS = {"pause": bc.pause_broadcast, "resume": bc.resume_broadcast,
           "cancel": bc.cancel_broadcast, "start": bc.start_broadcast}  # fmt: skip


def _fields(form: Any) -> dict[str, str]:
    keep = SEGMENT_FIELDS + tuple(f"text_{lang}" for lang in TEXT_LANGS) + ("sms_text", "when")
    return {k: str(form.get(k, "")).strip() for k in keep}


def segment_text(fields: dict[str, str]) -> str:
    """The builder's fields as the segment text the CLI takes ("province=…,status=…"), so the
    one parser (handlers.audience) validates and normalises both."""
    return ",".join(f"{k}={fields[k]}" for k in SEGMENT_FIELDS if fields.get(k))


def segment_words(rt: Runtime, segment: dict[str, Any]) -> str:
    """A stored segment in staff's words ("استان: خراسان جنوبی، زبان: دری") for the pages: the
    key=value text in a monospace font showed Persian letters unjoined."""

    def word(key: str, value: str) -> str:
        name = f"status.labels.{value}" if key == "status" else f"console.bcseg.{value}"
        return rt.t("fa", name) if key in CHOICES and rt.catalog.has(name) else value

    parts = []
    for key in KEYS:
        if key in segment:
            values = segment[key] if isinstance(segment[key], list) else [segment[key]]
            shown = rt.t("fa", "console.bcseg.or").join(word(key, str(v)) for v in values)
            parts.append(f"{rt.t('fa', f'console.bc.seg.{key}')}: {shown}")
    return "، ".join(parts) or rt.t("fa", "console.bcseg.everyone")


def _texts(fields: dict[str, str]) -> dict[str, str]:
    return {lang: fields[f"text_{lang}"] for lang in TEXT_LANGS if fields.get(f"text_{lang}")}


def _composer(request: web.Request, fields: dict[str, str], error: str = "",
              status: int = 200, announced: Any = None) -> web.Response:  # fmt: skip
    return page(request, "broadcast_new.html", http_status=status, f=fields, error=error,
                free=FREE, choices=CHOICES, langs=TEXT_LANGS, announced=announced)  # fmt: skip


def _error(rt: Runtime, exc: bc.BroadcastError) -> str:
    return sb.error_text(rt, "fa", exc)


@routes.get("/broadcasts")
@needs("broadcasts")
async def listing(request: web.Request) -> web.Response:
    rt = rt_of(request)
    before = request.query.get("before")
    async with rt.db.session() as s:
        rows = await store.recent(s, 50, _int(before) if before else None)
        figures = [(b, await bc.broadcast_progress(rt, s, b.id)) for b in rows]
        camps = await admin.list_campaigns(s)  # each one's announcement starts from here
    return page(request, "broadcasts.html", rows=figures, shown=bc.shown_state, campaigns=camps,
                segment=lambda seg: segment_words(rt, seg))  # fmt: skip


@routes.get("/broadcasts/new")
@needs("broadcasts")
async def new(request: web.Request) -> web.Response:
    return _composer(request, _fields(request.query))


@routes.post("/broadcasts/parts")
@needs("broadcasts")
async def parts(request: web.Request) -> web.Response:
    """The composer's live figure, from the same count the preview and the cost use."""
    text = str((await request.post()).get("text", ""))
    seg = count_segments(text)
    return web.json_response({"chars": len(text), "encoding": seg.encoding, "parts": seg.parts,
                              "label": rt_of(request).t("fa", "console.bc.parts_label",
                                                        chars=num(len(text), "fa"),
                                                        parts=num(seg.parts, "fa"),
                                                        enc=seg.encoding.upper())})  # fmt: skip


@routes.get("/broadcasts/audience")
@needs("broadcasts")
async def audience(request: web.Request) -> web.Response:
    """The segment builder's live recipient count by channel (counts only, no one's data)."""
    rt = rt_of(request)
    try:
        async with rt.db.session() as s:
            pv = await bc.preview(rt, s, who(request).actor, segment_text(_fields(request.query)))
    except bc.BroadcastError as exc:
        return web.json_response({"error": _error(rt, exc)})
    tg, sms = pv.by_channel.get("telegram", 0), pv.by_channel.get("sms", 0)
    return web.json_response({"telegram": tg, "sms": sms, "total": pv.total,
                              "label": rt.t("fa", "console.bc.audience_label",
                                            total=num(pv.total, "fa"), tg=num(tg, "fa"),
                                            sms=num(sms, "fa"))})  # fmt: skip


@routes.post("/broadcasts/preview")
@needs("broadcasts")
async def preview(request: web.Request) -> web.Response:
    """Recipients by channel, SMS parts, cost and duration; the confirm form carries a fresh
    token so the broadcast it makes is made once."""
    rt = rt_of(request)
    fields = _fields(await request.post())
    texts = _texts(fields)
    try:
        if not texts.get("fa"):
            raise bc.BroadcastError("empty_text")
        when = bc.parse_when(rt, fields["when"])
        async with rt.db.session() as s:
            est = await sb.estimate(rt, s, who(request).actor, segment_text(fields), texts,
                                    fields["sms_text"] or None)  # fmt: skip
    except bc.BroadcastError as exc:
        return _composer(request, fields, _error(rt, exc), 400)
    return page(request, "broadcast_preview.html", f=fields, est=est, when=when,
                token=secrets.token_urlsafe(24), texts=texts,
                toman=est.cost_rials // 10, duration=sb._duration(rt, "fa", est.seconds),
                segment=segment_words(rt, est.segment))  # fmt: skip


@routes.post("/broadcasts")
@needs("broadcasts")
async def create(request: web.Request) -> web.Response:
    """Send now or schedule. The same token again (double click, reload) finds the broadcast
    already made; the redirect means a reload of its page re-posts nothing."""
    rt, actor = rt_of(request), who(request).actor
    form = await request.post()
    fields, token = _fields(form), str(form.get("token", ""))[:64]
    if len(token) < 16:
        raise web.HTTPBadRequest(text="the form has expired; compose again")
    try:
        async with rt.db.session() as s:
            b = await bc.create_broadcast(
                rt, s, actor, segment_text(fields), _texts(fields),
                sms_text=fields["sms_text"] or None, when=fields["when"] or None, form_token=token,
            )  # fmt: skip
            bid = b.id
    except bc.BroadcastError as exc:
        return _composer(request, fields, _error(rt, exc), 400)
    except IntegrityError:  # two clicks raced past the lookup: the other one made it
        async with rt.db.session() as s:
            made = await store.by_form_token(s, token)
        if made is None:
            raise
        bid = made.id
    raise web.HTTPSeeOther(f"{request.app.router['bc_page'].url_for(bid=str(bid))}")


async def _figures(rt: Runtime, bid: int) -> dict[str, Any]:
    async with rt.db.session() as s:
        try:
            p = await bc.broadcast_progress(rt, s, bid)
            r = await bc.broadcast_report(rt, s, bid)
        except bc.BroadcastError:
            raise web.HTTPNotFound() from None
    c, state = p.counts, bc.shown_state(p)
    sent, failed = c.get("sent", 0) + c.get("delivered", 0), c.get("failed", 0)
    share = (sent + failed) / p.total if p.total else (1.0 if state == "done" else 0.0)
    eta = (sb._duration(rt, "fa", p.eta_seconds)
           if p.eta_seconds is not None and state == "running" else "-")  # fmt: skip
    return {"state": state, "state_label": bc.state_name(rt, "fa", state), "total": p.total,
            "sent": sent, "failed": failed, "fell_back": r.fell_back, "remaining": p.remaining,
            "cancelled": c.get("cancelled", 0), "rate": round(p.rate, 1), "eta": eta,
            "percent": round(share * 100), "parts": r.sms_parts,
            "cost": r.sms_parts * rt.settings.sms_cost_rials, "finished": sb.finished(p),
            "failures": r.failures}  # fmt: skip


async def _page(request: web.Request, bid: int, error: str = "", status: int = 200) -> web.Response:
    rt = rt_of(request)
    fig = await _figures(rt, bid)
    async with rt.db.session() as s:
        b = await store.get(s, bid)
    return page(request, "broadcast.html", http_status=status, b=b, fig=fig, error=error,
                segment=segment_words(rt, b.segment if b else {}))  # fmt: skip


@routes.get("/broadcasts/{bid}", name="bc_page")
@needs("broadcasts")
async def one(request: web.Request) -> web.Response:
    return await _page(request, _int(request.match_info["bid"]))


@routes.get("/broadcasts/{bid}/progress.json")
@needs("broadcasts")
async def progress(request: web.Request) -> web.Response:
    fig = await _figures(rt_of(request), _int(request.match_info["bid"]))  # Persian digits
    rt = rt_of(request)
    shown = {k: num(v, "fa") if isinstance(v, int | float) and not isinstance(v, bool) else v
             for k, v in fig.items() if k != "failures"}  # fmt: skip
    shown["cost"] = rt.t("fa", "console.bc.rials", n=shown["cost"])
    return web.json_response(shown | {"raw": fig["percent"]})


@routes.post("/broadcasts/{bid}/{action}")
@needs("broadcasts")
async def act(request: web.Request) -> web.Response:
    """Pause, resume, cancel (or start a scheduled one now), audited by the handler."""
    rt, bid = rt_of(request), _int(request.match_info["bid"])
    fn = ACTIONS.get(request.match_info["action"])
    if fn is None:
        raise web.HTTPNotFound()
    try:
        async with rt.db.session() as s:
            await fn(rt, s, who(request).actor, bid)
    except bc.BroadcastError as exc:
        return await _page(request, bid, _error(rt, exc), 400)
    raise web.HTTPSeeOther(f"{request.app.router['bc_page'].url_for(bid=str(bid))}")
