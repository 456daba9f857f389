"""Menu buttons and the short multi-step inputs, wired to the channel-free feature functions."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from handlers import receipts
from handlers.base import Button, Ctx, Reply
from handlers.convo import Event, State, ask, cancel_button, link_first, menu_reply
from handlers.fmt import digits
from handlers.linking import parse_year
from storage import household
from storage.text import normalize_id, normalize_text

PERSONAL = {"menu:receipt", "menu:appts", "menu:status"}
# Checks of someone else's card + birth year a chat may make in an hour: enough for a family,
# too few to try out birth years against many card numbers.
ELIG_LIMIT, ELIG_WINDOW = 10, timedelta(hours=1)


async def on_menu(ctx: Ctx, st: State, data: str) -> list[Reply]:
    """A main-menu button, valid at any step."""
    from handlers import appointments, campaigns, eligibility, services, slip, status
    from handlers import subscriptions as subs

    if data in PERSONAL and ctx.national is None:
        return link_first(ctx)
    st.go("menu")
    if data == "menu:campaigns":
        return [await campaigns.open_campaigns(ctx)]
    if data == "menu:elig":
        if ctx.national is None:
            st.go("elig_card")
            return [ask(ctx, "dialog.elig_ask_card")]
        result = await eligibility.check_national(ctx, ctx.national)
        return [eligibility.explain(ctx, result, offer_case=True)]
    if data == "menu:receipt":
        return await slip.begin(ctx, st)
    if data == "menu:appts":
        return [await appointments.upcoming(ctx)]
    if data == "menu:status":
        return [await status.status_reply(ctx)]
    if data == "menu:complaint":
        return [complaint_menu(ctx)]
    if data == "menu:services":
        return [services.services_menu(ctx)]
    if data == "menu:subs":
        return [await subs.subscription_menu(ctx)]
    if data == "menu:lang":
        return [language_menu(ctx)]
    return [await menu_reply(ctx)]


# The languages offered, each named in itself. Dari is its own choice (Afghan month names from
# the first screen); Arabic is not offered: its catalog is not complete.
OFFERED = ("fa", "prs", "ps", "en")


def language_menu(ctx: Ctx) -> Reply:
    rows = [[Button(ctx.t(f"dialog.lang_{code}"), f"lang:{code}")] for code in OFFERED]
    return Reply(ctx.t("dialog.choose_language"), buttons=rows)


def complaint_menu(ctx: Ctx) -> Reply:
    rows = [
        [Button(ctx.t("dialog.btn_complaint_new"), "cmp:new")],
        [Button(ctx.t("dialog.btn_complaint_lookup"), "cmp:lookup")],
        [cancel_button(ctx)],
    ]
    return Reply(ctx.t("dialog.complaint_menu"), buttons=rows)


async def on_feature_button(ctx: Ctx, st: State, data: str) -> list[Reply] | None:
    """Buttons that feature replies carry; None when the data is not one of them."""
    from handlers import appointments, services
    from handlers import subscriptions as subs

    head, _, rest = data.partition(":")
    if head == "appt" and ctx.national is None:
        return link_first(ctx)
    if head == "appt" and rest.partition(":")[2].isdigit():
        action, _, ident = rest.partition(":")
        return [await appointments.answer(ctx, int(ident), action == "confirm")]
    if data == "case:open":
        from handlers import cases

        return [await cases.open_for_household(ctx)] if ctx.national else link_first(ctx)
    if head == "status" and rest.startswith("member:") and rest[7:].isdigit():
        return await _member_status(ctx, int(rest[7:]))
    if head == "svc":
        if rest.startswith("page:") and rest[5:].isdigit():
            return [services.services_menu(ctx, page=int(rest[5:]))]
        return [services.service_detail(ctx, int(rest))] if rest.isdigit() else None
    if head == "sub":
        if rest in ("on", "off"):
            return [await (subs.subscribe(ctx, None) if rest == "on" else subs.unsubscribe(ctx))]
        if rest.startswith("prov:"):
            return [await subs.subscribe(ctx, rest[5:])]
    if data in ("cmp:new", "cmp:lookup"):
        from handlers import complaints

        # Over the daily cap: say so before the person types a complaint that would be refused.
        if data == "cmp:new" and (refused := await complaints.over_limit(ctx)):
            st.go("menu")
            return [refused, await menu_reply(ctx)]
        st.go("complaint_text" if data == "cmp:new" else "complaint_code")
        return [ask(ctx, f"dialog.{st.step}")]
    return None


async def _member_status(ctx: Ctx, member_id: int) -> list[Reply]:
    """A head of household reads a member's status; nobody else's, whatever the button says."""
    from handlers import status

    if ctx.national is None:
        return link_first(ctx)
    if member_id not in await household.visible_ids(ctx.session, ctx.national):
        return [await menu_reply(ctx, ctx.t("dialog.not_yours"))]
    return [await status.member_status(ctx, member_id)]


async def on_elig_card(ctx: Ctx, st: State, ev: Event) -> list[Reply]:
    card = normalize_id(ev.text) if ev.kind == "text" else ""
    if not card.isalnum() or not 4 <= len(card) <= 32:
        return [ask(ctx, "linking.bad_card")]
    st.go("elig_year", card=card)
    return [ask(ctx, "linking.ask_year")]


async def on_elig_year(ctx: Ctx, st: State, ev: Event) -> list[Reply]:
    from handlers import eligibility

    year = parse_year(ev.text) if ev.kind == "text" else None
    if year is None:
        return [ask(ctx, "linking.bad_year")]
    card = st.data.get("card", "")
    st.go("menu")
    if not _count_check(ctx, st):
        return [await menu_reply(ctx, ctx.t("eligibility.too_many", limit=digits(ctx, ELIG_LIMIT)))]
    return [await eligibility.check_unlinked(ctx, card, str(year))]


def _count_check(ctx: Ctx, st: State) -> bool:
    """Count one card + birth year check in this chat's last hour; False once over the limit."""
    since = ctx.now - ELIG_WINDOW
    recent = [t for t in st.data.get("keep_elig", []) if datetime.fromisoformat(t) > since]
    allowed = len(recent) < ELIG_LIMIT
    st.data["keep_elig"] = [*recent, ctx.now.isoformat()] if allowed else recent
    return allowed


