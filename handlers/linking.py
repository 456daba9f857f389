"""Linking a chat to a registry record: card number, birth year, then proof of the phone."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from handlers import otp
from handlers.base import Button, Ctx, Reply
from handlers.convo import Event, State, ask, cancel_button, hint, menu_reply
from handlers.feature import Feature
from handlers.fmt import digits
from handlers.subscriptions import subscribe_on_link
from storage import activity, household
from storage.linking import find_national, link_contact
from storage.models import National
from storage.text import InvalidMobile, mask_mobile, normalize_id, normalize_mobile, normalize_text

MAX_TRIES = 5
COOL_DOWN = timedelta(minutes=15)
_CARD = re.compile(r"^[0-9A-Z]{4,32}$")


def _blocked_until(ctx: Ctx, st: State) -> datetime | None:
    until = st.data.get("keep_link_until")
    if until and datetime.fromisoformat(until) > ctx.now:
        return datetime.fromisoformat(until)
    return None


async def start(ctx: Ctx, st: State) -> list[Reply]:
    """Ask for the card number (or say why not)."""
    if ctx.national is not None:
        return [await menu_reply(ctx, ctx.t("linking.already", name=ctx.national.full_name))]
    if _blocked_until(ctx, st):
        return [await menu_reply(ctx, ctx.t("linking.cool_down"))]
    st.go("link_card")
    return [ask(ctx, "linking.ask_card")]


async def on_card(ctx: Ctx, st: State, ev: Event) -> list[Reply]:
    card = normalize_id(ev.text) if ev.kind == "text" else ""
    if not _CARD.match(card):
        return [ask(ctx, "linking.bad_card")]
    st.go("link_year", card=card)
    return [ask(ctx, "linking.ask_year")]


def parse_year(text: str) -> int | None:
    """A Jalali birth year such as 1365; None for anything else."""
    text = normalize_text(text)
    return int(text) if text.isdigit() and 1300 <= int(text) <= 1420 else None


async def on_year(ctx: Ctx, st: State, ev: Event) -> list[Reply]:
    year = parse_year(ev.text) if ev.kind == "text" else None
    if year is None:
        return [ask(ctx, "linking.bad_year")]
    national = await find_national(ctx.session, st.data.get("card", ""), year)
    if national is None:
        return await _failed(ctx, st)
    st.go("link_prove", pending=national.id)
    return await prove_prompt(ctx, national)


async def _failed(ctx: Ctx, st: State) -> list[Reply]:
    """Wrong card or year: never say which; after MAX_TRIES a cool-down."""
    fails = int(st.data.get("keep_link_fails", 0)) + 1
    st.go("menu")
    st.data["keep_link_fails"] = fails
    if fails >= MAX_TRIES:
        st.data["keep_link_fails"] = 0
        st.data["keep_link_until"] = (ctx.now + COOL_DOWN).isoformat()
        return [await menu_reply(ctx, ctx.t("linking.cool_down"))]
    st.go("link_card")
    return [ask(ctx, "linking.not_found")]


async def prove_prompt(ctx: Ctx, national: National) -> list[Reply]:
    """Share-contact keyboard (bot only) and the SMS-code button."""
    if not national.mobile:
        return [await menu_reply(ctx, ctx.t("linking.no_mobile"))]
    buttons = [[Button(ctx.t("linking.btn_sms_code"), "link:otp")], [cancel_button(ctx)]]
    replies = []
    if ctx.channel == "telegram":
        share = {"request_contact": ctx.t("linking.btn_share")}
        replies.append(Reply(ctx.t("linking.share_contact"), payload=share))
    key = "linking.or_code" if replies else "linking.code_only"
    replies.append(Reply(ctx.t(key), buttons=buttons))
    return replies


async def _pending(ctx: Ctx, st: State) -> National | None:
    nid = st.data.get("pending")
    return await ctx.session.get(National, nid) if nid else None


async def on_contact(ctx: Ctx, st: State, ev: Event) -> list[Reply]:
    """Only the sender's own contact counts, and it must be the registry's mobile."""
    national = await _pending(ctx, st)
    if national is None or ev.kind != "contact":
        return hint(ctx, st)
    if not ev.contact_is_own:
        return [ask(ctx, "linking.contact_not_own")]
    try:
        phone = normalize_mobile(ev.contact_phone)
    except InvalidMobile:
        phone = ""
    if phone != national.mobile:
        return [
            Reply(
                ctx.t("linking.mobile_mismatch"),
                buttons=(await prove_prompt(ctx, national))[-1].buttons,
            )
        ]
    return await complete(ctx, st, national)


async def send_code(ctx: Ctx, st: State) -> list[Reply]:
    """The SMS one-time code to the registry mobile (handlers/otp queues it)."""
    national = await _pending(ctx, st)
    if national is None or not national.mobile:
        return hint(ctx, st)
    sent = await otp.request_code(ctx.rt, ctx.session, national.mobile, national.id)
    if not sent.sent:
        minutes = max(1, int(sent.retry_in.total_seconds() // 60) + 1)
        return [ask(ctx, "linking.code_too_many", minutes=digits(ctx, minutes))]
    st.step = "link_otp"
    return [ask(ctx, "linking.code_sent", mobile=mask_mobile(national.mobile))]


async def on_code(ctx: Ctx, st: State, ev: Event) -> list[Reply]:
    national = await _pending(ctx, st)
    if national is None or not national.mobile:
        return hint(ctx, st)
    if ev.kind == "contact":
        return await on_contact(ctx, st, ev)
    code = normalize_text(ev.text).replace(" ", "")
    if ev.kind != "text" or not re.fullmatch(r"\d{6}", code):
        return [ask(ctx, "linking.bad_code")]
    result = await otp.verify_code(ctx.rt, ctx.session, national.mobile, code)
    if result.ok and result.national_id in (None, national.id):
        return await complete(ctx, st, national)
    if result.status == "wrong":
        return [ask(ctx, "linking.code_wrong", left=digits(ctx, result.tries_left))]
    st.step = "link_prove"  # expired or locked: a new code may be asked for
    buttons = [[Button(ctx.t("linking.btn_sms_code"), "link:otp")], [cancel_button(ctx)]]
    return [Reply(ctx.t(f"linking.code_{result.status}"), buttons=buttons)]


async def complete(ctx: Ctx, st: State, national: National) -> list[Reply]:
    """Link chat and mobile, subscribe, count it, and greet with the household if head."""
    if ctx.channel == "telegram":
        await link_contact(ctx.session, national.id, "telegram", ctx.address, take_over=True)
        await subscribe_on_link(ctx.session, national, "telegram", ctx.address)
    if national.mobile:
        await link_contact(ctx.session, national.id, "sms", national.mobile, take_over=False)
    activity.record(ctx.session, "link", national.id)
    st.national_id, ctx.national = national.id, national
    st.go("menu")
    st.data.pop("keep_link_fails", None)
    text = ctx.t("linking.done", name=national.full_name)
    members = await household.members(ctx.session, national)
    if len(members) > 1:
        names = "\n".join(f"• {m.full_name}" for m in members)
        text += "\n\n" + ctx.t("linking.household", members=names)
    return [Reply(text, payload={"remove_keyboard": True}), await menu_reply(ctx)]


async def _button(ctx: Ctx, st: State, data: str) -> list[Reply] | None:
    """«link:start» (from any step: the engine leaves the flow first) and «link:otp»."""
    if data == "link:start":
        return await start(ctx, st)
    if data == "link:otp" and st.step in STEPS:
        return await send_code(ctx, st)
    return None


STEPS = ("link_card", "link_year", "link_prove", "link_otp")
FEATURE: Feature = Feature(
    name="linking",
    catalog=("linking", "otp"),
    buttons={"link": _button},
    leaving=("link:start",),
    steps=dict(zip(STEPS, (on_card, on_year, on_contact, on_code), strict=True)),
    entry=("link_card",),
    moves={
        "link_card": ("link_year",),
        "link_year": ("link_prove", "link_card", "menu"),
        "link_prove": ("link_otp", "menu"),
        "link_otp": ("link_prove", "menu"),
    },
    # Telegram shows the share-contact reply keyboard during these (it stays until removed).
    share_steps=("link_prove", "link_otp"),
)
