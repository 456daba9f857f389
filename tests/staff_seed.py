"""Seeds the staff tests share: the demo registry, staff of every role, a clock."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from handlers.demo import load_demo
from handlers.runtime import Runtime
from storage import admin
from storage.models import AuditLog, Outbox

ADMIN, REVIEWER, BROADCASTER, STRANGER = 7001, 7002, 7003, 7999
ALI_MOBILE, GOL_MOBILE = "09151234567", "09157654321"  # the demo's Ali (100200300), Gol-Ahmad
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


async def add_slip(rt: Runtime, tracking: str = "343434343", *, duplicate: bool = False) -> int:
    """Ali's pending slip as he sends it by SMS («فیش tracking amount», through the inbound
    route's function): no image, the case moves to payment review. With `duplicate`, Gol-Ahmad
    first opens his own case by SMS («تمدید») and sends a slip with the same tracking number,
    which an admin approves, so Ali's is flagged as already used by someone else."""
    from handlers import review
    from handlers.staff_auth import actor_for
    from sms.keywords import route
    from storage.models import National, Receipt

    if duplicate:
        await route(rt, GOL_MOBILE, "تمدید", f"gol-open-{tracking}")
        await route(rt, GOL_MOBILE, f"فیش {tracking} 300000", f"gol-slip-{tracking}")
        async with rt.db.session() as s:
            card = await review.next_slip(rt, s, actor_for(ADMIN))
            assert card is not None
            assert (await review.decide(rt, s, actor_for(ADMIN), card.receipt_id, True)).ok
    await route(rt, ALI_MOBILE, f"فیش {tracking} 300000", f"ali-slip-{tracking}")
    async with rt.db.session() as s:
        rid = await s.scalar(
            select(Receipt.id)
            .join(National, National.id == Receipt.national_id)
            .where(National.card_number == "100200300", Receipt.state == "pending")
        )
    assert rid is not None, "the slip was refused"
    return int(rid)
