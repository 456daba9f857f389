"""Seeds the staff tests share: the demo registry, staff of every role, a clock."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from handlers.demo import load_demo
from handlers.runtime import Runtime
from storage import admin
from storage.models import AuditLog, Outbox

ADMIN, REVIEWER, BROADCASTER, STRANGER = 7001, 7002, 7003, 7999
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 1405/09/02 11:30 in Tehran, a Monday


async def seed(rt: Runtime, now: datetime = NOW) -> None:
    """Demo data (card 100200300 awaiting payment) and one staff member per role."""
    rt.clock = lambda: now
    async with rt.db.session() as s:
        await load_demo(s, now.astimezone(rt.settings.tz).date(), now)
        for tid, role in ((ADMIN, "admin"), (REVIEWER, "reviewer"), (BROADCASTER, "broadcaster")):
            await admin.add_staff(s, "test", tid, role, f"{role} one")


async def outbox(rt: Runtime) -> list[Outbox]:
    async with rt.db.session() as s:
        return list((await s.scalars(select(Outbox).order_by(Outbox.id))).all())


async def audits(rt: Runtime, action: str | None = None) -> list[AuditLog]:
    async with rt.db.session() as s:
        stmt = select(AuditLog).order_by(AuditLog.id)
        if action:
            stmt = stmt.where(AuditLog.action == action)
        return list((await s.scalars(stmt)).all())


async def add_slip(rt: Runtime, card: str = "100200300", tracking: str = "TR-1") -> int:
    """A pending deposit slip on the card's application (the case moves to payment review)."""
    from handlers.jalali import jalali_year
    from storage.models import Application, National
    from storage.receipts import add_receipt

    async with rt.db.session() as s:
        nid = await s.scalar(select(National.id).where(National.card_number == card))
        app = await s.scalar(select(Application).where(Application.national_id == nid))
        flags = ["duplicate_tracking"] if tracking == "DUP" else []
        now = rt.clock()
        r = await add_receipt(s, app, tracking=tracking, amount=300_000, file_path="slips/a.png",
                              sha256=tracking, mime="image/png", size=10, flags=flags,
                              year=jalali_year(now.date()), now=now)  # fmt: skip
        return r.id
