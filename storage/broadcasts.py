"""Broadcasts: expand a segment into outbox rows in one statement; pause, resume, cancel, report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audience import audience, count, insert_messages
from storage.db import affected
from storage.models import Broadcast, Outbox, utcnow

RATE_WINDOW = timedelta(seconds=60)
_OPEN = ("queued", "held", "sending")


async def create(
    session: AsyncSession,
    actor: str,
    segment: dict[str, Any],
    texts: dict[str, str],
    sms_text: str | None = None,
    scheduled_at: datetime | None = None,
    form_token: str | None = None,
) -> Broadcast:
    """A draft (or a scheduled broadcast); nothing is queued until it starts."""
    b = Broadcast(created_by=actor, segment=segment, texts=texts, sms_text=sms_text,
                  scheduled_at=scheduled_at, state="scheduled" if scheduled_at else "draft",
                  total=0, created_at=utcnow(), form_token=form_token)  # fmt: skip
    session.add(b)
    await session.flush()
    return b


async def get(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    return await session.get(Broadcast, broadcast_id)


async def by_form_token(session: AsyncSession, token: str) -> Broadcast | None:
    return await session.scalar(select(Broadcast).where(Broadcast.form_token == token))


async def recent(
    session: AsyncSession, limit: int = 50, before: int | None = None
) -> list[Broadcast]:
    """The newest broadcasts first (the console's list), paged by id."""
    q = select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)
    if before is not None:
        q = q.where(Broadcast.id < before)
    return list((await session.scalars(q)).all())


async def preview(
    session: AsyncSession, segment: dict[str, Any], lang: str = "fa"
) -> dict[str, int]:
    """How many would receive it, by channel (unlinked subscribers included)."""
    from storage import strangers

    counts = await count(session, await audience(session, segment, lang))
    for channel, n in (await strangers.count(session, segment, lang)).items():
        counts[channel] = counts.get(channel, 0) + n
    return counts


async def start(
    session: AsyncSession, b: Broadcast, now: datetime, default_lang: str = "fa"
) -> int:
    """Queue one row per recipient (INSERT…SELECT); running from now on. Returns rows added."""
    aud = await audience(session, b.segment, default_lang)
    added = await insert_messages(
        session, aud, key_prefix=f"bc:{b.id}:", kind="broadcast", texts=b.texts,
        sms_text=b.sms_text, due_at=now, broadcast_id=b.id, fresh=await _fresh(session, b),
    )  # fmt: skip
    from storage import strangers  # subscribers who linked no card (storage/strangers.py)

    added += await strangers.queue(
        session, b.segment, broadcast_id=b.id, texts=b.texts, sms_text=b.sms_text, due_at=now,
        default_lang=default_lang,
    )  # fmt: skip
    b.state, b.started_at, b.total = "running", now, b.total + added
    return added


async def _fresh(session: AsyncSession, b: Broadcast) -> bool:
    """PostgreSQL: no copy of `b` is queued yet. The broadcast's row is locked first, so a
    concurrent start of the same broadcast waits for ours and then sees our rows."""
    if session.get_bind().dialect.name != "postgresql":
        return False  # one writer at a time; the single insert keeps its ON CONFLICT
    await session.execute(select(Broadcast.id).where(Broadcast.id == b.id).with_for_update())
    mine = select(Outbox.id).where(Outbox.broadcast_id == b.id).limit(1)
    return await session.scalar(mine) is None


async def due_scheduled(session: AsyncSession, now: datetime) -> list[Broadcast]:
    rows = await session.scalars(
        select(Broadcast).where(Broadcast.state == "scheduled", Broadcast.scheduled_at <= now)
    )
    return list(rows.all())


async def _move(session: AsyncSession, bid: int, frm: tuple[str, ...], to: str) -> int:
    result = await session.execute(
        update(Outbox)
        .where(Outbox.broadcast_id == bid, Outbox.state.in_(frm))
        .values(state=to)
        .execution_options(synchronize_session=False)
    )
    return affected(result) or 0


async def pause(session: AsyncSession, b: Broadcast) -> int:
    """Queued copies are held back; those already being sent finish."""
    b.state = "paused"
    return await _move(session, b.id, ("queued",), "held")


async def resume(session: AsyncSession, b: Broadcast) -> int:
    b.state = "running"
    return await _move(session, b.id, ("held",), "queued")


async def cancel(session: AsyncSession, b: Broadcast, now: datetime) -> int:
    b.state, b.finished_at = "cancelled", now
    return await _move(session, b.id, ("queued", "held"), "cancelled")


async def finish_done(session: AsyncSession, now: datetime) -> list[int]:
    """Running broadcasts with nothing left to send become done."""
    running = (await session.scalars(select(Broadcast).where(Broadcast.state == "running"))).all()
    done = []
    for b in running:
        left = await session.scalar(
            select(Outbox.id).where(Outbox.broadcast_id == b.id, Outbox.state.in_(_OPEN)).limit(1)
        )
        if left is None:
            b.state, b.finished_at = "done", now
            done.append(b.id)
    return done


@dataclass
class Progress:
    broadcast_id: int
    state: str
    total: int
    counts: dict[str, int]  # outbox state -> rows
    rate: float  # messages a second over the last minute
    eta_seconds: float | None  # None when nothing moves (paused, or not started)

    @property
    def remaining(self) -> int:
        return sum(self.counts.get(s, 0) for s in _OPEN)


async def progress(session: AsyncSession, b: Broadcast, now: datetime) -> Progress:
    rows = await session.execute(
        select(Outbox.state, func.count()).where(Outbox.broadcast_id == b.id).group_by(Outbox.state)
    )
    counts = {state: n for state, n in rows.all()}
    recent = await session.scalar(
        select(func.count())
        .where(Outbox.broadcast_id == b.id, Outbox.sent_at >= now - RATE_WINDOW)
        .where(Outbox.state.in_(("sent", "delivered", "failed")))
    )
    rate = (recent or 0) / RATE_WINDOW.total_seconds()
    p = Progress(b.id, b.state, b.total, counts, rate, None)
    if rate > 0 and b.state == "running":
        p.eta_seconds = p.remaining / rate
    return p


@dataclass
class Report:
    broadcast_id: int
    state: str
    total: int
    by_channel: dict[str, dict[str, int]]  # channel -> state -> rows
    fell_back: int
    sms_parts: int
    failures: list[tuple[str, int]] = field(default_factory=list)  # reason, rows (top 10)


async def report(session: AsyncSession, b: Broadcast) -> Report:
    """The delivery report: what reached whom by which channel, and why the rest failed."""
    mine = Outbox.broadcast_id == b.id
    rows = await session.execute(
        select(Outbox.channel, Outbox.state, func.count()).where(mine)
        .group_by(Outbox.channel, Outbox.state)
    )  # fmt: skip
    by_channel: dict[str, dict[str, int]] = {}
    for channel, state, n in rows.all():
        by_channel.setdefault(channel, {})[state] = n
    fell_back = await session.scalar(select(func.count()).where(mine, Outbox.fell_back.is_(True)))
    parts = await session.scalar(select(func.coalesce(func.sum(Outbox.sms_parts), 0)).where(mine))
    fails = await session.execute(
        select(Outbox.error, func.count()).where(mine, Outbox.state == "failed")
        .group_by(Outbox.error).order_by(func.count().desc()).limit(10)
    )  # fmt: skip
    failures = [(str(err or "?"), n) for err, n in fails.all()]
    return Report(b.id, b.state, b.total, by_channel, fell_back or 0, int(parts or 0), failures)
