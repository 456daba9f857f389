"""Who may read a card's data by SMS: anyone can text any card number, so personal data goes
only to the registry mobile of that person or of their household head. Otherwise the answer is
a polite refusal that does not even say whether the card exists."""

from __future__ import annotations

from dataclasses import replace

from handlers.base import Ctx, Reply
from storage import sms as store
from storage.models import National


async def person(ctx: Ctx, card: str) -> tuple[National, Ctx] | None:
    """The card's holder and a Ctx seen as the sender (them or their head), if allowed."""
    holder = await store.national_by_card(ctx.session, card)
    if holder is None:
        return None
    seer = await store.viewer(ctx.session, holder, ctx.address)
    return None if seer is None else (holder, replace(ctx, national=seer))


def not_yours(ctx: Ctx) -> Reply:
    return Reply(ctx.t("sms.not_yours"))


def not_linked(ctx: Ctx) -> Reply:
    return Reply(ctx.t("sms.not_linked"))
