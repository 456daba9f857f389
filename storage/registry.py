"""Upserting the registry by card number, in chunks, set-wise."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Household, National, utcnow
from storage.outbox import insert_for

CHUNK = 2000
FIELDS = (
    "is_head", "first_name", "last_name", "father_name", "birth_year", "gender", "nationality",
    "province", "city", "mobile", "card_expiry", "transit_sheet_expiry", "language",
    "card_round", "unique_code",
)  # fmt: skip


@dataclass
class ImportCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0


def _chunks(rows: Sequence[dict[str, Any]], n: int = CHUNK) -> Iterable[Sequence[dict[str, Any]]]:
    for i in range(0, len(rows), n):
        yield rows[i : i + n]


async def _household_ids(session: AsyncSession, numbers: set[str]) -> dict[str, int]:
    ins = insert_for(session)
    ids: dict[str, int] = {}
    for part in _chunks([{"household_number": n} for n in sorted(numbers)]):
        await session.execute(ins(Household).values(list(part)).on_conflict_do_nothing())
        wanted = [p["household_number"] for p in part]
        result = await session.execute(
            select(Household.household_number, Household.id).where(
                Household.household_number.in_(wanted)
            )
        )
        ids.update({number: hid for number, hid in result})
    return ids


async def upsert_nationals(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> ImportCounts:
    """Insert new cards, update changed ones, leave equal ones alone (re-import is a no-op)."""
    counts = ImportCounts()
    households = await _household_ids(
        session, {r["household_number"] for r in rows if r["household_number"]}
    )
    cols = [National.id, National.card_number, National.household_id]
    cols += [getattr(National, f) for f in FIELDS]
    now = utcnow()
    for part in _chunks(rows):
        cards = [r["card_number"] for r in part]
        result = await session.execute(select(*cols).where(National.card_number.in_(cards)))
        existing = {row.card_number: row._mapping for row in result}
        new, changed = [], []
        for r in part:
            values = {f: r[f] for f in FIELDS}
            values["household_id"] = households.get(r["household_number"] or "")
            old = existing.get(r["card_number"])
            if old is None:
                new.append({"card_number": r["card_number"], **values,
                            "created_at": now, "updated_at": now})  # fmt: skip
            elif any(old[k] != v for k, v in values.items()):
                changed.append({"id": old["id"], **values, "updated_at": now})
            else:
                counts.unchanged += 1
        if new:
            # Core executemany: the ORM's bulk path costs several times more per row.
            await session.execute(insert(National.__table__), new)
        if changed:
            await session.execute(update(National), changed)
        counts.inserted += len(new)
        counts.updated += len(changed)
    return counts
