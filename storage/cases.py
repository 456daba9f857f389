"""Cases (applications): opening one race-free, opening a campaign's set-wise, closing a window.

One case per national per campaign is the table's unique constraint; every door inserts with
ON CONFLICT DO NOTHING, so two doors at once give one case and the loser learns it existed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    case,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audience import Audience, _people, insert_messages
from storage.db import affected, inserted
from storage.models import (
    Application,
    Appointment,
    AuditLog,
    Campaign,
    Complaint,
    National,
    Receipt,
    StatusEvent,
)
from storage.outbox import insert_for
from storage.statuses import TRANSITIONS, Status

# The statuses a closing window ends: those the vocabulary lets move to missed_window (the
# case never reached a slip, payment or exemption).
CLOSABLE = tuple(sorted(s.value for s, nxt in TRANSITIONS.items() if Status.MISSED_WINDOW in nxt))


async def case_in(session: AsyncSession, national_id: int, campaign_id: int) -> Application | None:
    return await session.scalar(
        select(Application).where(
            Application.national_id == national_id, Application.campaign_id == campaign_id
        )
    )


async def insert_case(
    session: AsyncSession, national_id: int, campaign_id: int, now: datetime
) -> Application | None:
    """A new case in `registered`, or None when the national has one in this campaign."""
    stmt = (
        insert_for(session)(Application)
        .values(national_id=national_id, campaign_id=campaign_id, status="registered",
                identity_checked=False, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["national_id", "campaign_id"])
        .returning(Application.id)
    )  # fmt: skip
    new_id = (await session.execute(stmt)).scalar_one_or_none()
    return None if new_id is None else await session.get(Application, new_id)


def covering_rule(camp: Campaign, today: date) -> ColumnElement[bool]:
    """handlers.eligibility's document rules as SQL: round, expiry, a valid transit sheet."""
    rule: list[ColumnElement[bool]] = [true()]
    if camp.provinces:
        rule.append(National.province.in_(camp.provinces))
    if camp.eligible_rounds:  # an unknown round is not held against anyone (as in eligibility)
        rule.append(or_(National.card_round.is_(None),
                        National.card_round.in_(camp.eligible_rounds)))  # fmt: skip
    if camp.max_days_expired is not None:
        rule.append(National.card_expiry >= camp.starts_on - timedelta(camp.max_days_expired))
    rule.append(National.transit_sheet_expiry >= max(today, camp.starts_on))
    return and_(*rule)


def _without_case(camp: Campaign) -> ColumnElement[bool]:
    """No case in the campaign yet. The cases that exist are read once (a MATERIALIZED CTE):
    a correlated NOT EXISTS against the table being filled was planned as a scan per national
    while the fresh table's statistics said it was empty, which made the INSERT quadratic."""
    existing = (
        select(Application.national_id)
        .where(Application.campaign_id == camp.id)
        .cte("existing")
        .prefix_with("MATERIALIZED")
    )
    return National.id.not_in(select(existing.c.national_id))


async def count_openable(session: AsyncSession, camp: Campaign, today: date) -> int:
    stmt = select(func.count()).select_from(National)
    stmt = stmt.where(covering_rule(camp, today), _without_case(camp))
    return int(await session.scalar(stmt) or 0)


async def open_all(
    session: AsyncSession, camp: Campaign, today: date, now: datetime, steps: Sequence[str]
) -> int:
    """One INSERT…SELECT of a case per eligible national without one, and one of their events
    (on PostgreSQL in the same statement, from the cases' RETURNING).

    `steps` are the statuses each new case passes through (registered, then maybe
    awaiting_payment); the last one is the case's status. Returns the cases opened.
    """
    cols = ["national_id", "campaign_id", "status", "identity_checked", "created_at",
            "updated_at"]  # fmt: skip
    q = select(
        National.id, literal(camp.id), literal(steps[-1], String), false(),
        literal(now, Application.created_at.type), literal(now, Application.updated_at.type),
    ).where(covering_rule(camp, today), _without_case(camp))  # fmt: skip
    # ON CONFLICT: a case another door opens meanwhile is left to it, not an error.
    stmt = (
        insert_for(session)(Application)
        .from_select(cols, q)
        .on_conflict_do_nothing(index_elements=["national_id", "campaign_id"])
    )
    ev_cols = ["application_id", "status", "note", "actor", "at"]
    if session.get_bind().dialect.name == "postgresql":
        # One statement: the events are written from the cases' RETURNING (a data-modifying
        # CTE), so the freshly filled table is not read again (no plan on its stale statistics).
        new_cases = stmt.returning(Application.id).cte("new_cases")
        parts = [_event_rows(new_cases.c.id, st, now) for st in steps]
        events = insert_for(session)(StatusEvent).from_select(ev_cols, union_all(*parts))
        return affected(await session.execute(events)) // len(steps)
    opened = await inserted(session, await session.execute(stmt))
    if opened:
        # The new cases are the campaign's rows created at `now` with no event yet.
        new = and_(Application.campaign_id == camp.id, Application.created_at == now)
        parts = [_event_rows(Application.id, st, now).where(new) for st in steps]
        await session.execute(
            insert_for(session)(StatusEvent).from_select(ev_cols, union_all(*parts))
        )
    return opened


