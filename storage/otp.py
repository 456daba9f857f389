"""One-time codes: who asked for how many, the live code of a mobile, attempts on it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import National, OtpCode, Outbox


async def created_since(session: AsyncSession, mobile: str, since: datetime) -> list[datetime]:
    """When the codes sent to this mobile since `since` were made, oldest first."""
    rows = await session.scalars(
        select(OtpCode.created_at)
        .where(OtpCode.mobile == mobile, OtpCode.created_at > since)
        .order_by(OtpCode.created_at)
    )
    return list(rows)


async def add_code(
    session: AsyncSession,
    *,
    mobile: str,
    national_id: int | None,
    code_hash: str,
    created_at: datetime,
    expires_at: datetime,
) -> OtpCode:
    row = OtpCode(
        mobile=mobile, national_id=national_id, code_hash=code_hash, attempts=0,
        created_at=created_at, expires_at=expires_at,
    )  # fmt: skip
    session.add(row)
    await session.flush()  # its id names the outbox row
    return row


async def newest_code(session: AsyncSession, mobile: str) -> OtpCode | None:
    """The mobile's newest code, locked: only the newest counts, older ones are superseded."""
    return await session.scalar(
        select(OtpCode)
        .where(OtpCode.mobile == mobile)
        .order_by(OtpCode.created_at.desc(), OtpCode.id.desc())
        .limit(1)
        .with_for_update()
    )


def count_attempt(row: OtpCode) -> int:
    row.attempts += 1
    return row.attempts


def mark_used(row: OtpCode, at: datetime) -> None:
    row.used_at = at


async def national_language(session: AsyncSession, national_id: int | None) -> str | None:
    if national_id is None:
        return None
    return await session.scalar(select(National.language).where(National.id == national_id))


async def scrub_code(session: AsyncSession, outbox_id: int) -> None:
    """Blank the plaintext code of a sent one-time-code outbox row."""
    await session.execute(
        update(Outbox)
        .where(Outbox.id == outbox_id, Outbox.kind == "otp")
        .values(text="***", sms_text=None, payload={"scrubbed": True})
    )
