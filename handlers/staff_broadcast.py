"""What staff see before and while a broadcast goes out: the estimate and a progress bar."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import broadcasts as bc
from handlers.audience import format_segment
from handlers.fmt import num
from handlers.jalali import format_datetime
from handlers.runtime import Runtime
from handlers.sms_parts import MAX_RECEPTORS, count_segments
from storage.broadcasts import Progress


@dataclass
class Estimate:
    segment: dict[str, Any]
    by_channel: dict[str, int]
    parts_each: int  # SMS parts of one copy
    parts_total: int
    cost_rials: int
    seconds: float  # both channels drain side by side at their configured rates

    @property
    def total(self) -> int:
        return sum(self.by_channel.values())


async def estimate(
    rt: Runtime,
    session: AsyncSession,
    actor: str,
    segment: str | dict[str, Any],
    texts: dict[str, str],
    sms_text: str | None,
) -> Estimate:
    """Recipients by channel, SMS parts (of the SMS text, else the Persian one), cost, duration."""
    pv = await bc.preview(rt, session, actor, bc.segment_of(segment), sms_text)
    body = sms_text or texts.get("fa") or next(iter(texts.values()), "")
    each = count_segments(body).parts
    tg, sms = pv.by_channel.get("telegram", 0), pv.by_channel.get("sms", 0)
    s = rt.settings
    seconds = max(tg / s.telegram_rate, math.ceil(sms / MAX_RECEPTORS) / s.sms_rate)
    return Estimate(pv.segment, pv.by_channel, each, each * sms, each * sms * s.sms_cost_rials,
                    seconds)  # fmt: skip


def error_text(rt: Runtime, lang: str, exc: bc.BroadcastError) -> str:
    """The error's message in the staff member's language."""
    return exc.text(rt, lang)


def _duration(rt: Runtime, lang: str, seconds: float) -> str:
    minutes = math.ceil(seconds / 60)
    if minutes >= 60:
        return rt.t(
            lang, "staff.bc.cli.hours", h=num(minutes // 60, lang), m=num(minutes % 60, lang)
        )
    return rt.t(lang, "staff.bc.cli.minutes", n=num(minutes, lang))


def estimate_text(rt: Runtime, lang: str, est: Estimate, when: datetime | None = None) -> str:
    at = format_datetime(when, rt.settings.tz, lang) if when else rt.t(lang, "staff.bc.now")
    return rt.t(
        lang, "staff.bc.preview", segment=format_segment(est.segment) or "*",
        total=num(est.total, lang), tg=num(est.by_channel.get("telegram", 0), lang),
        sms=num(est.by_channel.get("sms", 0), lang), parts=num(est.parts_each, lang),
        parts_total=num(est.parts_total, lang), cost=num(est.cost_rials, lang),
        duration=_duration(rt, lang, est.seconds), when=at,
    )  # fmt: skip


def progress_bar(rt: Runtime, lang: str, p: Progress, width: int = 30) -> str:
    """[#########---------]  45%  running  sent 450  failed 3  cancelled 0  remaining 547 …

    The share is of copies that went out (sent or failed): a cancelled broadcast shows how far
    it got, not 100%.
    """
    c = p.counts
    sent = c.get("sent", 0) + c.get("delivered", 0)
    failed, left, cancelled = c.get("failed", 0), p.remaining, c.get("cancelled", 0)
    state = bc.shown_state(p)
    share = (sent + failed) / p.total if p.total else (1.0 if state == "done" else 0.0)
    fill = round(width * share)
    eta = "-" if p.eta_seconds is None or state != "running" else _duration(rt, lang, p.eta_seconds)
    return rt.t(
        lang, "staff.bc.cli.bar", bar=f"[{'#' * fill}{'-' * (width - fill)}]",
        percent=num(round(share * 100), lang), state=bc.state_name(rt, lang, state),
        sent=num(sent, lang), failed=num(failed, lang), cancelled=num(cancelled, lang),
        left=num(left, lang), rate=num(float(p.rate), lang), eta=eta,
    )  # fmt: skip


def finished(p: Progress) -> bool:
    return bc.shown_state(p) in ("done", "cancelled")