def _event_rows(application_id: Any, status: str, now: datetime) -> Any:
    """The first event `status` of each case whose id is `application_id`."""
    return select(application_id.label("application_id"), literal(status, String).label("status"),
                  literal("", String).label("note"), literal("system", String).label("actor"),
                  literal(now, StatusEvent.at.type).label("at"))  # fmt: skip


@dataclass
class Closing:
    moved: int
    notified: int


async def close_window(
    session: AsyncSession,
    camp: Campaign,
    now: datetime,
    texts: dict[str, str],
    sms_text: str | dict[str, str],
    default_lang: str = "fa",
) -> Closing:
    """Every case of the campaign still in a CLOSABLE status -> missed_window, set-wise:
    one event each, one notice each (keyed by case, so a rerun adds none), then the move."""
    closable = and_(Application.campaign_id == camp.id, Application.status.in_(CLOSABLE))
    ev = select(
        Application.id,
        literal("missed_window", String),
        literal("", String),
        literal("system", String),
        literal(now, StatusEvent.at.type),
    ).where(closable)
    await session.execute(
        insert_for(session)(StatusEvent).from_select(
            ["application_id", "status", "note", "actor", "at"], ev)
    )  # fmt: skip
    aud = _case_audience(session, closable, default_lang)
    notified = await insert_messages(
        session, aud, key_prefix=f"missed:{camp.id}:", kind="notice", texts=texts,
        sms_text=sms_text, due_at=now,
    )  # fmt: skip
    result = await session.execute(
        update(Application).where(closable).values(status="missed_window", updated_at=now)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    return Closing(await inserted(session, result), notified)


def _case_audience(
    session: AsyncSession, where: ColumnElement[bool], default_lang: str
) -> Audience:
    """Each case holder's best chat or mobile: a personal notice, so announcement opt-outs
    do not apply (unlike storage.audience.audience)."""
    lang = func.coalesce(National.language, default_lang)
    pg = session.get_bind().dialect.name == "postgresql"
    has_case = select(Application.id).where(Application.national_id == National.id, where)
    a = _people(pg, lang).where(has_case.exists()).cte("holders")
    address = func.coalesce(a.c.chat, a.c.mobile)
    channel = case((a.c.chat.is_not(None), "telegram"), else_="sms")
    q = select().select_from(a).where(address.is_not(None))
    return Audience(q, a.c.nid, a.c.lang, channel, address)


async def campaigns_closed_before(session: AsyncSession, today: date) -> Sequence[Campaign]:
    """Campaigns whose window has ended and that still have a closable case."""
    has = select(Application.id).where(
        Application.campaign_id == Campaign.id, Application.status.in_(CLOSABLE)
    )
    rows = await session.scalars(
        select(Campaign).where(Campaign.ends_on < today, has.exists()).order_by(Campaign.id)
    )
    return rows.all()


@dataclass
class CaseFile:
    """What `amayesh case show` prints: the case, its history and what hangs on it."""

    national: National
    cases: list[tuple[Application, Campaign]]
    events: dict[int, list[StatusEvent]]
    receipts: list[Receipt]
    appointments: list[Appointment]
    complaints: list[Complaint]


async def case_file(session: AsyncSession, national: National) -> CaseFile:
    rows = await session.execute(
        select(Application, Campaign)
        .join(Campaign, Campaign.id == Application.campaign_id)
        .where(Application.national_id == national.id)
        .order_by(Campaign.starts_on.desc(), Application.id.desc())
    )
    cases = [(a, c) for a, c in rows]
    events: dict[int, list[StatusEvent]] = {}
    for app, _ in cases:
        evs = await session.scalars(
            select(StatusEvent).where(StatusEvent.application_id == app.id)
            .order_by(StatusEvent.at, StatusEvent.id)
        )  # fmt: skip
        events[app.id] = list(evs)

    async def all_of(model: Any, order: Any) -> list[Any]:
        got = await session.scalars(
            select(model).where(model.national_id == national.id).order_by(order)
        )
        return list(got)

    return CaseFile(
        national, cases, events, await all_of(Receipt, Receipt.created_at),
        await all_of(Appointment, Appointment.starts_at),
        await all_of(Complaint, Complaint.created_at),
    )  # fmt: skip


async def last_event_at(session: AsyncSession, application_id: int) -> datetime | None:
    return await session.scalar(
        select(func.max(StatusEvent.at)).where(StatusEvent.application_id == application_id)
    )


async def window_closed(session: AsyncSession, marker: str) -> bool:
    """The window-closing move already ran for this campaign (its audit row is the marker)."""
    found = await session.scalar(
        select(AuditLog.id)
        .where(AuditLog.action == "case.window_closed", AuditLog.target == marker)
        .limit(1)
    )
    return found is not None
