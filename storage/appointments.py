"""Appointment queries for nationals: their upcoming visits and their answers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Application, Appointment, Campaign, utcnow

SHOWN = ("booked", "confirmed", "cannot_come")


async def upcoming_for(
    session: AsyncSession, national_ids: Iterable[int], since: datetime
) -> Sequence[tuple[Appointment, Campaign | None]]:
    """Appointments from `since` on for these people, soonest first, with their campaign."""
    rows = await session.execute(
        select(Appointment, Campaign)
        .outerjoin(Application, Application.id == Appointment.application_id)
        .outerjoin(Campaign, Campaign.id == Application.campaign_id)
        .where(Appointment.national_id.in_(list(national_ids)))
        .where(Appointment.starts_at >= since, Appointment.state.in_(SHOWN))
        .order_by(Appointment.starts_at, Appointment.id)
    )
    return [(a, c) for a, c in rows]


async def appointment_for_update(session: AsyncSession, appointment_id: int) -> Appointment | None:
    """The row, locked on PostgreSQL so two taps do not race."""
    stmt = select(Appointment).where(Appointment.id == appointment_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


def set_state(appointment: Appointment, state: str) -> None:
    appointment.state = state
    appointment.updated_at = utcnow()
