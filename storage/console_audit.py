"""The console's audit log: filtered by staff member, action, national and time, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Application,
    Appointment,
    AuditLog,
    Complaint,
    National,
    Receipt,
)


@dataclass
class AuditFilter:
    actor: str = ""
    action: str = ""  # an exact action, or a prefix ending in "." ("broadcast.")
    card: str = ""  # a national's card number: every record on them and their case
    start: datetime | None = None
    end: datetime | None = None


async def _targets(session: AsyncSession, card: str) -> list[str]:
    nid = await session.scalar(select(National.id).where(National.card_number == card))
    if nid is None:
        return []
    out = [f"national:{nid}"]
    for model, name in ((Application, "application"), (Receipt, "receipt"),
                        (Complaint, "complaint"), (Appointment, "appointment")):  # fmt: skip
        ids = await session.scalars(select(model.id).where(model.national_id == nid))
        out += [f"{name}:{i}" for i in ids]
    return out


async def _query(session: AsyncSession, f: AuditFilter) -> Select[AuditLog] | None:
    q = select(AuditLog)
    if f.actor:
        q = q.where(AuditLog.actor == f.actor)
    if f.action:
        q = q.where(AuditLog.action.startswith(f.action) if f.action.endswith(".")
                    else AuditLog.action == f.action)  # fmt: skip
    if f.card:
        targets = await _targets(session, f.card)
        if not targets:
            return None
        q = q.where(AuditLog.target.in_(targets))
    if f.start is not None:
        q = q.where(AuditLog.at >= f.start)
    if f.end is not None:
        q = q.where(AuditLog.at < f.end)
    return q


async def audit_page(
    session: AsyncSession, f: AuditFilter, before_id: int | None = None, limit: int = 50
) -> Sequence[AuditLog]:
    q = await _query(session, f)
    if q is None:
        return []
    if before_id is not None:
        q = q.where(AuditLog.id < before_id)
    return (await session.scalars(q.order_by(AuditLog.id.desc()).limit(limit))).all()


async def audit_all(
    session: AsyncSession, f: AuditFilter, limit: int = 100_000
) -> Sequence[AuditLog]:
    """The export: the whole filter (capped, newest first)."""
    return await audit_page(session, f, None, limit)


async def actions(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)))
