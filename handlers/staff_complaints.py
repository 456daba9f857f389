"""Complaints for staff, channel-free: the queue overdue-first, answering (once), closing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.runtime import Runtime
from handlers.casework import Outcome
from handlers.jalali import format_datetime
from handlers.staff_auth import require
from sms.text import normalize_text
from storage import admin
from storage import staff_complaints as store
from storage.models import Complaint, National
from storage.outbox import enqueue, notify

EXCERPT = 120


@dataclass(frozen=True)
class QueueLine:
    id: int
    code: str
    overdue: bool
    due_at: datetime
    excerpt: str
    photo_path: str | None = None

    def text(self, rt: Runtime, lang: str = "fa") -> str:
        key = "staff.complaint.line_overdue" if self.overdue else "staff.complaint.line"
        due = format_datetime(self.due_at, rt.settings.tz, lang)
        return rt.t(lang, key, code=self.code, due=due, text=self.excerpt)


PAGE = 20


async def queue_page(
    rt: Runtime, session: AsyncSession, actor: str, offset: int = 0
) -> tuple[list[QueueLine], bool]:
    """Open complaints from `offset` on, overdue first, and whether more follow."""
    await require(session, actor, "complaints")
    now = rt.clock()
    rows = await store.open_queue(session, limit=PAGE + 1, offset=max(0, offset))
    lines = [
        QueueLine(c.id, c.code, now > c.due_at, c.due_at, c.text[:EXCERPT], c.photo_path)
        for c in rows[:PAGE]
    ]
    return lines, len(rows) > PAGE


async def _tell(rt: Runtime, session: AsyncSession, c: Complaint, answer: str) -> None:
    """The answer goes to the complainant once, by their best channel or where they wrote from."""
    # Each distinct answer is its own cause (a second /answer reaches the national too); the
    # same text again is the same message.
    key = f"complaint:{c.id}:answer:{hashlib.sha256(answer.encode()).hexdigest()[:16]}"
    national = await session.get(National, c.national_id) if c.national_id else None
    lang = rt.catalog.normalise_lang(
        (national.language if national else None) or rt.settings.default_language
    )
    text = rt.t(lang, "staff.notice.complaint_answer", code=c.code, answer=answer)
    if national is not None and await notify(
        session, national.id, key=key, kind="notice", text=text, lang=lang
    ):
        return
    if c.channel in ("telegram", "sms"):
        await enqueue(session, key=key, kind="notice", channel=c.channel, address=c.address,
                      text=text, lang=lang, national_id=c.national_id)  # fmt: skip


async def answer(rt: Runtime, session: AsyncSession, actor: str, ident: str, text: str) -> Outcome:
    """Record the answer and notify the complainant (a second, different answer too)."""
    await require(session, actor, "complaints")
    text = normalize_text(text)
    c = await store.find(session, normalize_text(ident))
    if c is None:
        return Outcome(False, "staff.complaint.unknown", {"code": ident})
    if not text:
        return Outcome(False, "staff.complaint.empty", {"code": c.code})
    if c.state == "closed":
        return Outcome(False, "staff.complaint.closed_already", {"code": c.code})
    before = {"state": c.state, "answer": c.answer}
    store.set_answer(c, text, rt.clock())
    await admin.audit(session, actor, "complaint.answer", f"complaint:{c.id}", before,
                      {"state": c.state, "answer": text})  # fmt: skip
    await _tell(rt, session, c, text)
    return Outcome(True, "staff.complaint.answered", {"code": c.code})


async def close(rt: Runtime, session: AsyncSession, actor: str, ident: str) -> Outcome:
    await require(session, actor, "complaints")
    c = await store.find(session, normalize_text(ident))
    if c is None:
        return Outcome(False, "staff.complaint.unknown", {"code": ident})
    if c.state == "closed":
        return Outcome(True, "staff.complaint.closed_already", {"code": c.code})
    before = {"state": c.state}
    store.set_closed(c, rt.clock())
    await admin.audit(session, actor, "complaint.close", f"complaint:{c.id}", before,
                      {"state": "closed"})  # fmt: skip
    return Outcome(True, "staff.complaint.closed", {"code": c.code})
