"""Which campaign is open, when, where, for how much, and the warning about agents."""

from __future__ import annotations

from handlers.base import Button, Ctx, Reply, local_digits
from handlers.convo import State
from handlers.feature import Args, ArgSpec, Feature, Keyword, MenuEntry
from handlers.fmt import bullets, day, number, rials_and_toman
from storage.campaigns import covers, current_and_recent, is_open
from storage.models import Campaign


def _offices(ctx: Ctx, campaign: Campaign) -> list[str]:
    lines = []
    for office in campaign.offices:
        name, address = office.get("name", ""), office.get("address", "")
        lines.append(ctx.t("campaigns.office_line", name=name, address=address))
    return lines


def _fees(ctx: Ctx, campaign: Campaign) -> list[str]:
    lines = [
        ctx.t("campaigns.fee_line", name=item.get("name", ""),
              amount=rials_and_toman(ctx, int(item["rials"])))
        for item in campaign.fee_items
    ]  # fmt: skip
    total = rials_and_toman(ctx, campaign.fee_total)
    lines.append(ctx.t("campaigns.fee_total", amount=total))
    return lines


def _buttons(ctx: Ctx) -> list[list[Button]]:
    return [
        [Button(ctx.t("campaigns.btn_elig"), "menu:elig")],
        [Button(ctx.t("campaigns.btn_complaint"), "menu:complaint")],
    ]


async def campaign_reply(ctx: Ctx, campaign: Campaign) -> Reply:
    """Everything a national needs to act on one campaign, with the no-agents warning."""
    start, end = day(ctx, campaign.starts_on), day(ctx, campaign.ends_on)
    parts = [
        ctx.t("campaigns.title", title=campaign.title),
        ctx.t("campaigns.window", start=start, end=end),
    ]
    if campaign.offices:
        parts.append(ctx.t("campaigns.offices_head") + "\n" + bullets(_offices(ctx, campaign)))
    if campaign.fee_items:
        parts.append(ctx.t("campaigns.fees_head") + "\n" + bullets(_fees(ctx, campaign)))
    if campaign.bank_account:
        parts.append(ctx.t("campaigns.account", account=campaign.bank_account))
    if campaign.documents:
        docs = [local_digits(d, ctx.lang) for d in campaign.documents]  # staff-typed
        parts.append(ctx.t("campaigns.docs_head") + "\n" + bullets(docs))
    parts += [ctx.t("campaigns.no_agents"), ctx.t("campaigns.complain")]
    sms = ctx.t(
        "campaigns.sms",
        title=campaign.title,
        start=start,
        end=end,
        total=number(campaign.fee_total, ctx.lang),
        account=campaign.bank_account or "-",
    )  # fmt: skip  (rials only, not toman too: the SMS must fit two parts)
    return Reply("\n\n".join(parts), buttons=_buttons(ctx), sms_text=sms)


def _none_open(ctx: Ctx, coming: list[Campaign]) -> Reply:
    province = ctx.national.province if ctx.national else None
    if province:
        lines = [ctx.t("campaigns.none_open_province", province=province)]
    else:
        lines = [ctx.t("campaigns.none_open")]
    for c in coming[:2]:
        lines.append(
            ctx.t("campaigns.upcoming", title=c.title, start=day(ctx, c.starts_on),
                  end=day(ctx, c.ends_on))
        )  # fmt: skip
    sms = "\n".join([*lines[:2], ctx.t("sms.reply.join_hint")])  # the keyword, not the button
    lines.append(ctx.t("campaigns.subscribe_hint"))
    buttons = [[Button(ctx.t("campaigns.btn_subs"), "menu:subs")]]
    return Reply("\n".join(lines), buttons=buttons, sms_text=sms)


async def open_campaigns(ctx: Ctx) -> Reply:
    """Open campaigns for the linked national's province, or all open ones if not linked."""
    today = ctx.today
    province = ctx.national.province if ctx.national else None
    mine = [c for c in await current_and_recent(ctx.session, today) if covers(c, province)]
    now_open = [c for c in mine if is_open(c, today)]
    if not now_open:
        return _none_open(ctx, [c for c in mine if c.starts_on > today])
    replies = [await campaign_reply(ctx, c) for c in now_open]
    if len(replies) == 1:
        return replies[0]
    return Reply(
        "\n\n— — —\n\n".join(r.text for r in replies),
        buttons=replies[0].buttons,
        sms_text="\n".join(r.sms_text or "" for r in replies),
    )


async def _menu(ctx: Ctx, st: State) -> list[Reply]:
    return [await open_campaigns(ctx)]


async def _sms(ctx: Ctx, args: Args) -> Reply:
    return await open_campaigns(ctx)


FEATURE: Feature = Feature(
    name="campaigns",
    catalog=("campaigns",),
    menu=MenuEntry("campaigns", _menu),
    keywords=(
        Keyword("CAMPAIGN", ("طرح", "طرح‌ها", "طرحها", "campaign", "campaigns"), ArgSpec.NONE, _sms),
    ),
)
