"""Planned outages: the 72-hour rule, announcements (at once and a day before), the menu line."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.casework import Outcome
from handlers.jalali import format_datetime
from handlers.menu import MEMO_KEY
from handlers.runtime import Runtime
from handlers.staff_auth import require
from storage import admin, broadcasts
from storage import outages as store
from storage.models import Outage
from storage.text import normalize_text

MIN_NOTICE = timedelta(hours=72)  # the SLA: planned outages are announced 72 hours ahead
REMINDER_BEFORE = timedelta(hours=24)
LANGS = ("fa", "prs", "ps", "en")


def _texts(rt: Runtime, outage: Outage, key: str) -> dict[str, str]:
    tz = rt.settings.tz
    return {
        lang: rt.t(lang, key, start=format_datetime(outage.starts_at, tz, lang),
                   end=format_datetime(outage.ends_at, tz, lang), reason=outage.reason)
        for lang in LANGS
    }  # fmt: skip


async def _announce(
    rt: Runtime, session: AsyncSession, actor: str, outage: Outage, now: datetime
) -> list[int]:
    """A broadcast to everyone now, and one scheduled a day before the start (if still ahead)."""
    ids = []
    sms = _texts(rt, outage, "staff.outage.sms")["fa"]
    texts = _texts(rt, outage, "staff.outage.notice")
    now_b = await broadcasts.create(session, actor, {}, texts, sms_text=sms)
    await broadcasts.start(session, now_b, now, rt.settings.default_language)
    ids.append(now_b.id)
    remind_at = outage.starts_at - REMINDER_BEFORE
    if remind_at > now:
        later = await broadcasts.create(
            session, actor, {}, texts, sms_text=sms, scheduled_at=remind_at
        )
        ids.append(later.id)
    return ids


async def schedule_outage(
    rt: Runtime,
    session: AsyncSession,
    actor: str,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    force: bool = False,
) -> Outcome:
    """Record a planned outage; refused under 72 hours' notice unless forced (and audited)."""
    await require(session, actor, "outages")
    now, reason = rt.clock(), normalize_text(reason)
    if not reason or ends_at <= starts_at or starts_at <= now:
        return Outcome(False, "staff.outage.bad_window")
    hours = int((starts_at - now).total_seconds() // 3600)
    if starts_at - now < MIN_NOTICE and not force:
        return Outcome(False, "staff.outage.too_soon", {"hours": hours})
    forced = starts_at - now < MIN_NOTICE
    outage = await store.add(session, starts_at=starts_at, ends_at=ends_at, reason=reason,
                             actor=actor, forced=forced, now=now)  # fmt: skip
    rt.memo.pop(MEMO_KEY, None)  # this process's menu shows it at once
    ids = await _announce(rt, session, actor, outage, now)
    after = {
        "starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat(), "reason": reason,
        "forced": forced, "notice_hours": hours, "broadcasts": ids,
    }  # fmt: skip
    await admin.audit(session, actor, "outage.schedule", f"outage:{outage.id}", None, after)
    return Outcome(True, "staff.outage.scheduled", {"id": outage.id, "broadcasts": len(ids)})


async def active_or_upcoming(session: AsyncSession, now: datetime) -> Outage | None:
    return await store.active_or_upcoming(session, now)
