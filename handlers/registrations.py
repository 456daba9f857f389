"""The Kefalat offices' daily list of registrations (service card process 6): each row opens
the listed national's case in the open campaign that covers them, or leaves theirs as it is."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.cases import campaign_for, start_case
from handlers.imports import ImportResult, _card, _parse_all, _required
from handlers.jalali import parse_jalali_datetime
from handlers.registry import RowError
from handlers.runtime import Runtime
from handlers.staff_auth import require
from storage import admin, casework

REGISTRATION_COLUMNS = ("card_number", "office", "registered_at")


async def import_registrations(
    rt: Runtime, session: AsyncSession, actor: str, text: str
) -> ImportResult:
    """card_number, office, registered_at (Jalali date and time): the whole file is checked
    before anything is written; a re-imported row finds the case and changes nothing."""
    await require(session, actor, "statuses")
    tz, now = rt.settings.tz, rt.clock()

    def when(v: str) -> Any:
        at = parse_jalali_datetime(_required(v), tz)
        if at > now:
            raise ValueError("is in the future")
        return at

    parsers: dict[str, Callable[[str], Any]] = {
        "card_number": _card, "office": _required, "registered_at": when,
    }  # fmt: skip
    result = ImportResult()
    rows = _parse_all(text, REGISTRATION_COLUMNS, parsers, result)
    people = await casework.nationals_by_cards(session, (r["card_number"] for _, r in rows))
    today = now.astimezone(tz).date()
    plan = []
    for line, row in rows:
        national = people.get(row["card_number"])
        if national is None:
            result.errors.append(RowError(line, "card_number", f"no national {row['card_number']}"))
            continue
        campaign = await campaign_for(session, national, today)
        if campaign is None:
            result.errors.append(RowError(line, "card_number", "no open campaign covers it"))
            continue
        plan.append((national, campaign, row))
    if result.errors:
        return result
    for national, campaign, row in plan:
        door = f"office: {row['office']}"[:200]
        got = await start_case(
            rt, session, actor, national, campaign, door=door, at=row["registered_at"]
        )
        result.changed += got.new
        result.unchanged += not got.new
    await admin.audit(session, actor, "import.registrations", "",
                      after={"opened": result.changed, "unchanged": result.unchanged})  # fmt: skip
    return result
