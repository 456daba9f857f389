"""A national's upcoming appointments (and their household's, for a head) and their answers."""

from __future__ import annotations

from handlers.base import Button, Ctx, Reply
from handlers.fmt import bullets, digits, link_first, moment
from handlers.reminders import cancel_appointment_reminders
from storage.activity import record
from storage.admin import audit
from storage.appointments import SHOWN, appointment_for_update, set_state, upcoming_for
from storage.household import members, visible_ids
from storage.models import Appointment, Campaign, National


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
    return Reply("\n\n".join(blocks), buttons=[row for row in buttons if row])


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
