"""Reminder rows: appointment and campaign-deadline reminders are outbox rows due later."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.admin import audit
from storage.audience import audience, insert_messages
from storage.db import affected
from storage.models import Appointment, AuditLog, Campaign, Outbox

UPCOMING = ("booked", "confirmed")
# Applicants who still have something to do before the campaign closes.
UNFINISHED = ("registered", "docs_incomplete", "awaiting_payment")


def appointment_key(appointment: Appointment, kind: str) -> str:
    """Appointment + reminder kind (+ its time, so a rebooked slot gets fresh reminders)."""
    return f"rem:appt:{appointment.id}:{kind}:{int(appointment.starts_at.timestamp())}"


async def live_appointments(session: AsyncSession, ids: Iterable[int], now: datetime) -> set[int]:
    """Which of these appointments are still ahead and not cancelled."""
    rows = await session.scalars(
        select(Appointment.id).where(
            Appointment.id.in_(list(ids)),
            Appointment.state.in_(UPCOMING),
            Appointment.starts_at > now,
        )
    )
    return set(rows.all())


async def cancel_appointment_reminders(session: AsyncSession, appointment: Appointment) -> int:
    """Reminders not yet sent for this appointment are cancelled."""
    result = await session.execute(
        update(Outbox)
        .where(Outbox.national_id == appointment.national_id, Outbox.broadcast_id.is_(None))
        .where(Outbox.key.like(f"rem:appt:{appointment.id}:%"))
        .where(Outbox.state.in_(("queued", "held")))
        .values(state="cancelled", error="appointment changed")
        .execution_options(synchronize_session=False)
    )
    return affected(result) or 0


async def campaigns_ending(session: AsyncSession, day: Any) -> list[Campaign]:
    return list((await session.scalars(select(Campaign).where(Campaign.ends_on == day))).all())


async def deadline_reminders_done(session: AsyncSession, marker: str) -> bool:
    found = await session.scalar(
        select(AuditLog.id).where(
            AuditLog.action == "reminders.deadline", AuditLog.target == marker
        )
    )
    return found is not None


async def queue_deadline_reminders(
    session: AsyncSession,
    campaign: Campaign,
    days_before: int,
    texts: dict[str, str],
    sms_text: str | dict[str, str] | None,
    due_at: datetime,
    default_lang: str = "fa",
) -> int:
    """One INSERT…SELECT: every applicant with something left to do gets a reminder."""
    segment = {"campaign": str(campaign.id), "status": list(UNFINISHED)}
    aud = await audience(session, segment, default_lang)
    n = await insert_messages(
        session, aud, key_prefix=f"rem:camp:{campaign.id}:{days_before}d:", kind="reminder",
        texts=texts, sms_text=sms_text, due_at=due_at,
    )  # fmt: skip
    marker = f"campaign:{campaign.id}:{days_before}d"
    await audit(session, "system", "reminders.deadline", marker, after={"queued": n})
    return n
