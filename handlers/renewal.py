"""The national's doors to their renewal case (handlers/cases.py opens it): the button under an
eligible answer and the SMS keyword «تمدید»."""

from __future__ import annotations

from dataclasses import replace

from handlers import cases, sms_access
from handlers.base import Ctx, Reply
from handlers.convo import State, link_first
from handlers.feature import Args, ArgSpec, Feature, Keyword


async def _button(ctx: Ctx, st: State, data: str) -> list[Reply] | None:
    """«case:open», under an eligible answer."""
    if data != "case:open":
        return None
    return [await cases.open_for_household(ctx)] if ctx.national else [link_first(ctx)]


async def _sms(ctx: Ctx, args: Args) -> Reply:
    """From the registry mobile, the sender's (household's) cases; from an unknown mobile,
    card + birth year open that one person's case."""
    if not args:
        if ctx.national is None:
            return Reply(ctx.t("sms.usage.renew"))
        return await cases.open_for_household(ctx)
    if ctx.national is None:
        return await cases.open_by_card(ctx, args[0], args[1])
    found = await sms_access.person(ctx, args[0])
    if found is None or str(found[0].birth_year) != args[1]:
        return sms_access.not_yours(ctx)
    return await cases.open_for_household(replace(ctx, national=found[0]))


FEATURE: Feature = Feature(
    name="renewal",
    catalog=("cases",),
    buttons={"case": _button},
    keywords=(Keyword("RENEW", ("تمدید", "renew"), ArgSpec.CARD_YEAR_OPT, _sms),),
)
