"""The senders' side of the outbox: claim due rows under a lease, record what happened."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnClause,
    String,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import affected
from storage.models import Broadcast, Contact, Outbox, utcnow
from storage.outbox import sms_address

# Interactive kinds are never held back by quiet hours, whatever their `urgent` flag says.
ALWAYS_URGENT = ("reply", "otp")
_T = Outbox.__table__
# Inlined (not bound) so the planners can match the partial index ix_outbox_direct.
_QUEUED: ColumnClause[str] = literal_column("'queued'")
COLUMNS = (
    Outbox.id, Outbox.key, Outbox.kind, Outbox.channel, Outbox.address, Outbox.lang,
    Outbox.text, Outbox.sms_text, Outbox.payload, Outbox.national_id, Outbox.urgent,
    Outbox.deadline_at, Outbox.attempts, Outbox.broadcast_id, Outbox.fell_back,
)  # fmt: skip


@dataclass
class Job:
    """A claimed outbox row, detached from the session."""

    id: int
    key: str
    kind: str
    channel: str
    address: str
    lang: str
    text: str
    sms_text: str | None
    payload: dict[str, Any] | None
    national_id: int | None
    urgent: bool
    deadline_at: datetime | None
    attempts: int
    broadcast_id: int | None
    fell_back: bool


@dataclass
class Outcome:
    """What became of one job; `state` is sent | delivered | failed | queued (retry) | cancelled
    | held (the SMS account cannot send: kept, not failed). `refund`: this try does not count
    towards the attempts (the row was never offered to the provider)."""

    id: int
    state: str
    error: str | None = None
    provider_ref: str | None = None
    sms_parts: int | None = None
    due_at: datetime | None = None
    at: datetime | None = None
    refund: bool = False


def _jobs(rows: Sequence[Any]) -> list[Job]:
    return sorted((Job(**row._mapping) for row in rows), key=lambda j: j.id)


async def claim(
    session: AsyncSession,
    owner: str,
    channel: str,
    limit: int,
    *,
    lease_seconds: float = 120.0,
    urgent_only: bool = False,
    now: datetime | None = None,
) -> list[Job]:
    """Lease up to `limit` due rows of a channel: direct messages first, then broadcast copies."""
    now = now or utcnow()
    jobs = await _claim(session, owner, channel, limit, lease_seconds, urgent_only, now, True)
    if len(jobs) < limit:
        more = limit - len(jobs)
        jobs += await _claim(session, owner, channel, more, lease_seconds, urgent_only, now, False)
    return jobs


async def _claim(
    session: AsyncSession,
    owner: str,
    channel: str,
    limit: int,
    lease_seconds: float,
    urgent_only: bool,
    now: datetime,
    direct: bool,
) -> list[Job]:
    due = select(Outbox.id).where(Outbox.state == _QUEUED, Outbox.channel == channel)
    due = due.where(Outbox.due_at <= now).order_by(Outbox.due_at).limit(limit)
    if direct:  # a notice must not wait behind a million broadcast copies
        due = due.where(Outbox.broadcast_id.is_(None))
    if urgent_only:
        due = due.where(or_(Outbox.urgent.is_(True), Outbox.kind.in_(ALWAYS_URGENT)))
    if session.get_bind().dialect.name == "postgresql":
        # Several workers share the outbox: each takes rows the others have not locked.
        due = due.with_for_update(skip_locked=True)
    stmt = (
        update(Outbox)
        .where(Outbox.id.in_(due.scalar_subquery()), Outbox.state == "queued")
        .values(state="sending", lease_owner=owner, attempts=Outbox.attempts + 1,
                lease_until=now + timedelta(seconds=lease_seconds))
        .returning(*COLUMNS)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    return _jobs((await session.execute(stmt)).all())


async def cancelled_broadcasts(session: AsyncSession, ids: set[int]) -> set[int]:
    """Which of these broadcasts were cancelled (their claimed copies are not sent)."""
    if not ids:
        return set()
    rows = await session.scalars(
        select(Broadcast.id).where(Broadcast.id.in_(ids), Broadcast.state == "cancelled")
    )
    return set(rows)


async def claimed(session: AsyncSession, owner: str, ids: Sequence[int]) -> list[Job]:
    """Rows an interactive adapter enqueued with claim_for=owner, to send right away."""
    if not ids:
        return []
    rows = await session.execute(
        select(*COLUMNS).where(
            Outbox.id.in_(list(ids)), Outbox.state == "sending", Outbox.lease_owner == owner
        )
    )
    return _jobs(rows.all())


_ST = bindparam("st", type_=String)
# Cancel is final: a copy of a cancelled broadcast that was in flight is never written back
# queued/held for another try (cancel itself only moves the rows that were not in flight).
_CANCELLED = exists().where(Broadcast.id == _T.c.broadcast_id, Broadcast.state == "cancelled")
_RECORD = (
    _T.update()
    .where(
        _T.c.id == bindparam("oid"),
        _T.c.lease_owner == bindparam("owner"),
        _T.c.state == "sending",
    )
    .values(
        state=case(
            (and_(or_(_ST == "queued", _ST == "held"), _T.c.broadcast_id.is_not(None), _CANCELLED),
             "cancelled"),
            else_=_ST,
        ),
        attempts=_T.c.attempts - bindparam("refund"),
        error=func.coalesce(bindparam("err", type_=_T.c.error.type), _T.c.error),
        provider_ref=func.coalesce(bindparam("ref", type_=_T.c.provider_ref.type),
                                   _T.c.provider_ref),
        sms_parts=func.coalesce(bindparam("parts", type_=_T.c.sms_parts.type), _T.c.sms_parts),
        sent_at=func.coalesce(bindparam("sent", type_=_T.c.sent_at.type), _T.c.sent_at),
        delivered_at=func.coalesce(bindparam("dlv", type_=_T.c.delivered_at.type),
                                   _T.c.delivered_at),
        due_at=func.coalesce(bindparam("due", type_=_T.c.due_at.type), _T.c.due_at),
        lease_owner=None,
        lease_until=None,
    )
)  # fmt: skip


async def record(session: AsyncSession, owner: str, outcomes: Sequence[Outcome]) -> None:
    """Write many outcomes in one statement; rows whose lease we lost are left alone."""
    if not outcomes:
        return
    now = utcnow()
    params = []
    for o in sorted(outcomes, key=lambda o: o.id):  # one lock order for every writer
        at = o.at or now
        sent = at if o.state in ("sent", "delivered") else None
        params.append(dict(
            oid=o.id, owner=owner, st=o.state, err=o.error and o.error[:200],
            ref=o.provider_ref, parts=o.sms_parts, sent=sent,
            dlv=at if o.state == "delivered" else None, due=o.due_at, refund=int(o.refund),
        ))  # fmt: skip
    conn = await session.connection()
    await conn.execute(_RECORD, params)


async def reroute_to_sms(
    session: AsyncSession, owner: str, job: Job, reason: str, *, unreachable: bool
) -> Job | None:
    """Move a Telegram job to the national's mobile (still leased to us); None if none."""
    if unreachable:
        await mark_unreachable(session, job.channel, job.address, reason)
    mobile = await sms_address(session, job.national_id) if job.national_id else None
    if not mobile:
        return None
    text = job.sms_text or job.text
    await session.execute(
        update(Outbox)
        .where(Outbox.id == job.id, Outbox.lease_owner == owner)
        # The SMS gets its own tries: Telegram's must not use them up (it may have had 8).
        .values(
            channel="sms", address=mobile, text=text, fell_back=True, error=reason[:200], attempts=1
        )
    )
    job.channel, job.address, job.text, job.fell_back, job.attempts = "sms", mobile, text, True, 1
    return job


