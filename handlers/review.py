"""Deposit-slip review, channel-free: the next slip with its flags, approve or reject, skip."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.casework import Outcome, move, national_lang
from handlers.runtime import Runtime
from handlers.staff_auth import require
from storage import admin
from storage import review as store
from storage.statuses import Status, can_move
from storage.text import normalize_text

REASONS = ("unreadable", "wrong_amount", "wrong_account", "duplicate", "not_a_slip")


@dataclass(frozen=True)
class SlipCard:
    receipt_id: int
    code: str
    file_path: str
    mime: str
    name: str
    card_number: str
    amount: int
    tracking: str
    flags: tuple[str, ...]

    def text(self, rt: Runtime, lang: str = "fa") -> str:
        flags = [rt.t(lang, f"staff.review.flag.{f}") for f in self.flags]
        return rt.t(lang, "staff.review.card", code=self.code, name=self.name,
                    card=self.card_number, amount=f"{self.amount:,}", tracking=self.tracking,
                    flags="\n".join(flags) or rt.t(lang, "staff.review.no_flags"))  # fmt: skip


async def next_slip(
    rt: Runtime, session: AsyncSession, actor: str, skip: Collection[int] = ()
) -> SlipCard | None:
    """The oldest pending slip this reviewer may hold (None when the queue is empty)."""
    await require(session, actor, "receipts")
    r = await store.claim_next(session, actor, rt.clock(), skip)
    if r is None:
        return None
    national, _ = await store.case_of(session, r)
    flags = tuple(r.flags or ())
    return SlipCard(r.id, r.code, r.file_path, r.mime_type, national.full_name,
                    national.card_number, r.amount_rials, r.bank_tracking, flags)  # fmt: skip


async def skip_slip(rt: Runtime, session: AsyncSession, actor: str, receipt_id: int) -> None:
    """Give the slip back to the queue for someone else."""
    await require(session, actor, "receipts")
    await store.release(session, actor, receipt_id)


async def decide(
    rt: Runtime,
    session: AsyncSession,
    actor: str,
    receipt_id: int,
    approve: bool,
    reason: str = "",
) -> Outcome:
    """Approve (case -> paid) or reject with a reason (case -> awaiting payment); notify once."""
    await require(session, actor, "receipts")
    now = rt.clock()
    receipt = await store.held(session, actor, receipt_id, now)
    if receipt is None:
        return Outcome(False, "staff.review.not_held", {"id": receipt_id})
    national, app = await store.case_of(session, receipt)
    lang = national_lang(rt, national)
    reason = normalize_text(reason)
    if not approve and not reason:
        return Outcome(False, "staff.review.need_reason", {"code": receipt.code})
    if not approve and reason in REASONS:
        reason = rt.t(lang, f"staff.review.reason.{reason}")
    state = "approved" if approve else "rejected"
    store.decide(receipt, actor, state, None if approve else reason, now)
    action = "receipt.approve" if approve else "receipt.reject"
    await admin.audit(session, actor, action, f"receipt:{receipt.id}", {"state": "pending"},
                      {"state": state, "reason": reason or None})  # fmt: skip
    target = Status.PAID if approve else Status.AWAITING_PAYMENT
    if can_move(app.status, target):
        note = receipt.code if approve else f"{receipt.code}: {reason}"
        await move(rt, session, actor, national, app, target.value, note)
    return Outcome(True, f"staff.review.{state}", {"code": receipt.code})