async def on_complaint_text(ctx: Ctx, st: State, ev: Event) -> list[Reply]:
    text = normalize_text(ev.text)
    if ev.kind == "photo" and len(text) >= 3:
        return await _file_complaint(ctx, st, text, ev)
    if ev.kind != "text" or len(text) < 3:
        return [ask(ctx, "dialog.complaint_text")]
    st.go("complaint_photo", text=text[:2000])
    buttons = [[Button(ctx.t("dialog.btn_no_photo"), "cmp:skip")], [cancel_button(ctx)]]
    return [Reply(ctx.t("dialog.complaint_photo"), buttons=buttons)]


async def on_complaint_photo(ctx: Ctx, st: State, ev: Event) -> list[Reply]:
    if ev.kind == "button" and ev.data == "cmp:skip":
        return await _file_complaint(ctx, st, st.data.get("text", ""), None)
    if ev.kind in ("photo", "document"):
        return await _file_complaint(ctx, st, st.data.get("text", ""), ev)
    buttons = [[Button(ctx.t("dialog.btn_no_photo"), "cmp:skip")], [cancel_button(ctx)]]
    return [Reply(ctx.t("dialog.complaint_photo"), buttons=buttons)]


async def _file_complaint(ctx: Ctx, st: State, text: str, ev: Event | None) -> list[Reply]:
    from handlers import complaints

    if refused := await complaints.over_limit(ctx):  # before a photo is written
        st.go("menu")
        return [refused, await menu_reply(ctx)]
    path = None
    if ev is not None and ev.file is not None:
        if error := receipts.check_file(ev.file):
            return [ask(ctx, error)]
        path = f"complaints/{ev.file.sha256}.{ev.file.ext}"
        data = ev.file.data or b""
        await asyncio.to_thread(receipts.write_file, ctx.rt.settings.files_dir, path, data)
    st.go("menu")
    return [await complaints.file_complaint(ctx, text, path), await menu_reply(ctx)]


async def on_complaint_code(ctx: Ctx, st: State, ev: Event) -> list[Reply]:
    from handlers import complaints

    code = ev.text.strip() if ev.kind == "text" else ""
    if not code:
        return [ask(ctx, "dialog.complaint_code")]
    st.go("menu")
    return [await complaints.lookup_complaint(ctx, code), await menu_reply(ctx)]


STEPS = {
    "elig_card": on_elig_card,
    "elig_year": on_elig_year,
    "complaint_text": on_complaint_text,
    "complaint_photo": on_complaint_photo,
    "complaint_code": on_complaint_code,
}
