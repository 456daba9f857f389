"""A national's upcoming appointments (and their household's, for a head) and their answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from handlers import sms_access
from handlers.base import Button, Ctx, Reply
from handlers.convo import State, link_first
from handlers.feature import Args, ArgSpec, Feature, Keyword, MenuEntry
from handlers.fmt import bullets, digits, moment
from handlers.reminders import cancel_appointment_reminders
from handlers.sms_parts import count_segments
from storage.activity import record
from storage.admin import audit
from storage.appointments import SHOWN, appointment_for_update, set_state, upcoming_for
from storage.household import members, visible_ids
from storage.models import Appointment, Campaign, National
from storage.text import normalize_digits


def _block(
    ctx: Ctx, n: int, appt: Appointment, campaign: Campaign | None, who: National | None
) -> str:
    lines = [ctx.t("appointments.number", n=digits(ctx, n))]
    if who is not None:
        lines.append(ctx.t("appointments.for", name=who.full_name))
    lines.append(ctx.t("appointments.office", office=appt.office))
    if appt.address:
        lines.append(ctx.t("appointments.address", address=appt.address))
    lines.append(ctx.t("appointments.when", when=moment(ctx, appt.starts_at)))
    if appt.attendees:
        lines.append(ctx.t("appointments.attendees", attendees=appt.attendees))
    if appt.purpose:
        lines.append(ctx.t("appointments.purpose", purpose=appt.purpose))
    docs = list(campaign.documents) if campaign and campaign.documents else []
    bring = bullets(docs) if docs else ctx.t("appointments.default_docs")
    lines.append(ctx.t("appointments.bring") + "\n" + bring)
    lines.append(ctx.t(f"appointments.state.{appt.state}"))
    return "\n".join(lines)


def _buttons(ctx: Ctx, n: int, appt: Appointment) -> list[Button]:
    num = digits(ctx, n)
    row = []
    if appt.state != "confirmed":
        row.append(Button(ctx.t("appointments.btn_confirm", n=num), f"appt:confirm:{appt.id}"))
    if appt.state != "cannot_come":
        row.append(Button(ctx.t("appointments.btn_cannot", n=num), f"appt:cannot:{appt.id}"))
    return row


async def upcoming(ctx: Ctx) -> Reply:
    """Upcoming appointments with office, address, time, who comes and what to bring."""
    if ctx.national is None:
        return link_first(ctx)
    people = {n.id: n for n in await members(ctx.session, ctx.national)}
    rows = await upcoming_for(ctx.session, people, ctx.now)
    if not rows:
        return Reply(ctx.t("appointments.none"))
    household = len(people) > 1
    blocks, buttons = [], []
    for n, (appt, campaign) in enumerate(rows, start=1):
        who = people.get(appt.national_id) if household else None
        blocks.append(_block(ctx, n, appt, campaign, who))
        buttons.append(_buttons(ctx, n, appt))
    blocks.append(ctx.t("appointments.footer"))
    sms = _sms(ctx, [appt for appt, _ in rows])
    return Reply("\n\n".join(blocks), buttons=[row for row in buttons if row], sms_text=sms)


SMS_PARTS = 2  # the APPT answer by SMS: the times and offices, and how to answer


def _sms(ctx: Ctx, appts: list[Appointment]) -> str:
    """As many appointments as fit in SMS_PARTS parts, then "+N more", then the answer keys."""
    tail = ctx.t("appointments.sms_answer")
    lines: list[str] = []
    for n, appt in enumerate(appts, start=1):
        line = ctx.t("appointments.sms_line", n=digits(ctx, n), when=moment(ctx, appt.starts_at),
                     office=appt.office)  # fmt: skip
        more = ctx.t("appointments.sms_more", n=digits(ctx, len(appts) - n))
        tried = [*lines, line] + ([more] if n < len(appts) else []) + [tail]
        if lines and count_segments("\n".join(tried)).parts > SMS_PARTS:
            lines.append(ctx.t("appointments.sms_more", n=digits(ctx, len(appts) - n + 1)))
            break
        lines.append(line)
    return "\n".join([*lines, tail])


async def answer_by_number(ctx: Ctx, number: str, confirm: bool) -> Reply:
    """The SMS keyword's answer: the n-th appointment of the APPT list (the only one if one)."""
    if ctx.national is None:
        return link_first(ctx)
    people = {n.id: n for n in await members(ctx.session, ctx.national)}
    rows = await upcoming_for(ctx.session, people, ctx.now)
    n = normalize_digits(number.strip())
    if not rows:
        return Reply(ctx.t("appointments.none"))
    if not n and len(rows) == 1:
        n = "1"
    if not (n.isascii() and n.isdigit()) or not 1 <= int(n) <= len(rows):
        return Reply(ctx.t("appointments.sms_which", max=digits(ctx, len(rows))))
    reply = await answer(ctx, rows[int(n) - 1][0].id, confirm)
    return reply


