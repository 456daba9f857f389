"""The console's searches: nationals by card, household, mobile or name; one person's file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnClause, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Application,
    Appointment,
    AuditLog,
    Broadcast,
    Campaign,
    Complaint,
    Contact,
    Household,
    InboundSms,
    National,
    Outbox,
    Receipt,
    StatusEvent,
)  # fmt: skip

LIMIT = 50
ZWNJ = "\u200c"
# The same expressions as the indexes of migration 0006 (PostgreSQL matches them by text).
FULL_KEY: ColumnClause[str] = literal_column(
    f"replace(replace(nationals.first_name || nationals.last_name, '{ZWNJ}', ''), ' ', '')"
)
LAST_KEY: ColumnClause[str] = literal_column(
    f"replace(replace(nationals.last_name, '{ZWNJ}', ''), ' ', '')"
)


def name_key(text: str) -> str:
    """A typed name as the index keys it: no ZWNJ, ZWJ, tatweel or spaces."""
    return "".join(text.replace(ZWNJ, "").replace("\u200d", "").replace("\u0640", "").split())


def _like_prefix(key: str) -> str:
    return key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def by_identifier(
    session: AsyncSession, card: str, household: str, mobile: str | None
) -> Sequence[National]:
    """Exact card number, household number or mobile (each its own unique or plain index)."""
    found: dict[int, National] = {}
    for stmt in (
        select(National).where(National.card_number == card),
        select(National).join(Household, Household.id == National.household_id)
        .where(Household.household_number.in_({card, household})),
        select(National).where(National.mobile == mobile) if mobile else None,
    ):  # fmt: skip
        if stmt is not None:
            found |= {n.id: n for n in await session.scalars(stmt.limit(LIMIT))}
    return list(found.values())[:LIMIT]


async def by_name(session: AsyncSession, key: str) -> Sequence[National]:
    """Full name (first then last) or last name starting with the typed key."""
    like = _like_prefix(key)
    rows = await session.scalars(
        select(National)
        .where(or_(FULL_KEY.like(like, escape="\\"), LAST_KEY.like(like, escape="\\")))
        .limit(LIMIT)
    )
    return sorted(rows, key=lambda n: (n.last_name, n.first_name, n.id))


@dataclass
class File:
    """Everything the console shows on one national's page."""

    national: National
    household: str | None
    members: list[National]
    cases: list[tuple[Application, Campaign | None, list[StatusEvent]]]
    receipts: list[Receipt]
    appointments: list[Appointment]
    complaints: list[Complaint]
    messages: list[Outbox]
    inbound: list[InboundSms]
    contacts: list[Contact]
    actions: list[AuditLog] = field(default_factory=list)


async def _all(session: AsyncSession, stmt: Any) -> list[Any]:
    return list((await session.scalars(stmt)).all())


async def _members(session: AsyncSession, n: National) -> list[National]:
    if n.household_id is None:
        return []
    stmt = select(National).where(National.household_id == n.household_id, National.id != n.id)
    return await _all(session, stmt.order_by(National.is_head.desc(), National.birth_year))


async def _cases(
    session: AsyncSession, national_id: int
) -> list[tuple[Application, Campaign | None, list[StatusEvent]]]:
    stmt = select(Application).where(Application.national_id == national_id)
    cases = []
    for app in await _all(session, stmt.order_by(Application.id.desc())):
        events = select(StatusEvent).where(StatusEvent.application_id == app.id)
        events = events.order_by(StatusEvent.at, StatusEvent.id)
        cases.append(
            (app, await session.get(Campaign, app.campaign_id), await _all(session, events))
        )
    return cases


async def _messages(session: AsyncSession, national_id: int, limit: int) -> list[Outbox]:
    """Newest first; a broadcast copy is found through (broadcast_id, national_id)."""
    mine = select(Outbox).where(Outbox.national_id == national_id)
    sent = await _all(
        session, mine.where(Outbox.broadcast_id.is_(None)).order_by(Outbox.id.desc()).limit(limit)
    )
    broadcasts = await _all(session, select(Broadcast.id))
    if broadcasts:
        copies = mine.where(Outbox.broadcast_id.in_(broadcasts))
        sent += await _all(session, copies.order_by(Outbox.id.desc()).limit(limit))
    return sorted(sent, key=lambda m: (m.created_at, m.id), reverse=True)[:limit]


def _of(model: Any, national_id: int, order: Any) -> Any:
    return select(model).where(model.national_id == national_id).order_by(order)


async def national_file(session: AsyncSession, national_id: int, limit: int = 100) -> File | None:
    n = await session.get(National, national_id)
    if n is None:
        return None
    hh = await session.get(Household, n.household_id) if n.household_id else None
    cases = await _cases(session, n.id)
    receipts = await _all(session, _of(Receipt, n.id, Receipt.id.desc()))
    complaints = await _all(session, _of(Complaint, n.id, Complaint.id.desc()))
    appts = await _all(session, _of(Appointment, n.id, Appointment.starts_at.desc()))
    inbound = []
    if n.mobile:
        stmt = select(InboundSms).where(InboundSms.sender == n.mobile)
        inbound = await _all(session, stmt.order_by(InboundSms.id.desc()).limit(limit))
    targets = [f"national:{n.id}", *(f"application:{a.id}" for a, _, _ in cases)]
    targets += [f"receipt:{r.id}" for r in receipts] + [f"complaint:{c.id}" for c in complaints]
    targets += [f"appointment:{a.id}" for a in appts]
    actions = select(AuditLog).where(AuditLog.target.in_(targets))
    return File(
        national=n, household=hh.household_number if hh else None,
        members=await _members(session, n), cases=cases, receipts=receipts,
        appointments=appts, complaints=complaints,
        messages=await _messages(session, n.id, limit), inbound=inbound,
        contacts=await _all(session, select(Contact).where(Contact.national_id == n.id)),
        actions=await _all(session, actions.order_by(AuditLog.id.desc()).limit(limit)),
    )  # fmt: skip
