"""The daily report, channel-free: figures for a Jalali day and the campaign so far, as text,
CSV, an XLSX sheet and a PNG chart (the last two in handlers/report_files.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.fmt import number
from handlers.jalali import format_date, format_short
from handlers.runtime import Runtime
from handlers.staff_auth import require
from storage import admin
from storage import report as q

FIXED = (
    "links", "eligibility_checks", "slips_submitted", "slips_approved", "slips_rejected",
    "appointments_booked", "appointments_confirmed", "appointments_missed",
    "complaints_opened", "complaints_answered", "complaints_overdue",
)  # fmt: skip


@dataclass
class Period:
    start: datetime
    end: datetime
    figures: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    messages: dict[tuple[str, str], int] = field(default_factory=dict)
    sms_parts: int = 0
    sms_cost_rials: int = 0


@dataclass
class DailyReport:
    day: date
    campaign: str | None
    today: Period
    so_far: Period | None

    def rows(self) -> list[tuple[str, int, int | None]]:
        """(metric, the day's figure, the campaign's figure so far) in a fixed order."""
        both = [p for p in (self.today, self.so_far) if p is not None]
        statuses = sorted({s for p in both for s in p.statuses})
        channels = sorted({m for p in both for m in p.messages})
        out: list[tuple[str, int, int | None]] = []

        def add(name: str, get: Callable[[Period], int]) -> None:
            out.append((name, get(self.today), get(self.so_far) if self.so_far else None))

        def add_key(name: str, table: Callable[[Period], Mapping[Any, int]], key: object) -> None:
            add(name, lambda p: table(p).get(key, 0))

        for m in FIXED:
            add_key(m, lambda p: p.figures, m)
        for s in statuses:
            add_key(f"status:{s}", lambda p: p.statuses, s)
        for ch in channels:
            add_key(f"messages:{ch[0]}:{ch[1]}", lambda p: p.messages, ch)
        add("sms_parts", lambda p: p.sms_parts)
        add("sms_cost_rials", lambda p: p.sms_cost_rials)
        return out


def day_bounds(day: date, rt: Runtime) -> tuple[datetime, datetime]:
    tz = rt.settings.tz
    start = datetime.combine(day, time(0), tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


async def _period(rt: Runtime, session: AsyncSession, start: datetime, end: datetime) -> Period:
    p = Period(start, end)
    p.figures |= await q.activity_counts(session, start, end)
    p.figures |= await q.slip_counts(session, start, end)
    p.figures |= await q.appointment_counts(session, start, end)
    p.figures |= await q.complaint_counts(session, start, end)
    p.statuses = await q.statuses_reached(session, start, end)
    p.messages = await q.messages(session, start, end)
    p.sms_parts = await q.sms_parts(session, start, end)
    p.sms_cost_rials = p.sms_parts * rt.settings.sms_cost_rials
    return p


async def daily_report(
    rt: Runtime, session: AsyncSession, actor: str, day: date | None = None
) -> DailyReport:
    """The figures for `day` (default: today in Tehran) and for its campaign up to that day."""
    await require(session, actor, "report")
    day = day or rt.clock().astimezone(rt.settings.tz).date()
    start, end = day_bounds(day, rt)
    campaign = await q.campaign_on(session, day)
    so_far = None
    if campaign is not None:
        so_far = await _period(rt, session, day_bounds(campaign.starts_on, rt)[0], end)
    report = DailyReport(day, campaign.code if campaign else None,
                         await _period(rt, session, start, end), so_far)  # fmt: skip
    await admin.audit(session, actor, "report.daily", format_short(day))
    return report


def to_csv(report: DailyReport) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["metric", f"day {format_short(report.day)}", f"campaign {report.campaign}"])
    for name, day, so_far in report.rows():
        writer.writerow([name, day, "" if so_far is None else so_far])
    return buf.getvalue()


def label(rt: Runtime, lang: str, name: str) -> str:
    """A figure's name in the staff's language: statuses, channels and states by name."""
    kind, _, rest = name.partition(":")
    if kind == "status":
        return rt.t(lang, "staff.report.status", label=rt.t(lang, f"status.labels.{rest}"))
    if kind == "messages":
        channel, _, state = rest.partition(":")
        return rt.t(lang, "staff.report.messages", channel=_named(rt, lang, "channel", channel),
                    state=_named(rt, lang, "state", state))  # fmt: skip
    return rt.t(lang, f"staff.report.{name}")


def _named(rt: Runtime, lang: str, kind: str, code: str) -> str:
    key = f"staff.report.{kind}.{code}"
    return rt.t(lang, key) if rt.catalog.has(key, lang) else code


def to_text(rt: Runtime, report: DailyReport, lang: str = "fa") -> str:
    """One line per figure: the day's number, then the campaign's so far (staff's digits)."""
    head = rt.t(lang, "staff.report.title", day=format_date(report.day, lang),
                campaign=report.campaign or "-")  # fmt: skip
    lines = [head]
    for name, day, so_far in report.rows():
        total = "" if so_far is None else f" / {number(so_far, lang)}"
        lines.append(f"{label(rt, lang, name)}: {number(day, lang)}{total}")
    return "\n".join(lines)
