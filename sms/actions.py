"""What each SMS keyword does: thin adapters from a parsed command to the channel-free features.

The one rule added here is SMS-specific: anyone can text any card number, so personal data is
only given when the sender's mobile is the registry mobile of that person or of their household
head. Otherwise the answer is a polite refusal that does not even say whether the card exists.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta

from handlers import (
    appointments,
    campaigns,
    cases,
    complaints,
    eligibility,
    receipts,
    status,
    subscriptions,
)
from handlers.base import Ctx, Reply
from handlers.sms_parts import fit_sms
from storage import conversations
from storage import sms as store
from storage.models import National

# After a refused amount, a bare amount sent within this time is a new try of that slip.
AMOUNT_RETRY = timedelta(hours=1)
RETRY_STEP = "sms_receipt_amount"

Args = tuple[str, ...]
Action = Callable[[Ctx, Args], Awaitable[Reply]]


def sms_text(reply: Reply) -> str:
    """The reply as one SMS: the feature's short text when it wrote one, at most 900 chars."""
    text = (reply.sms_text or reply.text).strip()
    return fit_sms(text)


async def _person(ctx: Ctx, card: str) -> tuple[National, Ctx] | None:
    """The card's holder and a Ctx seen as the sender (them or their head), if allowed."""
    person = await store.national_by_card(ctx.session, card)
    if person is None:
        return None
    seer = await store.viewer(ctx.session, person, ctx.address)
    return None if seer is None else (person, replace(ctx, national=seer))


def _say(key: str) -> Action:
    async def reply(ctx: Ctx, args: Args) -> Reply:
        return Reply(ctx.t(key))

    return reply


async def _usage(ctx: Ctx, args: Args) -> Reply:
    return Reply(ctx.t(f"sms.usage.{args[0].lower()}"))


async def _status(ctx: Ctx, args: Args) -> Reply:
    if not args:
        if ctx.national is None:
            return Reply(ctx.t("sms.need_card"))
        return await status.status_reply(ctx)
    found = await _person(ctx, args[0])
    if found is None:
        return Reply(ctx.t("sms.not_yours"))
    person, as_seer = found
    return await status.status_reply(as_seer, national=person)


async def _elig(ctx: Ctx, args: Args) -> Reply:
    if await _person(ctx, args[0]) is None:
        return Reply(ctx.t("sms.not_yours"))
    return await eligibility.check_unlinked(ctx, args[0], args[1])


async def _appt(ctx: Ctx, args: Args) -> Reply:
    if ctx.national is None:
        return Reply(ctx.t("sms.not_linked"))
    return await appointments.upcoming(ctx)


async def _receipt(ctx: Ctx, args: Args) -> Reply:
    if ctx.national is None:
        return Reply(ctx.t("sms.not_linked"))
    reply = await receipts.submit_receipt(ctx, tracking=args[0], amount=args[1], file=None)
    # Remember the tracking number of a refused amount (the mobile's conversation row), so
    # that «۳۰۰۰۰۰» alone as the next SMS is understood.
    conv = await conversations.load(ctx.session, "sms", ctx.address)
    refused = bool(reply.payload.get(receipts.REFUSED))
    data = {"tracking": args[0], "at": ctx.now.isoformat()} if refused else {}
    await conversations.save(ctx.session, conv, step=RETRY_STEP if refused else "menu",
                             data=data, lang=conv.lang, national_id=conv.national_id)  # fmt: skip
    return reply


async def follow_up(ctx: Ctx, text: str) -> str | None:
    """A bare amount right after a refused one: the RECEIPT it continues, else None."""
    amount = receipts.parse_amount(text)
    if amount is None or ctx.national is None:
        return None
    step = await conversations.step_of(ctx.session, "sms", ctx.address)
    if step != RETRY_STEP:
        return None
    conv = await conversations.load(ctx.session, "sms", ctx.address)
    at = datetime.fromisoformat(str((conv.data or {}).get("at", "1970-01-01T00:00:00+00:00")))
    if ctx.now - at > AMOUNT_RETRY:
        return None
    return f"receipt {conv.data['tracking']} {amount}"


async def _campaign(ctx: Ctx, args: Args) -> Reply:
    return await campaigns.open_campaigns(ctx)


async def _complaint(ctx: Ctx, args: Args) -> Reply:
    return await complaints.file_complaint(ctx, args[0])


async def _join(ctx: Ctx, args: Args) -> Reply:
    return await subscriptions.subscribe(ctx, args[0] if args else None)


async def _stop(ctx: Ctx, args: Args) -> Reply:
    return await subscriptions.unsubscribe(ctx)


async def _start(ctx: Ctx, args: Args) -> Reply:
    return await subscriptions.subscribe(ctx, None)


async def _renew(ctx: Ctx, args: Args) -> Reply:
    """«تمدید»: from the registry mobile, the sender's (household's) cases; from an unknown
    mobile, card + birth year open that one person's case."""
    if not args:
        if ctx.national is None:
            return Reply(ctx.t("sms.usage.renew"))
        return await cases.open_for_household(ctx)
    if ctx.national is None:
        return await cases.open_by_card(ctx, args[0], args[1])
    found = await _person(ctx, args[0])
    if found is None or str(found[0].birth_year) != args[1]:
        return Reply(ctx.t("sms.not_yours"))
    return await cases.open_for_household(replace(ctx, national=found[0]))


def _answer_appt(confirm: bool) -> Action:
    """«تایید ۲» / «نمیام»: the numbered appointment of the APPT list (the only one if one)."""

    async def act(ctx: Ctx, args: Args) -> Reply:
        if ctx.national is None:
            return Reply(ctx.t("sms.not_linked"))
        return await appointments.answer_by_number(ctx, args[0] if args else "", confirm)

    return act


ACTIONS: dict[str, Action] = {
    "HELP": _say("sms.help"),
    "UNKNOWN": _say("sms.unknown"),
    "USAGE": _usage,
    "STATUS": _status,
    "ELIG": _elig,
    "APPT": _appt,
    "RECEIPT": _receipt,
    "COMPLAINT": _complaint,
    "JOIN": _join,
    "CAMPAIGN": _campaign,
    "STOP": _stop,
    "START": _start,
    "RENEW": _renew,
    "CONFIRM": _answer_appt(True),
    "DECLINE": _answer_appt(False),
}