async def mark_unreachable(session: AsyncSession, channel: str, address: str, reason: str) -> None:
    """Later messages to this chat go straight to SMS (route() skips unreachable contacts)."""
    await session.execute(
        update(Contact)
        .where(Contact.channel == channel, Contact.address == address)
        .values(reachable=False, unreachable_reason=reason[:120], updated_at=utcnow())
    )


async def mark_reachable(session: AsyncSession, channel: str, address: str) -> None:
    """The national wrote to the bot again: their chat takes messages again."""
    await session.execute(
        update(Contact)
        .where(Contact.channel == channel, Contact.address == address)
        .where(Contact.reachable.is_(False))
        .values(reachable=True, unreachable_reason=None, updated_at=utcnow())
    )


async def requeue_expired(
    session: AsyncSession, now: datetime | None = None, *, not_owner: str | None = None
) -> int:
    """Give back rows whose sender died (lease ran out); with not_owner, every foreign lease."""
    stmt = update(Outbox).where(Outbox.state == "sending")
    if not_owner is not None:  # SQLite: one process, so any other owner is a dead process
        stmt = stmt.where(or_(Outbox.lease_owner.is_(None), Outbox.lease_owner != not_owner))
    else:
        stmt = stmt.where(Outbox.lease_until < (now or utcnow()))
    stmt = stmt.values(state="queued", lease_owner=None, lease_until=None)
    result = await session.execute(stmt.execution_options(synchronize_session=False))
    return affected(result) or 0


async def release(session: AsyncSession, owner: str) -> int:
    """A worker stopping hands its unsent rows back to the queue."""
    result = await session.execute(
        update(Outbox)
        .where(Outbox.state == "sending", Outbox.lease_owner == owner)
        .values(state="queued", lease_owner=None, lease_until=None)
    )
    return affected(result) or 0


async def renew_leases(
    session: AsyncSession, owner: str, lease_seconds: float, now: datetime | None = None
) -> None:
    """Keep our leases alive while we work (a long 429 pause, a slow gateway)."""
    mine = select(Outbox.id).where(Outbox.state == "sending", Outbox.lease_owner == owner)
    if session.get_bind().dialect.name == "postgresql":
        # A row locked now is being recorded (it leaves 'sending'): waiting for it while holding
        # other rows deadlocked against the recorder's statement.
        mine = mine.with_for_update(skip_locked=True)
    await session.execute(
        update(Outbox)
        .where(Outbox.id.in_(mine.scalar_subquery()), Outbox.lease_owner == owner)
        .values(lease_until=(now or utcnow()) + timedelta(seconds=lease_seconds))
        .execution_options(synchronize_session=False)
    )
