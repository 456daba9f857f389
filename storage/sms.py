"""SMS queries: inbound dedupe, who a mobile belongs to, delivery reports on outbox rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import subscriptions
from storage.models import InboundSms, National, Outbox
from storage.outbox import insert_for

# Kavenegar delivery codes that end a message's life, and the outbox state they give.
FINAL_FAILED = frozenset({6, 11, 13, 14})
DELIVERED = 10
BLOCKED = 14


async def record_inbound(
    session: AsyncSession, *, message_id: str, sender: str, line: str, text: str, at: datetime
) -> bool:
    """Store one inbound SMS; False when this provider message id was seen before."""
    stmt = (
        insert_for(session)(InboundSms)
        .values(message_id=message_id, sender=sender, line=line, text=text, received_at=at)
        .on_conflict_do_nothing(index_elements=["message_id"])
        .returning(InboundSms.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def nationals_of_mobile(session: AsyncSession, mobile: str) -> Sequence[National]:
    """Everyone whose registry mobile this is, heads of household first."""
    rows = await session.scalars(
        select(National)
        .where(National.mobile == mobile)
        .order_by(National.is_head.desc(), National.id)
    )
    return rows.all()


async def national_by_card(session: AsyncSession, card_number: str) -> National | None:
    return await session.scalar(select(National).where(National.card_number == card_number))


async def viewer(session: AsyncSession, national: National, mobile: str) -> National | None:
    """Who may see the national's data from `mobile`: the national, their head, or nobody."""
    if national.mobile == mobile:
        return national
    if national.household_id is None:
        return None
    return await session.scalar(
        select(National).where(
            National.household_id == national.household_id,
            National.is_head.is_(True),
            National.mobile == mobile,
        )
    )


async def refs_awaiting_report(
    session: AsyncSession, since: datetime, limit: int = 5000
) -> list[str]:
    """Provider ids of SMS sent after `since` with no final delivery report yet."""
    rows = await session.scalars(
        select(Outbox.provider_ref)
        .where(Outbox.channel == "sms", Outbox.state == "sent")
        .where(Outbox.provider_ref.is_not(None), Outbox.sent_at >= since)
        .order_by(Outbox.sent_at)
        .limit(limit)
    )
    return [r for r in rows if r]


async def record_delivery(
    session: AsyncSession, provider_ref: str, code: int, reason: str, at: datetime
) -> list[str]:
    """Note a delivery code on the outbox rows with this provider id; returns their addresses.

    The code goes into payload["dlr"] for every code (admins see "sent to operator" too); a
    delivered or failed code also moves the row out of "sent", so it is not polled again.
    """
    rows = (
        await session.scalars(
            select(Outbox).where(Outbox.provider_ref == provider_ref, Outbox.channel == "sms")
        )
    ).all()
    for row in rows:
        # A new dict: SQLAlchemy does not see in-place changes to a JSON column.
        row.payload = {**(row.payload or {}), "dlr": code, "dlr_at": at.isoformat()}
        if row.state not in ("sent", "delivered", "failed"):
            continue  # cancelled or still sending: keep the code, leave the state alone
        if code == DELIVERED:
            row.state, row.delivered_at, row.error = "delivered", at, None
        elif code in FINAL_FAILED:
            row.state, row.error = "failed", reason[:200]
    return [r.address for r in rows]


async def opt_out_sms(session: AsyncSession, mobile: str) -> None:
    """The number blocked us (Kavenegar code 14): no more announcements to it by SMS."""
    subscriptions.choose(await subscriptions.ensure(session, "sms", mobile), subscribed=False)
