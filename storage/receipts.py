"""Deposit slips: the application they pay for, duplicate checks, and recording one."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Application, Campaign, Receipt, StatusEvent
from storage.statuses import Status, can_move


async def payable_application(
    session: AsyncSession, national_id: int
) -> tuple[Application, Campaign] | None:
    """The national's newest application waiting for a payment, with its campaign."""
    row = (
        await session.execute(
            select(Application, Campaign)
            .join(Campaign, Campaign.id == Application.campaign_id)
            .where(Application.national_id == national_id)
            .where(Application.status == Status.AWAITING_PAYMENT.value)
            .order_by(Application.created_at.desc(), Application.id.desc())
            .limit(1)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def application(session: AsyncSession, application_id: int) -> Application | None:
    return await session.get(Application, application_id)


async def duplicate_flags(
    session: AsyncSession, national_id: int, tracking: str, sha256: str
) -> list[str]:
    """Flags for staff when someone else already used this tracking number or this file."""
    flags = []
    other = Receipt.national_id != national_id
    if await session.scalar(
        select(Receipt.id).where(Receipt.bank_tracking == tracking, other).limit(1)
    ):
        flags.append("duplicate_tracking")
    if sha256 and await session.scalar(
        select(Receipt.id).where(Receipt.file_sha256 == sha256, other).limit(1)
    ):
        flags.append("duplicate_file")
    return flags


async def add_receipt(
    session: AsyncSession,
    app: Application,
    *,
    tracking: str,
    amount: int,
    file_path: str,
    sha256: str,
    mime: str,
    size: int,
    flags: list[str],
    year: int,
    now: datetime,
) -> Receipt:
    """Record the slip, move the case to payment review, and give the receipt its code."""
    receipt = Receipt(
        code=uuid4().hex[:24], application_id=app.id, national_id=app.national_id,
        bank_tracking=tracking, amount_rials=amount, file_path=file_path, file_sha256=sha256,
        mime_type=mime, size_bytes=size, flags=flags, state="pending", created_at=now,
    )  # fmt: skip
    session.add(receipt)
    await session.flush()
    receipt.code = f"R-{year}-{receipt.id:06d}"  # the id makes it unique; the year makes it legible
    if can_move(app.status, Status.PAYMENT_REVIEW):
        app.status = Status.PAYMENT_REVIEW.value
        session.add(
            StatusEvent(
                application_id=app.id, status=app.status, actor="national",
                note=receipt.code, at=now,
            )
        )  # fmt: skip
    return receipt


async def own_receipt(session: AsyncSession, national_id: int, tracking: str) -> Receipt | None:
    """This national's receipt with this bank tracking number (a slip sent again)."""
    return await session.scalar(
        select(Receipt)
        .where(Receipt.national_id == national_id, Receipt.bank_tracking == tracking)
        .order_by(Receipt.id.desc())
        .limit(1)
    )
