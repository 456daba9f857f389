"""The daily report's figures: counts over a time window, each one aggregate query."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Activity,
    Application,
    Appointment,
    Campaign,
    Complaint,
    Outbox,
    Receipt,
    StatusEvent,
)

ACTIVITY_KINDS = {"links": "link", "eligibility_checks": "eligibility_check"}


def _in(column: Any, start: datetime, end: datetime) -> Any:
    return and_(column >= start, column < end)


async def _count(session: AsyncSession, model: Any, *where: Any) -> int:
    return await session.scalar(select(func.count()).select_from(model).where(*where)) or 0


async def campaign_on(session: AsyncSession, day: date) -> Campaign | None:
    """The campaign running on `day`, else the latest one that had started by then."""
    return await session.scalar(
        select(Campaign)
        .where(Campaign.starts_on <= day)
        .order_by((Campaign.ends_on >= day).desc(), Campaign.starts_on.desc(), Campaign.id.desc())
        .limit(1)
    )


async def activity_counts(session: AsyncSession, start: datetime, end: datetime) -> dict[str, int]:
    return {
        name: await _count(session, Activity, Activity.kind == kind, _in(Activity.at, start, end))
        for name, kind in ACTIVITY_KINDS.items()
    }


async def slip_counts(session: AsyncSession, start: datetime, end: datetime) -> dict[str, int]:
    reviewed = _in(Receipt.reviewed_at, start, end)
    return {
        "slips_submitted": await _count(session, Receipt, _in(Receipt.created_at, start, end)),
        "slips_approved": await _count(session, Receipt, Receipt.state == "approved", reviewed),
        "slips_rejected": await _count(session, Receipt, Receipt.state == "rejected", reviewed),
    }


async def statuses_reached(session: AsyncSession, start: datetime, end: datetime) -> dict[str, int]:
    rows = await session.execute(
        select(StatusEvent.status, func.count())
        .where(_in(StatusEvent.at, start, end))
        .group_by(StatusEvent.status)
    )
    reached: dict[str, int] = {status: n for status, n in rows.all()}
    # Cases opened in bulk keep their first steps on the case (Application.opened_steps).
    opened = await session.execute(
        select(Application.opened_steps, func.count())
        .where(Application.opened_steps.is_not(None), _in(Application.created_at, start, end))
        .group_by(Application.opened_steps)
    )
    for steps, n in opened.all():
        for step in (steps or "").split(","):
            reached[step] = reached.get(step, 0) + n
    return reached


async def appointment_counts(
    session: AsyncSession, start: datetime, end: datetime
) -> dict[str, int]:
    """Booked when created; confirmed when last changed to confirmed/attended; missed by date."""
    ok = Appointment.state.in_(("confirmed", "attended"))
    return {
        "appointments_booked": await _count(
            session, Appointment, _in(Appointment.created_at, start, end)
        ),
        "appointments_confirmed": await _count(
            session, Appointment, ok, _in(Appointment.updated_at, start, end)
        ),
        "appointments_missed": await _count(
            session, Appointment, Appointment.state == "missed",
            _in(Appointment.starts_at, start, end),
        ),
    }  # fmt: skip


async def complaint_counts(session: AsyncSession, start: datetime, end: datetime) -> dict[str, int]:
    """Opened and answered in the window; overdue = still open past its deadline at `end`."""
    return {
        "complaints_opened": await _count(
            session, Complaint, _in(Complaint.created_at, start, end)
        ),
        "complaints_answered": await _count(
            session, Complaint, _in(Complaint.answered_at, start, end)
        ),
        "complaints_overdue": await _count(
            session, Complaint, Complaint.state == "open", Complaint.due_at < end,
            Complaint.created_at < end,
        ),
    }  # fmt: skip


async def messages(
    session: AsyncSession, start: datetime, end: datetime
) -> dict[tuple[str, str], int]:
    """Messages queued in the window, by (channel, state)."""
    rows = await session.execute(
        select(Outbox.channel, Outbox.state, func.count())
        .where(_in(Outbox.created_at, start, end))
        .group_by(Outbox.channel, Outbox.state)
    )
    return {(channel, state): n for channel, state, n in rows.all()}


async def sms_parts(session: AsyncSession, start: datetime, end: datetime) -> int:
    """SMS parts handed to the operator in the window (what is billed), fallbacks included."""
    total = await session.scalar(
        select(func.coalesce(func.sum(Outbox.sms_parts), 0)).where(_in(Outbox.sent_at, start, end))
    )
    return int(total or 0)
