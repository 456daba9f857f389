"""Complaints with a tracking code and a 3-working-day answer clock, readable only by the filer."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, time, timedelta

from handlers import receipts
from handlers.base import Button, Ctx, Reply
from handlers.convo import Event, State, ask, cancel_button, menu_reply
from handlers.feature import Args, ArgSpec, Feature, Keyword, MenuEntry
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


# --- the doors: a menu of two, three short steps, and the SMS keyword ------------------------
STEP_ASK = {"complaint_text": "complaints.ask_text", "complaint_code": "complaints.ask_code"}


async def _menu(ctx: Ctx, st: State) -> list[Reply]:
    rows = [
        [Button(ctx.t("complaints.btn_new"), "cmp:new")],
        [Button(ctx.t("complaints.btn_lookup"), "cmp:lookup")],
        [cancel_button(ctx)],
    ]
    return [Reply(ctx.t("complaints.menu"), buttons=rows)]


async def _button(ctx: Ctx, st: State, data: str) -> list[Reply] | None:
    if data not in ("cmp:new", "cmp:lookup"):
        return None
    # Over the daily cap: say so before the person types a complaint that would be refused.
    if data == "cmp:new" and (refused := await over_limit(ctx)):
        st.go("menu")
        return [refused, await menu_reply(ctx)]
    st.go("complaint_text" if data == "cmp:new" else "complaint_code")
    return [ask(ctx, STEP_ASK[st.step])]


def _ask_photo(ctx: Ctx) -> Reply:
    buttons = [[Button(ctx.t("complaints.btn_no_photo"), "cmp:skip")], [cancel_button(ctx)]]
    return Reply(ctx.t("complaints.ask_photo"), buttons=buttons)


async def on_text(ctx: Ctx, st: State, ev: Event) -> list[Reply]:
    text = normalize_text(ev.text)
    if ev.kind == "photo" and len(text) >= 3:
        return await _file(ctx, st, text, ev)
    if ev.kind != "text" or len(text) < 3:
        return [ask(ctx, "complaints.ask_text")]
    st.go("complaint_photo", text=text[:2000])
    return [_ask_photo(ctx)]


async def on_photo(ctx: Ctx, st: State, ev: Event) -> list[Reply]:
    if ev.kind == "button" and ev.data == "cmp:skip":
        return await _file(ctx, st, st.data.get("text", ""), None)
    if ev.kind in ("photo", "document"):
        return await _file(ctx, st, st.data.get("text", ""), ev)
    return [_ask_photo(ctx)]


async def _file(ctx: Ctx, st: State, text: str, ev: Event | None) -> list[Reply]:
    if refused := await over_limit(ctx):  # before a photo is written
        st.go("menu")
        return [refused, await menu_reply(ctx)]
    path = None
    if ev is not None and ev.file is not None:
        if error := receipts.check_file(ev.file):
            return [ask(ctx, error)]
        path = f"complaints/{ev.file.sha256}.{ev.file.ext}"
        data = ev.file.data or b""
        await asyncio.to_thread(receipts.write_file, ctx.rt.settings.files_dir, path, data)
    st.go("menu")
    return [await file_complaint(ctx, text, path), await menu_reply(ctx)]


async def on_code(ctx: Ctx, st: State, ev: Event) -> list[Reply]:
    code = ev.text.strip() if ev.kind == "text" else ""
    if not code:
        return [ask(ctx, "complaints.ask_code")]
    st.go("menu")
    return [await lookup_complaint(ctx, code), await menu_reply(ctx)]


async def _sms(ctx: Ctx, args: Args) -> Reply:
    return await file_complaint(ctx, args[0])


FEATURE: Feature = Feature(
    name="complaints",
    catalog=("complaints",),
    menu=MenuEntry("complaint", _menu),
    buttons={"cmp": _button},
    steps={"complaint_text": on_text, "complaint_photo": on_photo, "complaint_code": on_code},
    entry=("complaint_text", "complaint_code"),
    moves={
        "complaint_text": ("complaint_photo", "menu"),
        "complaint_photo": ("menu",),
        "complaint_code": ("menu",),
    },
    step_buttons={"complaint_photo": ("cmp:skip",)},
    keywords=(Keyword("COMPLAINT", ("شکایت", "complaint"), ArgSpec.REST, _sms),),
)
