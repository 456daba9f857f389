"""Editing a campaign, channel-free: the same field rules as creating one, plus what a campaign
already in use may no longer change, audited with what changed before and after.

A campaign with cases: its code, kind, start date, fee items and bank account stay (nationals
were told them, slips were paid against the amount and the account, cases were opened from
that start); provinces and card rounds may be widened, not narrowed (a case already opened
would fall outside its own campaign); the end date may move, but not before today (the window
of open cases would shut behind people's backs; closing is the scheduler's job at the end
date). A broadcast not yet finished that names the campaign keeps its code fixed, as it finds
its audience by that code when it starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.staff_auth import require
from storage import admin
from storage import campaigns as store
from storage.models import Campaign

FIELDS = ("code", "title", "kind", "provinces", "eligible_rounds", "starts_on", "ends_on",
          "fee_items", "bank_account", "documents", "offices", "max_days_expired",
          "late_route")  # fmt: skip
LOCKED_WITH_CASES = ("code", "kind", "starts_on", "fee_items", "bank_account")
WIDEN_ONLY = ("provinces", "eligible_rounds")


class EditRefused(ValueError):
    """`reason` is a key under console.campaign.refused (code_taken, end_before_start, locked,
    narrowed, end_past, required); `field` names the culprit."""

    def __init__(self, reason: str, fld: str = "") -> None:
        super().__init__(f"{reason}: {fld}" if fld else reason)
        self.reason, self.field = reason, fld


@dataclass
class Usage:
    """What the campaign is already used by: the limits its edit page states."""

    cases: int
    broadcasts: int

    @property
    def locked(self) -> tuple[str, ...]:
        code = ("code",) if self.broadcasts else ()
        return LOCKED_WITH_CASES if self.cases else code


@dataclass
class Edited:
    campaign: Campaign
    changed: dict[str, Any] = field(default_factory=dict)


async def usage(session: AsyncSession, campaign: Campaign) -> Usage:
    return Usage(await store.case_count(session, campaign.id),
                 await store.unfinished_broadcasts(session, campaign))  # fmt: skip


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _check(c: Campaign, fields: dict[str, Any], use: Usage, today: date) -> None:
    if not fields["code"] or not fields["title"] or not fields["provinces"]:
        raise EditRefused("required")
    if fields["ends_on"] < fields["starts_on"]:
        raise EditRefused("end_before_start", "ends_on")
    for name in use.locked:
        if fields[name] != getattr(c, name):
            raise EditRefused("locked", name)
    if use.cases:
        for name in WIDEN_ONLY:
            if not set(getattr(c, name)) <= set(fields[name]):
                raise EditRefused("narrowed", name)
        if fields["ends_on"] != c.ends_on and fields["ends_on"] < today:
            raise EditRefused("end_past", "ends_on")


async def update_campaign(
    session: AsyncSession, actor: str, ident: str, fields: dict[str, Any], today: date
) -> Edited | None:
    """Apply `fields` (as `amayesh campaign create` parses them) to the campaign `ident` (id or
    code); None if there is no such campaign, EditRefused with the reason, else what changed."""
    await require(session, actor, "campaigns")
    c = await admin.get_campaign(session, ident)
    if c is None:
        return None
    use = await usage(session, c)
    _check(c, fields, use, today)
    if await store.code_taken(session, fields["code"], c.id):
        raise EditRefused("code_taken", "code")
    before, after = {}, {}
    for name in FIELDS:
        if fields[name] != getattr(c, name):
            before[name], after[name] = _plain(getattr(c, name)), _plain(fields[name])
            setattr(c, name, fields[name])
    if after:
        await admin.audit(session, actor, "campaign.edit", f"campaign:{c.id}", before, after)
    return Edited(c, after)
