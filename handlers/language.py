"""The language choice and the SMS help: what a national meets first on either channel."""

from __future__ import annotations

from handlers.base import Button, Ctx, Reply
from handlers.convo import State, menu_reply
from handlers.feature import Args, ArgSpec, Feature, Keyword, MenuEntry

# The languages offered, each named in itself. Dari is its own choice (Afghan month names from
# the first screen); Arabic is not offered: its catalog is not complete.
OFFERED = ("fa", "prs", "ps", "en")


def language_menu(ctx: Ctx) -> Reply:
    rows = [[Button(ctx.t(f"language.lang_{code}"), f"lang:{code}")] for code in OFFERED]
    return Reply(ctx.t("language.choose"), buttons=rows)


async def _open(ctx: Ctx, st: State) -> list[Reply]:
    return [language_menu(ctx)]


async def _chosen(ctx: Ctx, st: State, data: str) -> list[Reply] | None:
    code = data.partition(":")[2]
    if code not in OFFERED:
        return None
    st.lang = ctx.lang = code
    return [await menu_reply(ctx, ctx.t("language.saved"))]


async def _help(ctx: Ctx, args: Args) -> Reply:
    return Reply(ctx.t("sms.help"))


FEATURE: Feature = Feature(
    name="language",
    catalog=("language", "dialog", "common", "sms"),
    menu=MenuEntry("lang", _open),
    buttons={"lang": _chosen},
    keywords=(Keyword("HELP", ("راهنما", "help", "?", "؟"), ArgSpec.NONE, _help),),
)
