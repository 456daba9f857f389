"""Broadcasts for staff code (the /broadcast flow, `amayesh broadcast`): no channel in sight.

Every function takes the actor ('tg:<id>' or 'cli:<user>'), checks the "broadcasts" right
(staff_auth.require raises Forbidden) and writes the audit trail. Bad input raises
BroadcastError whose `key`/`params` name a catalog message (broadcasts.toml).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.audience import SegmentError, format_segment, parse_segment
from handlers.fmt import num
from handlers.i18n import LANGUAGES
from handlers.jalali import format_datetime, parse_jalali_datetime
from handlers.runtime import Runtime
from handlers.sms_parts import count_segments
from handlers.staff_auth import require
from storage import broadcasts as store
from storage.admin import audit
from storage.audience import UnknownCampaign
from storage.models import Broadcast
from storage.text import normalize_text

RIGHT = "broadcasts"


def state_name(rt: Runtime, lang: str, state: str) -> str:
    key = f"staff.bc.state.{state}"
    return rt.t(lang, key) if rt.catalog.has(key, lang) else state


def shown_state(p: store.Progress) -> str:
    """A running broadcast with nothing left to send is done, whether or not the scheduler
    has closed it yet."""
    return "done" if p.state == "running" and p.remaining == 0 and p.total else p.state


class BroadcastError(ValueError):
    # Positional-only, so a message may have a {key} placeholder of its own.
    def __init__(self, message: str, /, **params: Any) -> None:
        super().__init__(message)
        self.key, self.params = f"broadcasts.{message}", params

    def text(self, rt: Runtime, lang: str) -> str:
        params = dict(self.params)
        if "state" in params:
            params["state"] = state_name(rt, lang, str(params["state"]))
        return rt.t(lang, self.key, **params)


@dataclass
class Preview:
    segment: dict[str, Any]
    by_channel: dict[str, int]
    sms_parts: int  # per SMS copy
    sms_cost_rials: int  # for every SMS recipient

    @property
    def total(self) -> int:
        return sum(self.by_channel.values())


def segment_of(text_or_dict: str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(text_or_dict, dict):
        return text_or_dict
    try:
        return parse_segment(text_or_dict)
    except SegmentError as exc:
        raise BroadcastError(f"bad_segment_{exc.reason}", key=exc.key, value=exc.value) from None


def _texts(texts: dict[str, str] | str) -> dict[str, str]:
    if isinstance(texts, str):
        texts = {"fa": texts}
    clean = {lang: t.strip() for lang, t in texts.items() if t and t.strip()}
    if not clean:
        raise BroadcastError("empty_text")
    if unknown := [lang for lang in clean if lang not in LANGUAGES]:
        raise BroadcastError("bad_language", lang=",".join(unknown))
    return clean


async def preview(
    rt: Runtime, session: AsyncSession, actor: str, segment: str | dict[str, Any],
    sms_text: str | None = None,
) -> Preview:  # fmt: skip
    """Who would get it (by channel) and what the SMS copies would cost."""
    await require(session, actor, RIGHT)
    seg = segment_of(segment)
    try:
        counts = await store.preview(session, seg, rt.settings.default_language)
    except UnknownCampaign as exc:
        raise BroadcastError("unknown_campaign", campaign=str(exc)) from None
    parts = count_segments(sms_text).parts if sms_text else 1
    cost = counts.get("sms", 0) * parts * rt.settings.sms_cost_rials
    return Preview(seg, counts, parts, cost)


def parse_when(rt: Runtime, when: str | datetime | None) -> datetime | None:
    """A Jalali '1405/09/10 09:00' (Tehran time) or an aware datetime; must be in the future."""
    if when is None or (isinstance(when, str) and not when.strip()):
        return None
    try:
        at = when if isinstance(when, datetime) else parse_jalali_datetime(when, rt.settings.tz)
    except ValueError:
        raise BroadcastError("bad_time", value=str(when)) from None
    if at <= rt.clock():
        raise BroadcastError("past_time", when=format_datetime(at, rt.settings.tz))
    return at


async def create_broadcast(
    rt: Runtime,
    session: AsyncSession,
    actor: str,
    segment: str | dict[str, Any],
    texts: dict[str, str] | str,
    *,
    sms_text: str | None = None,
    when: str | datetime | None = None,
    form_token: str | None = None,
) -> Broadcast:
    """Create and queue it now, or schedule it for `when`; the queueing is one INSERT…SELECT.

    `form_token` (the console's confirm form) makes it once: the same token again returns the
    broadcast it made, unchanged (a double click, a reload)."""
    await require(session, actor, RIGHT)
    if form_token and (made := await store.by_form_token(session, form_token)) is not None:
        return made
    seg, clean, at = segment_of(segment), _texts(texts), parse_when(rt, when)
    sms = normalize_text(sms_text) if sms_text else None
    b = await store.create(session, actor, seg, clean, sms, at, form_token)
    await audit(session, actor, "broadcast.create", f"broadcast:{b.id}",
                after={"segment": format_segment(seg), "langs": sorted(clean),
                       "scheduled_at": at.isoformat() if at else None})  # fmt: skip
    if at is None:
        await _start(rt, session, b)
    return b


async def _start(rt: Runtime, session: AsyncSession, b: Broadcast) -> int:
    try:
        return await store.start(session, b, rt.clock(), rt.settings.default_language)
    except UnknownCampaign as exc:
        raise BroadcastError("unknown_campaign", campaign=str(exc)) from None


async def _get(session: AsyncSession, broadcast_id: int, *states: str) -> Broadcast:
    b = await store.get(session, broadcast_id)
    if b is None:
        raise BroadcastError("not_found", id=broadcast_id)
    if states and b.state not in states:
        raise BroadcastError("wrong_state", id=broadcast_id, state=b.state)
    return b


async def _act(
    rt: Runtime, session: AsyncSession, actor: str, broadcast_id: int, action: str,
    states: tuple[str, ...],
) -> Broadcast:  # fmt: skip
    await require(session, actor, RIGHT)
    b = await _get(session, broadcast_id, *states)
    before = b.state
    if action == "pause":
        moved = await store.pause(session, b)
    elif action == "resume":
        moved = await store.resume(session, b)
    elif action == "start":
        moved = await _start(rt, session, b)
    else:
        moved = await store.cancel(session, b, rt.clock())
    await audit(session, actor, f"broadcast.{action}", f"broadcast:{b.id}",
                {"state": before}, {"state": b.state, "rows": moved})  # fmt: skip
    return b


async def pause_broadcast(rt: Runtime, session: AsyncSession, actor: str, bid: int) -> Broadcast:
    return await _act(rt, session, actor, bid, "pause", ("running",))


async def resume_broadcast(rt: Runtime, session: AsyncSession, actor: str, bid: int) -> Broadcast:
    return await _act(rt, session, actor, bid, "resume", ("paused",))


async def cancel_broadcast(rt: Runtime, session: AsyncSession, actor: str, bid: int) -> Broadcast:
    return await _act(
        rt, session, actor, bid, "cancel", ("draft", "scheduled", "running", "paused")
    )


async def start_broadcast(rt: Runtime, session: AsyncSession, actor: str, bid: int) -> Broadcast:
    """Start a draft or a scheduled broadcast now."""
    return await _act(rt, session, actor, bid, "start", ("draft", "scheduled"))


async def broadcast_progress(rt: Runtime, session: AsyncSession, bid: int) -> store.Progress:
    return await store.progress(session, await _get(session, bid), rt.clock())


async def broadcast_report(rt: Runtime, session: AsyncSession, bid: int) -> store.Report:
    return await store.report(session, await _get(session, bid))


async def start_due(rt: Runtime, session: AsyncSession) -> list[int]:
    """The scheduler's part: start what is due, close what is finished."""
    started = []
    for b in await store.due_scheduled(session, rt.clock()):
        await _start(rt, session, b)
        await audit(session, "system", "broadcast.start", f"broadcast:{b.id}",
                    {"state": "scheduled"}, {"state": b.state, "rows": b.total})  # fmt: skip
        started.append(b.id)
    await store.finish_done(session, rt.clock())
    return started


def format_progress(rt: Runtime, lang: str, p: store.Progress) -> str:
    c = p.counts
    eta = "-" if p.eta_seconds is None else num(round(p.eta_seconds / 60), lang)
    figures = {
        "total": p.total, "queued": c.get("queued", 0), "in_flight": c.get("sending", 0),
        "held": c.get("held", 0), "sent": c.get("sent", 0) + c.get("delivered", 0),
        "failed": c.get("failed", 0), "cancelled": c.get("cancelled", 0),
    }  # fmt: skip
    return rt.t(lang, "broadcasts.progress", id=num(p.broadcast_id, lang),
                state=state_name(rt, lang, shown_state(p)), rate=num(float(p.rate), lang),
                eta=eta, **{k: num(v, lang) for k, v in figures.items()})  # fmt: skip


def format_report(rt: Runtime, lang: str, r: store.Report) -> str:
    tg, sms = r.by_channel.get("telegram", {}), r.by_channel.get("sms", {})
    figures = {
        "total": r.total, "tg_sent": tg.get("sent", 0), "sms_sent": sms.get("sent", 0),
        "sms_delivered": sms.get("delivered", 0), "fell_back": r.fell_back,
        "failed": tg.get("failed", 0) + sms.get("failed", 0), "parts": r.sms_parts,
        "cost": r.sms_parts * rt.settings.sms_cost_rials,
    }  # fmt: skip
    lines = [rt.t(lang, "broadcasts.report", id=num(r.broadcast_id, lang),
                  state=state_name(rt, lang, r.state),
                  **{k: num(v, lang) for k, v in figures.items()})]  # fmt: skip
    lines += [f"- {reason}: {num(n, lang)}" for reason, n in r.failures]
    return "\n".join(lines)
