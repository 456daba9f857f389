"""May this national register in a campaign now? Reasons as codes, explained in plain words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from handlers import sms_access
from handlers.base import Button, Ctx, Reply
from handlers.convo import Event, State, ask, menu_reply
from handlers.feature import Args, ArgSpec, Feature, Keyword, MenuEntry
from handlers.fmt import day, digits
from handlers.linking import parse_year
from handlers.sms_parts import count_segments
from storage.activity import count_since, record
from storage.campaigns import covers, current_and_recent, is_open
from storage.household import national_by_card
from storage.models import Campaign, National
from storage.text import normalize_digits, normalize_id

ROUND = "round_not_included"
CARD_EXPIRED = "card_expired"
TRANSIT_MISSING = "transit_missing"
TRANSIT_EXPIRED = "transit_expired"
OTHER_PROVINCE = "other_province"
WINDOW_CLOSED = "window_closed"
NOT_YET_OPEN = "not_yet_open"
NO_CAMPAIGN = "no_campaign"
# Wrong birth years tried against one card, from every chat and SMS together, before that card
# answers "not found" to everyone for a day (the per-chat limit alone let two chats find a
# birth year in 11 checks). The real owner links the card instead (contact share or SMS code).
CARD_MISSES, CARD_WINDOW = 5, timedelta(days=1)
MISS = "eligibility_miss"
# Checks of someone else's card + birth year a chat may make in an hour: enough for a family,
# too few to try out birth years against many card numbers.
ELIG_LIMIT, ELIG_WINDOW = 10, timedelta(hours=1)
REASONS = (ROUND, CARD_EXPIRED, TRANSIT_MISSING, TRANSIT_EXPIRED, OTHER_PROVINCE,
           WINDOW_CLOSED, NOT_YET_OPEN, NO_CAMPAIGN)  # fmt: skip


@dataclass
class EligibilityResult:
    eligible: bool
    reasons: list[str] = field(default_factory=list)  # codes from REASONS, window first
    campaign: Campaign | None = None


def _pick(
    campaigns: Sequence[Campaign], national: National, today: date
) -> tuple[Campaign | None, str | None]:
    """The campaign that answers this person, and the window reason if it is not open."""
    mine = [c for c in campaigns if covers(c, national.province)]
    for c in mine:
        if is_open(c, today):
            return c, None
    coming = [c for c in mine if c.starts_on > today]
    if coming:
        return min(coming, key=lambda c: c.starts_on), NOT_YET_OPEN
    if mine:
        return max(mine, key=lambda c: c.ends_on), WINDOW_CLOSED
    elsewhere = [c for c in campaigns if is_open(c, today)]
    if elsewhere:
        return elsewhere[0], OTHER_PROVINCE
    return None, NO_CAMPAIGN


def document_reasons(national: National, campaign: Campaign, today: date) -> list[str]:
    reasons = []
    rounds = campaign.eligible_rounds
    # An unknown round (old registry rows) is not held against anyone; staff check it in person.
    if rounds and national.card_round is not None and national.card_round not in rounds:
        reasons.append(ROUND)
    limit = campaign.max_days_expired
    if limit is not None and national.card_expiry < campaign.starts_on - timedelta(days=limit):
        reasons.append(CARD_EXPIRED)
    needed_on = max(today, campaign.starts_on)  # the sheet must be valid when they go
    if national.transit_sheet_expiry is None:
        reasons.append(TRANSIT_MISSING)
    elif national.transit_sheet_expiry < needed_on:
        reasons.append(TRANSIT_EXPIRED)
    return reasons


async def evaluate(ctx: Ctx, national: National) -> EligibilityResult:
    """The verdict without recording anything (for callers that count on their own)."""
    today = ctx.today
    campaign, window = _pick(await current_and_recent(ctx.session, today), national, today)
    reasons = [window] if window else []
    if campaign is not None and window in (None, NOT_YET_OPEN):
        reasons += document_reasons(national, campaign, today)
    return EligibilityResult(eligible=not reasons, reasons=reasons, campaign=campaign)


async def check_national(ctx: Ctx, national: National) -> EligibilityResult:
    """Evaluate and count one eligibility check for the daily report."""
    result = await evaluate(ctx, national)
    record(ctx.session, "eligibility_check", national.id, ctx.now)
    return result


def _params(ctx: Ctx, campaign: Campaign | None) -> dict[str, str]:
    if campaign is None:
        return {}
    sep = ", " if ctx.lang == "en" else "، "
    rounds = sep.join(digits(ctx, r) for r in campaign.eligible_rounds)
    return {
        "title": campaign.title, "start": day(ctx, campaign.starts_on),
        "end": day(ctx, campaign.ends_on), "rounds": rounds,
        "max_days": digits(ctx, campaign.max_days_expired or 0),
    }  # fmt: skip


def explain(ctx: Ctx, result: EligibilityResult, *, offer_case: bool = False) -> Reply:
    """Yes or no, each reason in plain words with the next step to take.

    `offer_case`: the national's own yes offers to start the renewal (handlers.cases)."""
    p = _params(ctx, result.campaign)
    if result.eligible:
        text = "\n".join([ctx.t("eligibility.yes", **p), ctx.t("eligibility.yes_next", **p)])
        buttons = [[Button(ctx.t("eligibility.btn_campaign"), "menu:campaigns")]]
        if offer_case:
            buttons.insert(0, [Button(ctx.t("cases.btn_open"), "case:open")])
        return Reply(text, buttons=buttons, sms_text=ctx.t("sms.reply.elig_yes", **p))
    not_yet = result.reasons == [NOT_YET_OPEN]
    lines = [ctx.t("eligibility.not_yet" if not_yet else "eligibility.no", **p)]
    whys = []
    for code in result.reasons:
        why, step = ctx.t(f"eligibility.reason.{code}", **p), ctx.t(f"eligibility.next.{code}", **p)
        lines.append(f"• {why} {step}")
        whys.append(why)
    lines.append(ctx.t("eligibility.no_agents"))
    buttons = [[Button(ctx.t("eligibility.btn_subs"), "menu:subs")]]
    return Reply("\n".join(lines), buttons=buttons, sms_text=_sms_no(ctx, not_yet, whys))


