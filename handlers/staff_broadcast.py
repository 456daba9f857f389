"""What staff see before and while a broadcast goes out: the estimate and a progress bar."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.runtime import Runtime
from handlers import broadcasts as bc
from handlers.jalali import format_datetime
from handlers.segments import format_segment
from sms.kavenegar import MAX_RECEPTORS
from sms.segments import count_segments
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


def _duration(seconds: float) -> str:
    minutes = math.ceil(seconds / 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def estimate_text(rt: Runtime, lang: str, est: Estimate, when: datetime | None = None) -> str:
    at = format_datetime(when, rt.settings.tz, lang) if when else rt.t(lang, "staff.bc.now")
    return rt.t(
        lang, "staff.bc.preview", segment=format_segment(est.segment) or "*",
        total=est.total, tg=est.by_channel.get("telegram", 0), sms=est.by_channel.get("sms", 0),
        parts=est.parts_each, parts_total=est.parts_total, cost=f"{est.cost_rials:,}",
        duration=_duration(est.seconds), when=at,
    )  # fmt: skip


def progress_bar(p: Progress, width: int = 30) -> str:
    """[#########---------]  45%  sent 450  failed 3  remaining 547  4.0/s  ETA 3m"""
    c = p.counts
    sent = c.get("sent", 0) + c.get("delivered", 0)
    failed, left = c.get("failed", 0), p.remaining
    done = sent + failed + c.get("cancelled", 0)
    share = done / p.total if p.total else (1.0 if p.state == "done" else 0.0)
    fill = round(width * share)
    eta = "-" if p.eta_seconds is None else _duration(p.eta_seconds)
    return (
        f"[{'#' * fill}{'-' * (width - fill)}] {share:4.0%}  {p.state}  sent {sent}  "
        f"failed {failed}  remaining {left}  {p.rate:.1f}/s  ETA {eta}"
    )


def finished(p: Progress) -> bool:
    return p.state in ("done", "cancelled") or (p.state == "running" and p.remaining == 0)
