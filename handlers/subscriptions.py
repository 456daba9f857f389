"""Announcements on or off, and for which province, per chat or mobile (linked or not)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.base import Button, Ctx, Reply
from handlers.convo import State
from handlers.feature import Args, ArgSpec, Feature, Keyword, MenuEntry
from handlers.provinces import match_province
from storage import subscriptions as store
from storage.activity import record
from storage.campaigns import provinces_in_campaigns
from storage.models import National, Subscription

ALL = "*"  # "sub:prov:*" = every province
MAX_PROVINCE_BUTTONS = 8


def _where(ctx: Ctx, row: Subscription | None) -> str:
    if row is None or not row.provinces:
        return ctx.t("subscriptions.all_provinces")
    return "، ".join(row.provinces) if ctx.lang != "en" else ", ".join(row.provinces)


async def _row(ctx: Ctx) -> Subscription:
    row = await store.ensure(ctx.session, ctx.channel, ctx.address)
    if ctx.national is not None and row.national_id != ctx.national.id:
        store.choose(row, national_id=ctx.national.id)
    return row


async def subscribe(ctx: Ctx, province: str | None) -> Reply:
    """Turn announcements on; a province narrows them ("*" widens to all), None keeps the choice."""
    provinces: list[str] | None = None
    if province is not None and province.strip() == ALL:
        provinces = []
    elif province is not None:
        known = await provinces_in_campaigns(ctx.session, ctx.today)
        name = match_province(province, known)
        if name is None:
            current = await store.get(ctx.session, ctx.channel, ctx.address)
            buttons = await _buttons(ctx, current)
            sms = ctx.t("sms.reply.unknown_province")
            return Reply(ctx.t("subscriptions.unknown_province"), buttons=buttons, sms_text=sms)
        provinces = [name]
    row = await _row(ctx)
    store.choose(row, subscribed=True, provinces=provinces)
    record(ctx.session, "subscribe", row.national_id, ctx.now)
    return Reply(ctx.t("subscriptions.on", where=_where(ctx, row)))


async def unsubscribe(ctx: Ctx) -> Reply:
    """Turn announcements off for this chat or mobile (personal notices still come)."""
    row = await _row(ctx)
    store.choose(row, subscribed=False)
    record(ctx.session, "unsubscribe", row.national_id, ctx.now)
    return Reply(ctx.t("subscriptions.off"), sms_text=ctx.t("sms.reply.stopped"))


async def _buttons(ctx: Ctx, row: Subscription | None) -> list[list[Button]]:
    on = _is_on(ctx, row)
    toggle = (
        Button(ctx.t("subscriptions.btn_off"), "sub:off")
        if on
        else Button(ctx.t("subscriptions.btn_on"), "sub:on")
    )
    names: list[str] = []
    if ctx.national is not None:
        names.append(ctx.national.province)
    names += (row.provinces if row else []) + await provinces_in_campaigns(ctx.session, ctx.today)
    unique = list(dict.fromkeys(n for n in names if n))[:MAX_PROVINCE_BUTTONS]
    rows = [[toggle]] + [[Button(n, f"sub:prov:{n}")] for n in unique]
    rows.append([Button(ctx.t("subscriptions.btn_all"), f"sub:prov:{ALL}")])
    return rows


def _is_on(ctx: Ctx, row: Subscription | None) -> bool:
    # No row yet: a linked national hears announcements unless they opt out; a stranger does not.
    return row.subscribed if row is not None else ctx.national is not None


async def subscription_menu(ctx: Ctx) -> Reply:
    """The current choice and buttons "sub:on", "sub:off", "sub:prov:<name>"."""
    row = await store.get(ctx.session, ctx.channel, ctx.address)
    key = "subscriptions.state_on" if _is_on(ctx, row) else "subscriptions.state_off"
    text = ctx.t(key, where=_where(ctx, row)) + "\n" + ctx.t("subscriptions.choose")
    return Reply(text, buttons=await _buttons(ctx, row))


async def subscribe_on_link(
    session: AsyncSession, national: National, channel: str, address: str
) -> Subscription:
    """At linking: subscribed by default, but an earlier opt-out of this address stands."""
    row = await store.ensure(session, channel, address, subscribed=True)
    store.choose(row, national_id=national.id)
    return row


# --- the doors: the menu, its buttons, and the SMS opt-in/opt-out ---------------------------


async def _menu(ctx: Ctx, st: State) -> list[Reply]:
    return [await subscription_menu(ctx)]


async def _button(ctx: Ctx, st: State, data: str) -> list[Reply] | None:
    """«sub:on», «sub:off», «sub:prov:<name>»."""
    rest = data.partition(":")[2]
    if rest in ("on", "off"):
        return [await (subscribe(ctx, None) if rest == "on" else unsubscribe(ctx))]
    return [await subscribe(ctx, rest[5:])] if rest.startswith("prov:") else None


async def _join(ctx: Ctx, args: Args) -> Reply:
    return await subscribe(ctx, args[0] if args else None)


async def _stop(ctx: Ctx, args: Args) -> Reply:
    return await unsubscribe(ctx)


async def _start(ctx: Ctx, args: Args) -> Reply:
    return await subscribe(ctx, None)


FEATURE: Feature = Feature(
    name="subscriptions",
    catalog=("subscriptions",),
    menu=MenuEntry("subs", _menu),
    buttons={"sub": _button},
    keywords=(
        Keyword("JOIN", ("عضویت", "join"), ArgSpec.REST_OPT, _join),
        # «لغو ۱۱» is the opt-out convention of Iranian service lines; 12 opts back in.
        Keyword("STOP", ("لغو", "stop", "11"), ArgSpec.NONE, _stop),
        Keyword("START", ("start", "12"), ArgSpec.NONE, _start),
    ),
)
