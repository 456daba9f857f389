"""The console's lists: counts for the dashboard, cases and complaints by page, exports."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Application, Campaign, Complaint, National, Outbox, Receipt

SORTS: dict[str, Any] = {
    "updated": Application.updated_at.desc(),
    "created": Application.created_at.desc(),
    "oldest": Application.updated_at.asc(),
}
COMPLAINT_FILTERS = ("open", "overdue", "answered", "closed")
CASE_COLUMNS = ("card_number", "name", "province", "campaign", "status", "updated_at")


async def outbox_counts(session: AsyncSession) -> dict[tuple[str, str], int]:
    """(channel, state) -> messages queued, sending or failed (ix_outbox_due covers this)."""
    rows = await session.execute(
        select(Outbox.channel, Outbox.state, func.count())
        .where(Outbox.state.in_(("queued", "sending", "failed")))
        .group_by(Outbox.channel, Outbox.state)
    )
    return {(ch, st): n for ch, st, n in rows.all()}


async def waiting_slips(session: AsyncSession) -> int:
    stmt = select(func.count()).select_from(Receipt).where(Receipt.state == "pending")
    return await session.scalar(stmt) or 0


async def complaint_counts(session: AsyncSession, now: datetime) -> tuple[int, int]:
    """(open, overdue) complaints."""
    base = select(func.count()).select_from(Complaint).where(Complaint.state == "open")
    open_ = await session.scalar(base) or 0
    return open_, await session.scalar(base.where(Complaint.due_at < now)) or 0


def _cases(status: str | None) -> Any:
    stmt = (
        select(Application, National, Campaign.code)
        .join(National, National.id == Application.national_id)
        .join(Campaign, Campaign.id == Application.campaign_id)
    )
    return stmt.where(Application.status == status) if status else stmt


async def cases_page(
    session: AsyncSession, status: str | None, sort: str, page: int, per: int
) -> tuple[Sequence[Any], bool]:
    """One page of cases and whether another follows (one extra row read, no COUNT(*))."""
    stmt = _cases(status).order_by(SORTS[sort], Application.id.desc())
    rows = (await session.execute(stmt.offset(page * per).limit(per + 1))).all()
    return rows[:per], len(rows) > per


async def cases_export(
    session: AsyncSession, status: str | None, sort: str
) -> AsyncIterator[tuple[Application, National, str]]:
    """Every case of the filter, streamed (an export holds no more than a batch in memory)."""
    stmt = _cases(status).order_by(SORTS[sort], Application.id.desc())
    result = await session.stream(stmt.execution_options(yield_per=1000))
    async for app, national, code in result:
        yield app, national, code


def _complaints(what: str, now: datetime) -> Any:
    if what == "overdue":
        return select(Complaint).where(Complaint.state == "open", Complaint.due_at < now)
    return select(Complaint).where(Complaint.state == what)


async def complaints_page(
    session: AsyncSession, what: str, now: datetime, page: int, per: int
) -> tuple[Sequence[Complaint], bool]:
    """Soonest due first (so overdue at the top); answered and closed: newest first."""
    order = (
        (Complaint.due_at, Complaint.id) if what in ("open", "overdue") else (Complaint.id.desc(),)
    )
    stmt = _complaints(what, now).order_by(*order).offset(page * per).limit(per + 1)
    rows = (await session.scalars(stmt)).all()
    return rows[:per], len(rows) > per


async def complaint(session: AsyncSession, complaint_id: int) -> Complaint | None:
    return await session.get(Complaint, complaint_id)


async def receipt(session: AsyncSession, receipt_id: int) -> Receipt | None:
    return await session.get(Receipt, receipt_id)


async def campaign_of(session: AsyncSession, application_id: int) -> Campaign | None:
    return await session.scalar(
        select(Campaign).join(Application, Application.campaign_id == Campaign.id)
        .where(Application.id == application_id)
    )  # fmt: skip
