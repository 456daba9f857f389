"""The deposit-slip conversation: file, tracking number, amount, summary, confirm."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta

from handlers import receipts, sms_access
from handlers.base import Button, Ctx, Reply
from handlers.convo import Event, SlipFile, State, ask, cancel_button, link_first, menu_reply
from handlers.feature import Args, ArgSpec, Feature, Keyword, MenuEntry
from handlers.fmt import rials_and_toman
from storage import conversations
from storage import receipts as store


async def begin(ctx: Ctx, st: State, ev: Event | None = None) -> list[Reply]:
    """Start from the menu (ask for the file) or from a file sent out of the blue."""
    if ctx.national is None:
        return [link_first(ctx)]
    found = await store.payable_application(ctx.session, ctx.national.id)
    if found is None:
        return [await menu_reply(ctx, ctx.t("receipts.no_application"))]
    st.go("slip_file", app=found[0].id)
    if ev is not None and ev.file is not None:
        return await on_file(ctx, st, ev)
    fee = rials_and_toman(ctx, found[1].fee_total)
    return [ask(ctx, "receipts.ask_file", fee=fee, account=found[1].bank_account)]


async def on_file(ctx: Ctx, st: State, ev: Event) -> list[Reply]:
    if ev.kind not in ("photo", "document") or ev.file is None:
        return [ask(ctx, "receipts.ask_file_again")]
    error = await receipts.stage(ctx, ev.file)
    if error is not None:
        return [ask(ctx, error)]
    if (st.data.get("file") or {}).get("path") != ev.file.path:
        await _drop_staged(ctx, st)  # a second file replaces the first
    st.data["file"] = {k: v for k, v in asdict(ev.file).items() if k != "data"}
    st.step = "slip_tracking"
    return [ask(ctx, "receipts.ask_tracking")]


async def on_tracking(ctx: Ctx, st: State, ev: Event) -> list[Reply]:
    tracking = receipts.parse_tracking(ev.text) if ev.kind == "text" else None
    if tracking is None:
        return [ask(ctx, "receipts.bad_tracking")]
    st.data["tracking"] = tracking
    st.step = "slip_amount"
    return [ask(ctx, "receipts.ask_amount")]


async def on_amount(ctx: Ctx, st: State, ev: Event) -> list[Reply]:
    if ctx.national is None:
        return [link_first(ctx)]
    found = await store.payable_application(ctx.session, ctx.national.id)
    if found is None:
        await cancel(ctx, st)
        return [await menu_reply(ctx, ctx.t("receipts.no_application"))]
    rials = receipts.parse_amount(ev.text) if ev.kind == "text" else None
    if rials is None:
        return [ask(ctx, "receipts.bad_amount")]
    if rials != found[1].fee_total:
        reply = receipts.wrong_amount(ctx, found[1])
        reply.buttons = [[cancel_button(ctx)]]
        return [reply]
    st.data["amount"] = rials
    st.step = "slip_confirm"
    summary = ctx.t(
        "receipts.summary", tracking=st.data["tracking"], amount=rials_and_toman(ctx, rials)
    )
    buttons = [[Button(ctx.t("receipts.btn_confirm"), "slip:confirm")], [cancel_button(ctx)]]
    return [Reply(summary, buttons=buttons)]


async def on_confirm(ctx: Ctx, st: State, ev: Event) -> list[Reply]:
    if ev.kind != "button" or ev.data != "slip:confirm":
        buttons = [[Button(ctx.t("receipts.btn_confirm"), "slip:confirm")], [cancel_button(ctx)]]
        return [Reply(ctx.t("receipts.press_confirm"), buttons=buttons)]
    file = SlipFile(**st.data["file"])
    reply = await receipts.submit_receipt(
        ctx, tracking=st.data["tracking"], amount=str(st.data["amount"]), file=file
    )
    st.go("menu")
    return [reply, await menu_reply(ctx)]


async def _drop_staged(ctx: Ctx, st: State) -> None:
    staged = (st.data.get("file") or {}).get("path", "")
    if staged:
        await receipts.discard(ctx, staged)


async def cancel(ctx: Ctx, st: State) -> None:
    """Called by the engine on /cancel or when leaving the flow: nothing stays behind."""
    if st.step.startswith("slip_"):
        await _drop_staged(ctx, st)


# --- the doors: the menu, a file sent from the menu, and the SMS keyword (with its retry) ------
# After a refused amount, a bare amount sent within this time is a new try of that slip.
AMOUNT_RETRY = timedelta(hours=1)
RETRY_STEP = "sms_receipt_amount"  # the mobile's conversation row, not a dialog step


async def _menu(ctx: Ctx, st: State) -> list[Reply]:
    return await begin(ctx, st)


async def _sms(ctx: Ctx, args: Args) -> Reply:
    if ctx.national is None:
        return sms_access.not_linked(ctx)
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


STEPS = ("slip_file", "slip_tracking", "slip_amount", "slip_confirm")
FEATURE: Feature = Feature(
    name="slip",
    catalog=("receipts",),
    menu=MenuEntry("receipt", _menu, personal=True),
    steps=dict(zip(STEPS, (on_file, on_tracking, on_amount, on_confirm), strict=True)),
    entry=("slip_file",),
    moves={
        "slip_file": ("slip_tracking",),
        "slip_tracking": ("slip_amount",),
        "slip_amount": ("slip_confirm",),
        "slip_confirm": ("menu",),
    },
    step_buttons=dict.fromkeys(STEPS, ("slip:",)),
    on_leave=cancel,
    on_file=begin,
    keywords=(Keyword("RECEIPT", ("فیش", "receipt"), ArgSpec.TRACKING_AMOUNT, _sms),),
    follow_up=follow_up,
)