def _sms_no(ctx: Ctx, not_yet: bool, whys: list[str]) -> str:
    """The SMS form: the reasons without the steps, as many as fit two parts (the first always)."""
    key = "sms.reply.elig_not_yet" if not_yet else "sms.reply.elig_no"
    text = ctx.t(key, why=whys[0] if whys else "")
    for i in range(len(whys), 1, -1):
        longer = ctx.t(key, why=" ".join(whys[:i]))
        if count_segments(longer).parts <= 2:
            return longer
    return text


async def check_unlinked(ctx: Ctx, card_number: str, birth_year: str) -> Reply:
    """Yes/no and why for a card + birth year, with no personal data; one "not found" for both."""
    card = normalize_id(card_number or "")
    year = normalize_digits((birth_year or "").strip())
    if not card or not (year.isascii() and year.isdigit() and len(year) == 4):
        return Reply(ctx.t("eligibility.bad_input"))
    national = await national_by_card(ctx.session, card)
    if national is not None:
        misses = await count_since(ctx.session, MISS, national.id, ctx.now - CARD_WINDOW)
        if misses >= CARD_MISSES:
            national = None  # tried too often: looks like a miss, whatever the year
        elif national.birth_year != int(year):
            record(ctx.session, MISS, national.id, ctx.now)
            national = None  # a wrong pair looks exactly like an unknown card
    record(ctx.session, "eligibility_check", national.id if national else None, ctx.now)
    if national is None:
        return Reply(ctx.t("eligibility.not_found"))
    return explain(ctx, await evaluate(ctx, national))


# --- the doors: the menu (own card, or someone else's card + birth year) and SMS ------------


async def _menu(ctx: Ctx, st: State) -> list[Reply]:
    if ctx.national is None:
        st.go("elig_card")
        return [ask(ctx, "eligibility.ask_card")]
    return [explain(ctx, await check_national(ctx, ctx.national), offer_case=True)]


async def on_card(ctx: Ctx, st: State, ev: Event) -> list[Reply]:
    card = normalize_id(ev.text) if ev.kind == "text" else ""
    if not card.isalnum() or not 4 <= len(card) <= 32:
        return [ask(ctx, "linking.bad_card")]
    st.go("elig_year", card=card)
    return [ask(ctx, "linking.ask_year")]


async def on_year(ctx: Ctx, st: State, ev: Event) -> list[Reply]:
    year = parse_year(ev.text) if ev.kind == "text" else None
    if year is None:
        return [ask(ctx, "linking.bad_year")]
    card = st.data.get("card", "")
    st.go("menu")
    if not _count_check(ctx, st):
        return [await menu_reply(ctx, ctx.t("eligibility.too_many", limit=digits(ctx, ELIG_LIMIT)))]
    return [await check_unlinked(ctx, card, str(year))]


def _count_check(ctx: Ctx, st: State) -> bool:
    """Count one card + birth year check in this chat's last hour; False once over the limit."""
    since = ctx.now - ELIG_WINDOW
    recent = [t for t in st.data.get("keep_elig", []) if datetime.fromisoformat(t) > since]
    allowed = len(recent) < ELIG_LIMIT
    st.data["keep_elig"] = [*recent, ctx.now.isoformat()] if allowed else recent
    return allowed


async def _sms(ctx: Ctx, args: Args) -> Reply:
    if await sms_access.person(ctx, args[0]) is None:
        return sms_access.not_yours(ctx)
    return await check_unlinked(ctx, args[0], args[1])


FEATURE: Feature = Feature(
    name="eligibility",
    catalog=("eligibility",),
    menu=MenuEntry("elig", _menu),
    steps={"elig_card": on_card, "elig_year": on_year},
    entry=("elig_card",),
    moves={"elig_card": ("elig_year",), "elig_year": ("menu",)},
    keywords=(Keyword("ELIG", ("شرایط", "elig"), ArgSpec.CARD_YEAR, _sms),),
)
