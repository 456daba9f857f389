"""Writing to the outbox: one row per message, at most one per idempotency key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact, National, Outbox, utcnow

# Every kind that can reach a national by SMS has a deadline: past it (or past the attempts) a
# message Telegram keeps refusing with 5xx/timeouts goes by SMS instead, once. Notices and
# reminders matter within the hour; a broadcast copy may wait longer (its fallback costs money).
DEADLINES: dict[str, timedelta] = {
    "notice": timedelta(minutes=30),
    "reminder": timedelta(hours=1),
    "broadcast": timedelta(hours=6),
}


# The columns a sender needs, as a Job holds them (claims and enqueue_reply return these).
COLUMNS = (
    Outbox.id, Outbox.key, Outbox.kind, Outbox.channel, Outbox.address, Outbox.lang,
    Outbox.text, Outbox.sms_text, Outbox.payload, Outbox.national_id, Outbox.urgent,
    Outbox.deadline_at, Outbox.attempts, Outbox.broadcast_id, Outbox.fell_back,
)  # fmt: skip


@dataclass
class Job:
    """An outbox row leased to a sender, detached from the session. Always built from a row the
    database returned (`Job(**row._mapping)` over COLUMNS), never field by field."""

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


def default_deadline(kind: str, due_at: datetime) -> datetime | None:
    """The deadline of a row of `kind` due at `due_at` when its writer gave none."""
    span = DEADLINES.get(kind)
    return None if span is None else due_at + span


def insert_for(session: AsyncSession) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT DO NOTHING."""
    return insert_of(_dialect(session))


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def insert_of(dialect: str) -> Any:
    return pg_insert if dialect == "postgresql" else sqlite_insert


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    channel: str,
    address: str,
    text: str,
    lang: str = "fa",
    national_id: int | None = None,
    sms_text: str | None = None,
    payload: dict[str, Any] | None = None,
    urgent: bool = False,
    due_at: datetime | None = None,
    deadline_at: datetime | None = None,
) -> int | None:
    """Queue one message in the caller's transaction; None when `key` was used before. (A reply
    the answering process sends itself is written by `enqueue_reply`.)"""
    due_at = due_at or utcnow()
    values = _row(
        key=key, kind=kind, channel=channel, address=address, text=text, lang=lang,
        national_id=national_id, sms_text=sms_text, payload=payload, urgent=urgent,
        due_at=due_at, deadline_at=deadline_at or default_deadline(kind, due_at),
    )  # fmt: skip
    result = await session.execute(_insert_stmt(_dialect(session), False), values)
    return result.scalar_one_or_none()


# As the worker's leases (bot/worker.py): a dead answerer's replies are taken over soon.
REPLY_LEASE_SECONDS = 15.0


async def enqueue_reply(
    session: AsyncSession,
    *,
    owner: str,
    key: str,
    channel: str,
    address: str,
    text: str,
    lang: str,
    national_id: int | None = None,
    payload: dict[str, Any] | None = None,
    lease_seconds: float = REPLY_LEASE_SECONDS,
) -> Job | None:
    """Queue a reply to a chat leased to `owner` (the process answering: urgent, quiet hours
    never hold it) and return the row as the database wrote it, for `Delivery.send` after
    commit; None when `key` was used before (a replayed update). The lease means the worker
    leaves it alone unless that process dies."""
    now = utcnow()
    values = _row(
        key=key, kind="reply", channel=channel, address=address, text=text, lang=lang,
        national_id=national_id, sms_text=None, payload=payload, urgent=True, due_at=now,
        deadline_at=None,
    ) | dict(state="sending", lease_owner=owner,
             lease_until=now + timedelta(seconds=lease_seconds))  # fmt: skip
    result = await session.execute(_insert_stmt(_dialect(session), True), values)
    row = result.one_or_none()
    return None if row is None else Job(**row._mapping)


def _row(**values: Any) -> dict[str, Any]:
    """A new outbox row's values: the caller's, queued, not yet tried."""
    key = values.pop("key")
    return values | dict(key=key[:160], state="queued", attempts=0, fell_back=False,
                         created_at=utcnow())  # fmt: skip


# The conflict targets of the outbox's two partial unique indexes (see models.messaging).
KEY_CONFLICT: dict[str, Any] = {
    "index_elements": ["key"],
    "index_where": Outbox.broadcast_id.is_(None),
}
BROADCAST_CONFLICT: dict[str, Any] = {
    "index_elements": ["broadcast_id", "national_id"],
    "index_where": Outbox.broadcast_id.is_not(None),
}


@cache
def _insert_stmt(dialect: str, job: bool) -> Any:
    """One INSERT per dialect, built once: the values travel as parameters, so every call hits
    SQLAlchemy's compiled-statement cache instead of rebuilding the statement (hot path).
    With `job` it returns the sender's columns (a Job), else the id."""
    stmt = insert_of(dialect)(Outbox).on_conflict_do_nothing(**KEY_CONFLICT)
    return stmt.returning(*COLUMNS) if job else stmt.returning(Outbox.id)


async def route(session: AsyncSession, national_id: int) -> tuple[str, str] | None:
    """Where a national is reached: a reachable linked chat, else their mobile on record."""
    chat = await session.scalar(
        select(Contact.address)
        .where(Contact.national_id == national_id, Contact.channel == "telegram")
        .where(Contact.reachable.is_(True))
        .order_by(Contact.updated_at.desc())
        .limit(1)
    )
    if chat:
        return "telegram", chat
    mobile = await sms_address(session, national_id)
    return ("sms", mobile) if mobile else None


async def sms_address(session: AsyncSession, national_id: int) -> str | None:
    """The verified mobile if there is one, else the registry's."""
    verified = await session.scalar(
        select(Contact.address)
        .where(Contact.national_id == national_id, Contact.channel == "sms")
        .where(Contact.verified.is_(True), Contact.reachable.is_(True))
        .limit(1)
    )
    if verified:
        return verified
    return await session.scalar(select(National.mobile).where(National.id == national_id))


async def notify(
    session: AsyncSession,
    national_id: int,
    *,
    key: str,
    kind: str,
    text: str,
    lang: str,
    sms_text: str | None = None,
    **extra: Any,
) -> int | None:
    """Queue a message to a national by the best channel; None if unreachable or a repeat."""
    where = await route(session, national_id)
    if where is None:
        return None
    channel, address = where
    return await enqueue(
        session, key=key, kind=kind, channel=channel, address=address, text=text, lang=lang,
        national_id=national_id, sms_text=sms_text, **extra,
    )  # fmt: skip
