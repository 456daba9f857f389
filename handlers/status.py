"""Where a national's case stands and how it got there, each step with its Jalali date."""

from __future__ import annotations

from collections.abc import Sequence

from handlers import sms_access
from handlers.base import Button, Ctx, Reply
from handlers.convo import State, link_first, menu_reply
from handlers.feature import Args, ArgSpec, Feature, Keyword, MenuEntry
from handlers.fmt import local_day
from storage.household import members, visible_ids
from storage.models import Application, National
from storage.status_history import cases_of, history

MAX_STEPS = 12  # older steps add little and make SMS and small screens long


def label(ctx: Ctx, status: str) -> str:
    """The status code in the reader's words (unknown codes shown as they are)."""
    key = f"status.labels.{status}"
    return ctx.t(key) if ctx.rt.catalog.has(key, ctx.lang) else status


def _member_buttons(ctx: Ctx, people: Sequence[National], shown: National) -> list[list[Button]]:
    return [
        [Button(ctx.t("status.btn_member", name=p.first_name), f"status:member:{p.id}")]
        for p in people
        if p.id != shown.id
    ]


async def _case_text(ctx: Ctx, target: National) -> tuple[str, str | None]:
    cases = await cases_of(ctx.session, target.id, limit=1)
    if not cases:
        return ctx.t("status.no_case", name=target.full_name), None
    app, campaign = cases[0]
    now_label = label(ctx, app.status)
    lines = [
        ctx.t("status.head", name=target.full_name, title=campaign.title),
        ctx.t("status.now", label=now_label),
    ]
    hint = f"status.hint.{app.status}"
    if ctx.rt.catalog.has(hint, ctx.lang):
        lines.append(ctx.t(hint))
    lines += _casework_lines(ctx, app)
    events = list(await history(ctx.session, app))[-MAX_STEPS:]
    if events:
        lines.append(ctx.t("status.history"))
        lines += [
            ctx.t("status.step", date=local_day(ctx, e.at), label=label(ctx, e.status))
            for e in events
        ]
    when = local_day(ctx, events[-1].at) if events else local_day(ctx, app.updated_at)
    sms = ctx.t("status.sms", name=target.first_name, label=now_label, date=when)
    return "\n".join(lines), sms


# Statuses from which the identity check is the next thing the bureau does (or did).
IDENTITY_DUE = frozenset({"paid", "exempted", "identity_check"})


def _casework_lines(ctx: Ctx, app: Application) -> list[str]:
    """The exemption (referring body and certificate) and the identity check, when they apply."""
    lines = []
    if app.exemption_body:
        body = ctx.t(f"staff.body.{app.exemption_body}")
        lines.append(ctx.t("cases.status_exemption", body=body,
                           certificate=app.exemption_certificate or "-"))  # fmt: skip
    if app.identity_checked:
        lines.append(ctx.t("cases.status_identity_done"))
    elif app.status in IDENTITY_DUE:
        lines.append(ctx.t("cases.status_identity_pending"))
    return lines


async def status_reply(ctx: Ctx, national: National | None = None) -> Reply:
    """The current status and history of the linked national, or of a member for a head."""
    if ctx.national is None:
        return link_first(ctx)
    people = await members(ctx.session, ctx.national)
    target = national or ctx.national
    if target.id not in {p.id for p in people}:
        return Reply(ctx.t("status.not_found"))
    text, sms = await _case_text(ctx, target)
    return Reply(text, buttons=_member_buttons(ctx, people, target), sms_text=sms)


async def member_status(ctx: Ctx, national_id: int) -> Reply:
    """For the button "status:member:<id>": the member's status, if the viewer heads them."""
    if ctx.national is None:
        return link_first(ctx)
    for person in await members(ctx.session, ctx.national):
        if person.id == national_id:
            return await status_reply(ctx, person)
    return Reply(ctx.t("status.not_found"))


# --- the doors: the menu, a head's member buttons, and SMS ----------------------------------


async def _menu(ctx: Ctx, st: State) -> list[Reply]:
    return [await status_reply(ctx)]


async def _button(ctx: Ctx, st: State, data: str) -> list[Reply] | None:
    """«status:member:<id>»: a head reads a member's status; nobody else's, whatever it says."""
    rest = data.partition(":")[2]
    if not (rest.startswith("member:") and rest[7:].isdigit()):
        return None
    if ctx.national is None:
        return [link_first(ctx)]
    if int(rest[7:]) not in await visible_ids(ctx.session, ctx.national):
        return [await menu_reply(ctx, ctx.t("dialog.not_yours"))]
    return [await member_status(ctx, int(rest[7:]))]


async def _sms(ctx: Ctx, args: Args) -> Reply:
    if not args:
        if ctx.national is None:
            return Reply(ctx.t("sms.need_card"))
        return await status_reply(ctx)
    found = await sms_access.person(ctx, args[0])
    if found is None:
        return sms_access.not_yours(ctx)
    person, as_seer = found
    return await status_reply(as_seer, national=person)


FEATURE: Feature = Feature(
    name="status",
    catalog=("status",),
    menu=MenuEntry("status", _menu, personal=True),
    buttons={"status": _button},
    keywords=(Keyword("STATUS", ("وضعیت", "status"), ArgSpec.CARD_OPT, _sms),),
)
