"""Reminders: before an appointment (24 h and 2 h) and before a campaign closes.

They are outbox rows due at a time, not timers: a restart loses none, and the sender drops a
reminder whose appointment was cancelled or has passed.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.i18n import LANGUAGES
from handlers.jalali import fa_digits, format_date, format_datetime
from handlers.runtime import Runtime
from storage import reminders as store
from storage.models import Appointment, Campaign, National
from storage.outbox import notify

APPOINTMENT_HOURS = (24, 2)
DEADLINE_DAYS = (7, 1)
DEADLINE_HOUR = time(10, 0)  # local time the deadline reminders go out


def _lang(rt: Runtime, national: National) -> str:
    return rt.catalog.normalise_lang(national.language or rt.settings.default_language)


async def schedule_appointment_reminders(
    rt: Runtime, session: AsyncSession, appointment: Appointment, national: National
) -> list[int]:
    """Queue the 24 h and 2 h reminders still ahead; call again after a rebooking."""
    await store.cancel_appointment_reminders(session, appointment)
    now, lang, ids = rt.clock(), _lang(rt, national), []
    when = format_datetime(appointment.starts_at, rt.settings.tz, lang)
    params = dict(name=national.first_name, office=appointment.office,
                  address=appointment.address, when=when,
                  attendees=appointment.attendees or "-")  # fmt: skip
    buttons = _answer_buttons(rt, lang, appointment)
    for hours in APPOINTMENT_HOURS:
        due = appointment.starts_at - timedelta(hours=hours)
        if due <= now:
            continue
        key = f"reminders.appointment_{hours}h"
        oid = await notify(
            session, national.id, key=store.appointment_key(appointment, f"{hours}h"),
            kind="reminder", text=rt.t(lang, key, **params), lang=lang,
            sms_text=rt.t(lang, "reminders.appointment_sms", **params),
            payload={"appointment_id": appointment.id, "buttons": buttons}, due_at=due,
            # Not out on the messenger within a quarter of the lead time: SMS instead.
            deadline_at=due + timedelta(hours=hours / 4),
        )  # fmt: skip
        if oid is not None:
            ids.append(oid)
    return ids


def _answer_buttons(rt: Runtime, lang: str, appointment: Appointment) -> list[list[list[str]]]:
    """The reminder's confirm / cannot-come buttons: the same callbacks as the APPT screen."""
    n, aid = ("1" if lang == "en" else fa_digits(1)), appointment.id
    return [[[rt.t(lang, "appointments.btn_confirm", n=n), f"appt:confirm:{aid}"],
             [rt.t(lang, "appointments.btn_cannot", n=n), f"appt:cannot:{aid}"]]]  # fmt: skip


async def cancel_appointment_reminders(session: AsyncSession, appointment: Appointment) -> int:
    """Call when an appointment is cancelled or moved."""
    return await store.cancel_appointment_reminders(session, appointment)


def deadline_texts(rt: Runtime, campaign: Campaign, days: int) -> dict[str, str]:
    return {lang: rt.t(lang, "reminders.deadline", title=campaign.title,
                       days=days if lang == "en" else fa_digits(days),
                       ends=format_date(campaign.ends_on, lang))
            for lang in LANGUAGES}  # fmt: skip


async def queue_due_deadline_reminders(rt: Runtime, session: AsyncSession) -> int:
    """For campaigns closing in 7 or 1 days: once, at 10:00 local time, remind the applicants."""
    local = rt.clock().astimezone(rt.settings.tz)
    if local.time() < DEADLINE_HOUR:
        return 0
    queued = 0
    for days in DEADLINE_DAYS:
        day: date = local.date() + timedelta(days=days)
        for campaign in await store.campaigns_ending(session, day):
            marker = f"campaign:{campaign.id}:{days}d"
            if await store.deadline_reminders_done(session, marker):
                continue
            # Each reader's own language; ASCII date and count, as in the other SMS.
            sms = {lang: rt.t(lang, "reminders.deadline_sms", days=days,
                              ends=format_date(campaign.ends_on, "en"))
                   for lang in LANGUAGES}  # fmt: skip
            queued += await store.queue_deadline_reminders(
                session, campaign, days, deadline_texts(rt, campaign, days), sms,
                due_at=rt.clock(), default_lang=rt.settings.default_language,
            )  # fmt: skip
    return queued