async def answer(ctx: Ctx, appointment_id: int, confirm: bool) -> Reply:
    """Confirm or decline one's own (or a household member's) appointment."""
    if ctx.national is None:
        return link_first(ctx)
    appt = await appointment_for_update(ctx.session, appointment_id)
    if appt is None or appt.national_id not in await visible_ids(ctx.session, ctx.national):
        return Reply(ctx.t("appointments.not_found"))
    if appt.state not in SHOWN or appt.starts_at <= ctx.now:
        return Reply(ctx.t("appointments.closed"))
    new = "confirmed" if confirm else "cannot_come"
    params = {"when": moment(ctx, appt.starts_at), "office": appt.office}
    if appt.state != new:
        old = appt.state
        set_state(appt, new)
        record(ctx.session, f"appointment_{new}", appt.national_id, ctx.now)
        if new == "cannot_come":  # nobody should be reminded of a visit they said they'd miss
            await cancel_appointment_reminders(ctx.session, appt)
        await audit(
            ctx.session, f"national:{ctx.national.id}", f"appointment.{new}",
            f"appointment:{appt.id}", {"state": old}, {"state": new},
        )  # fmt: skip
    return Reply(ctx.t(f"appointments.done_{new}", **params))


# --- the doors: the menu, the confirm/cannot buttons, and SMS -------------------------------


async def _menu(ctx: Ctx, st: State) -> list[Reply]:
    return [await upcoming(ctx)]


async def _button(ctx: Ctx, st: State, data: str) -> list[Reply] | None:
    """«appt:confirm:12» / «appt:cannot:12»."""
    if ctx.national is None:
        return [link_first(ctx)]
    action, _, ident = data.partition(":")[2].partition(":")
    return [await answer(ctx, int(ident), action == "confirm")] if ident.isdigit() else None


async def _sms_list(ctx: Ctx, args: Args) -> Reply:
    if ctx.national is None:
        return sms_access.not_linked(ctx)
    return await upcoming(ctx)


def _sms_answer(confirm: bool) -> Callable[[Ctx, Args], Awaitable[Reply]]:
    """«تایید ۲» / «نمیام»: the numbered appointment of the APPT list (the only one if one)."""

    async def act(ctx: Ctx, args: Args) -> Reply:
        if ctx.national is None:
            return sms_access.not_linked(ctx)
        return await answer_by_number(ctx, args[0] if args else "", confirm)

    return act


FEATURE: Feature = Feature(
    name="appointments",
    catalog=("appointments",),
    menu=MenuEntry("appts", _menu, personal=True),
    buttons={"appt": _button},
    keywords=(
        Keyword("APPT", ("نوبت", "appt"), ArgSpec.NONE, _sms_list),
        Keyword(
            "CONFIRM",
            ("تایید", "تأیید", "میام", "می‌آیم", "confirm"),
            ArgSpec.REST_OPT,
            _sms_answer(True),
        ),
        Keyword(
            "DECLINE",
            ("نمیام", "نمی‌آیم", "نمیتوانم", "decline", "cannot"),
            ArgSpec.REST_OPT,
            _sms_answer(False),
        ),
    ),
)
