"""Complaints with a tracking code and a 3-working-day answer clock, readable only by the filer."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from handlers.base import Ctx, Reply
from handlers.fmt import digits, local_day
from handlers.jalali import jalali_year
from handlers.workdays import add_working_days
from storage import complaints as store
from storage.activity import record
from storage.models import Complaint
from storage.text import normalize_digits, normalize_text

MAX_CHARS = 2000
SLA_WORKING_DAYS = 3
# Every complaint gets a code (the SLA), but one chat or mobile filing more than this a day is
# flooding the queue staff must answer; the same cap holds for everyone.
DAILY_LIMIT, LIMIT_WINDOW = 10, timedelta(hours=24)
_CODE = re.compile(r"^\s*(?:C\s*[-_/ ]?\s*)?(\d{4})\s*[-_/ ]\s*(\d{1,6})\s*$", re.IGNORECASE)


def clean_text(raw: str) -> str:
    """Normalise each line (digits, ی/ک, spaces) but keep the line breaks people wrote."""
    lines = (normalize_text(line) for line in (raw or "").splitlines())
    return "\n".join(line for line in lines if line)


def due_at(ctx: Ctx) -> datetime:
    """End of the third working day after today, in the bureau's time zone."""
    tz = ctx.rt.settings.tz
    last = add_working_days(ctx.today, SLA_WORKING_DAYS)
    return datetime.combine(last, time(23, 59, 59), tzinfo=tz).astimezone(UTC)


async def file_complaint(ctx: Ctx, text: str, photo_path: str | None = None) -> Reply:
    """Record a complaint (linked or anonymous) and give its tracking code and due date."""
    body = clean_text(text)
    if not body:
        return Reply(ctx.t("complaints.empty"))
    if len(body) > MAX_CHARS:
        return Reply(ctx.t("complaints.too_long", max=digits(ctx, MAX_CHARS)))
    if refused := await over_limit(ctx):
        return refused
    due = due_at(ctx)
    row = await store.create(
        ctx.session, year=jalali_year(ctx.today), channel=ctx.channel, address=ctx.address,
        national_id=ctx.national.id if ctx.national else None, body=body,
        photo_path=photo_path, due_at=due, now=ctx.now,
    )  # fmt: skip
    record(ctx.session, "complaint", row.national_id, ctx.now)
    # The code stays in Latin digits so it can be copied and typed back on any keyboard.
    params = {"code": row.code, "due": local_day(ctx, due)}
    return Reply(
        ctx.t("complaints.filed", **params),
        sms_text=ctx.t("complaints.filed_sms", **params),
        payload={"complaint_code": row.code},
    )


async def over_limit(ctx: Ctx) -> Reply | None:
    """The answer when this chat or mobile filed DAILY_LIMIT complaints in the last day."""
    since = ctx.now - LIMIT_WINDOW
    if await store.count_from(ctx.session, ctx.channel, ctx.address, since) < DAILY_LIMIT:
        return None
    limit = digits(ctx, DAILY_LIMIT)
    sms = ctx.t("sms.reply.too_many", limit=limit)
    return Reply(ctx.t("complaints.too_many", limit=limit), sms_text=sms)


def parse_code(raw: str) -> str | None:
    """'c-۱۴۰۵-۱۲۳', 'C 1405 000123' -> 'C-1405-000123'; None if it is not a code."""
    m = _CODE.match(normalize_digits(normalize_text(raw or "")))
    return store.code_for(int(m.group(1)), int(m.group(2))) if m else None


def _owns(ctx: Ctx, complaint: Complaint) -> bool:
    if ctx.national is not None and complaint.national_id == ctx.national.id:
        return True
    return complaint.channel == ctx.channel and complaint.address == ctx.address


async def lookup_complaint(ctx: Ctx, code: str) -> Reply:
    """State and answer of one's own complaint; anyone else's is simply "not found"."""
    canonical = parse_code(code)
    complaint = await store.by_code(ctx.session, canonical) if canonical else None
    if complaint is None or not _owns(ctx, complaint):
        return Reply(ctx.t("complaints.not_found"))
    lines = [
        ctx.t("complaints.code", code=complaint.code),
        ctx.t("complaints.filed_on", date=local_day(ctx, complaint.created_at)),
        ctx.t(f"complaints.state.{complaint.state}"),
    ]
    if complaint.state == "open":
        lines.append(ctx.t("complaints.due", due=local_day(ctx, complaint.due_at)))
    if complaint.answer:
        lines.append(ctx.t("complaints.answer", answer=complaint.answer))
    return Reply("\n".join(lines))
