"""Staff casework queries: find a case by card, record status events, appointments, flags."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Application, Appointment, National, StatusEvent, utcnow


async def national_by_card(session: AsyncSession, card_number: str) -> National | None:
    return await session.scalar(select(National).where(National.card_number == card_number))


async def nationals_by_cards(session: AsyncSession, cards: Iterable[str]) -> dict[str, National]:
    """Card number -> National for the cards that exist (chunked: IN lists have limits)."""
    wanted = sorted(set(cards))
    found: dict[str, National] = {}
    for i in range(0, len(wanted), 1000):
        rows = await session.scalars(
            select(National).where(National.card_number.in_(wanted[i : i + 1000]))
        )
        found |= {n.card_number: n for n in rows}
    return found


async def current_application(
    session: AsyncSession, national_id: int, *, lock: bool = False
) -> Application | None:
    """The national's case in the newest campaign they have one in."""
    stmt = (
        select(Application)
        .where(Application.national_id == national_id)
        .order_by(Application.campaign_id.desc(), Application.id.desc())
        .limit(1)
    )
    if lock:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def add_status_event(
    session: AsyncSession,
    application: Application,
    status: str,
    *,
    note: str,
    actor: str,
    at: datetime | None = None,
) -> StatusEvent:
    """Move the case and record the event (flushed, so its id names the notification)."""
    application.status = status
    application.updated_at = utcnow()
    event = StatusEvent(
        application_id=application.id, status=status, note=note, actor=actor[:64],
        at=at or utcnow(),
    )  # fmt: skip
    session.add(event)
    await session.flush()
    return event


def set_exemption(application: Application, body: str, certificate: str) -> None:
    application.exemption_body = body
    application.exemption_certificate = certificate


def set_identity_checked(application: Application) -> None:
    application.identity_checked = True
    application.updated_at = utcnow()


async def find_appointment(
    session: AsyncSession, national_id: int, starts_at: datetime
) -> Appointment | None:
    """The same person at the same time: a re-imported row, not a new booking."""
    return await session.scalar(
        select(Appointment).where(
            Appointment.national_id == national_id, Appointment.starts_at == starts_at
        )
    )


async def add_appointment(
    session: AsyncSession,
    *,
    national_id: int,
    application_id: int | None,
    office: str,
    address: str,
    starts_at: datetime,
    attendees: str,
    purpose: str,
) -> Appointment:
    appt = Appointment(
        national_id=national_id, application_id=application_id, office=office[:120],
        address=address[:300], starts_at=starts_at, attendees=attendees[:200],
        purpose=purpose[:200], state="booked",
    )  # fmt: skip
    session.add(appt)
    await session.flush()
    return appt
