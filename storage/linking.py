"""Finding a registry record by card and birth year, and linking a chat and mobile to it."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact, National, utcnow
from storage.outbox import insert_for


async def find_national(
    session: AsyncSession, card_number: str, birth_year: int
) -> National | None:
    """The record whose card number and birth year both match (no hint which one did not)."""
    return await session.scalar(
        select(National).where(
            National.card_number == card_number, National.birth_year == birth_year
        )
    )


async def link_contact(
    session: AsyncSession, national_id: int, channel: str, address: str, *, take_over: bool
) -> None:
    """A verified contact for the national; `take_over` moves a chat linked to someone else."""
    stmt = insert_for(session)(Contact).values(
        national_id=national_id, channel=channel, address=address, verified=True,
        reachable=True, created_at=utcnow(), updated_at=utcnow(),
    )  # fmt: skip
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["channel", "address"]))
    where = [Contact.channel == channel, Contact.address == address]
    if not take_over:
        # A shared mobile (an employer's, a neighbour's) stays with whoever proved it first.
        where.append((Contact.national_id == national_id) | Contact.national_id.is_(None))
    await session.execute(
        update(Contact)
        .where(*where)
        .values(national_id=national_id, verified=True, reachable=True, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
