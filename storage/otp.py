"""One-time codes: who asked for how many, the live code of a mobile, attempts on it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import affected
from storage.models import National, OtpCode, Outbox


async def created_since(session: AsyncSession, mobile: str, since: datetime) -> list[datetime]:
    """When the codes sent to this mobile since `since` were made, oldest first."""
    rows = await session.scalars(
        select(OtpCode.created_at)
        .where(OtpCode.mobile == mobile, OtpCode.created_at > since)
        .order_by(OtpCode.created_at)
    )
    return list(rows)


async def wrong_guesses_since(
    session: AsyncSession, mobile: str, since: datetime
) -> list[datetime]:
    """One entry per wrong guess at this mobile's codes made since `since` (dated by its code),
    oldest first: the daily cap counts guesses over all codes, from whichever chat."""
    rows = await session.execute(
        select(OtpCode.created_at, OtpCode.attempts)
        .where(OtpCode.mobile == mobile, OtpCode.created_at > since, OtpCode.attempts > 0)
        .order_by(OtpCode.created_at)
    )
    return [at for at, n in rows.all() for _ in range(n)]


async def scrub_stale_codes(session: AsyncSession, now: datetime) -> int:
    """Blank the code in every one-time-code outbox row past its deadline that still has it,
    whatever its state (queued with SMS off, held, failed): no usable code stays at rest."""
    result = await session.execute(
        update(Outbox)
        # The key range uses the unique key index on both databases (a LIKE would not on SQLite).
        .where(Outbox.key >= "otp:", Outbox.key < "otp;", Outbox.broadcast_id.is_(None))
        .where(Outbox.kind == "otp", Outbox.deadline_at < now, Outbox.text != "***")
        .values(text="***", sms_text=None, payload={"scrubbed": True})
        .execution_options(synchronize_session=False)
    )
    return affected(result) or 0


async def delete_old_codes(session: AsyncSession, before: datetime, dry_run: bool) -> int:
    """Hashed codes created before `before` (long expired; the limits only look back a day)."""
    where = OtpCode.created_at < before
    if dry_run:
        return await session.scalar(select(func.count()).select_from(OtpCode).where(where)) or 0
    result = await session.execute(delete(OtpCode).where(where))
    return affected(result) or 0


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
