"""Campaigns, staff and the audit trail: the queries the CLI and staff tools share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditLog, Campaign, National, Staff

ROLES = ("admin", "reviewer", "broadcaster")


async def audit(
    session: AsyncSession,
    actor: str,
    action: str,
    target: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    session.add(AuditLog(actor=actor, action=action, target=target, before=before, after=after))


async def add_campaign(session: AsyncSession, actor: str, **fields: Any) -> Campaign:
    if await session.scalar(select(Campaign.id).where(Campaign.code == fields["code"])):
        raise ValueError(f"a campaign with code {fields['code']!r} exists already")
    campaign = Campaign(**fields)
    session.add(campaign)
    await session.flush()
    await audit(
        session, actor, "campaign.create", f"campaign:{campaign.id}", after=_jsonable(fields)
    )
    return campaign


def _jsonable(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in fields.items()}


async def list_campaigns(session: AsyncSession) -> Sequence[Campaign]:
    return (await session.scalars(select(Campaign).order_by(Campaign.starts_on))).all()


async def get_campaign(session: AsyncSession, ident: str) -> Campaign | None:
    where = Campaign.id == int(ident) if ident.isdigit() else Campaign.code == ident
    return await session.scalar(select(Campaign).where(where))


async def add_staff(
    session: AsyncSession, actor: str, telegram_id: int, role: str, name: str = ""
) -> Staff:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    staff = await session.scalar(select(Staff).where(Staff.telegram_id == telegram_id))
    before = {"role": staff.role, "active": staff.active} if staff else None
    if staff is None:
        staff = Staff(telegram_id=telegram_id, role=role, name=name)
        session.add(staff)
    staff.role, staff.active = role, True
    staff.name = name or staff.name
    await audit(session, actor, "staff.add", f"staff:{telegram_id}", before, {"role": role})
    return staff


async def remove_staff(session: AsyncSession, actor: str, telegram_id: int) -> bool:
    staff = await session.scalar(select(Staff).where(Staff.telegram_id == telegram_id))
    if staff is None or not staff.active:
        return False
    staff.active = False
    await audit(session, actor, "staff.remove", f"staff:{telegram_id}", {"role": staff.role}, None)
    return True


async def list_staff(session: AsyncSession) -> Sequence[Staff]:
    return (
        await session.scalars(select(Staff).where(Staff.active.is_(True)).order_by(Staff.id))
    ).all()


async def staff_role(session: AsyncSession, telegram_id: int) -> str | None:
    return await session.scalar(
        select(Staff.role).where(Staff.telegram_id == telegram_id, Staff.active.is_(True))
    )


async def active_staff_ids(session: AsyncSession) -> frozenset[int]:
    rows = await session.scalars(select(Staff.telegram_id).where(Staff.active.is_(True)))
    return frozenset(rows.all())


async def count_nationals(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(National)) or 0
