"""Appointments: a head sees the household's, answers are recorded, strangers see nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from handlers.appointments import answer, upcoming
from storage.models import Activity, Appointment, AuditLog, National
from tests.feat_support import NOW, button_data, ctx_for, freeze, seed


async def add_member_appointment(rt, card: str, days: float) -> int:
    async with rt.db.session() as s:
        person = await s.scalar(select(National).where(National.card_number == card))
        appt = Appointment(
            national_id=person.id, office="دفتر کفالت شماره ۲ قائن", address="قائن، بلوار امام",
            starts_at=NOW + timedelta(days=days), attendees="خود شخص", purpose="عکس",
        )  # fmt: skip
        s.add(appt)
        await s.flush()
        return appt.id


async def appointment(rt, appt_id: int) -> Appointment:
    async with rt.db.session() as s:
        return await s.get(Appointment, appt_id)


async def test_head_sees_own_and_members_appointments_with_everything_to_bring(rt):
    freeze(rt)
    await seed(rt)
    member_appt = await add_member_appointment(rt, "100200301", 5)
    async with ctx_for(rt, "100200300") as ctx:
        reply = await upcoming(ctx)
    text = reply.text
    assert text.index("برای: علی احمدی") < text.index("برای: فاطمه احمدی")
    assert "دفتر: دفتر کفالت شماره ۱ بیرجند" in text
    assert "نشانی: بیرجند، خیابان طالقانی، پلاک ۱۲" in text
    assert "زمان: ۵ آذر ۱۴۰۵ ۱۳:۳۰" in text
    assert "چه کسی بیاید: همه اعضای خانوار" in text and "کار: انگشت‌نگاری و عکس" in text
    assert "• فیش واریزی هزینه مصوب" in text  # the campaign's list
    assert "• برگه تردد ۹۰ روزه" in text  # the default list, for a case-less appointment
    data = button_data(reply)
    assert f"appt:confirm:{member_appt}" in data and f"appt:cannot:{member_appt}" in data
    assert len(data) == 4


async def test_member_sees_only_their_own(rt):
    freeze(rt)
    await seed(rt)
    member_appt = await add_member_appointment(rt, "100200301", 5)
    async with ctx_for(rt, "100200301", lang="en") as ctx:
        reply = await upcoming(ctx)
    assert button_data(reply) == [f"appt:confirm:{member_appt}", f"appt:cannot:{member_appt}"]
    assert "When: 1405/09/07 13:30" in reply.text and "For:" not in reply.text


async def test_confirm_then_cannot_come_is_stored_audited_and_counted(rt):
    freeze(rt)
    await seed(rt)
    appt_id = await add_member_appointment(rt, "100200301", 5)
    async with ctx_for(rt, "100200300") as ctx:
        done = await answer(ctx, appt_id, True)
    assert done.text == "ممنون. آمدن شما در ۷ آذر ۱۴۰۵ ۱۳:۳۰ به دفتر کفالت شماره ۲ قائن ثبت شد."
    assert (await appointment(rt, appt_id)).state == "confirmed"
    async with ctx_for(rt, "100200301") as ctx:
        later = await answer(ctx, appt_id, False)
        again = await answer(ctx, appt_id, False)
    assert later.text == again.text and "نمی‌توانید بیایید" in later.text
    assert (await appointment(rt, appt_id)).state == "cannot_come"
    async with rt.db.session() as s:
        audits = (await s.scalars(select(AuditLog).order_by(AuditLog.id))).all()
        kinds = (await s.scalars(select(Activity.kind).order_by(Activity.id))).all()
    assert [
        (a.action, a.before, a.after) for a in audits if a.action.startswith("appointment")
    ] == [
        ("appointment.confirmed", {"state": "booked"}, {"state": "confirmed"}),
        ("appointment.cannot_come", {"state": "confirmed"}, {"state": "cannot_come"}),
    ]
    assert kinds == ["appointment_confirmed", "appointment_cannot_come"]
    async with ctx_for(rt, "100200300") as ctx:
        shown = await upcoming(ctx)
    assert "وضعیت: گفته‌اید نمی‌توانید بیایید" in shown.text
    assert f"appt:confirm:{appt_id}" in button_data(shown)
    assert f"appt:cannot:{appt_id}" not in button_data(shown)


async def test_others_appointments_are_not_found_and_unchanged(rt):
    freeze(rt)
    await seed(rt)
    appt_id = await add_member_appointment(rt, "100200301", 5)
    for card in ("200300400", "100200302"):  # another household; a member who is not head
        async with ctx_for(rt, card) as ctx:
            reply = await answer(ctx, appt_id, True)
        assert reply.text == "این نوبت پیدا نشد."
    async with ctx_for(rt, "200300400") as ctx:
        assert (await answer(ctx, 987654, True)).text == "این نوبت پیدا نشد."
        assert (await upcoming(ctx)).text.startswith("الان نوبتی ندارید.")
    assert (await appointment(rt, appt_id)).state == "booked"


async def test_past_appointment_cannot_change_and_unlinked_must_link(rt):
    freeze(rt)
    await seed(rt)
    appt_id = await add_member_appointment(rt, "100200300", 1)
    freeze(rt, NOW + timedelta(days=2))
    async with ctx_for(rt, "100200300") as ctx:
        assert (await answer(ctx, appt_id, True)).text == "این نوبت دیگر قابل تغییر نیست."
    async with ctx_for(rt) as ctx:
        assert (await upcoming(ctx)).text == ctx.t("common.link_first")
        assert (await answer(ctx, appt_id, True)).text == ctx.t("common.link_first")
    assert (await appointment(rt, appt_id)).state == "booked"


async def test_cannot_come_cancels_the_reminders(rt):
    from handlers.reminders import schedule_appointment_reminders
    from storage.models import Outbox

    freeze(rt)
    await seed(rt)
    appt_id = await add_member_appointment(rt, "100200300", 5)
    async with rt.db.session() as s:
        appt = await s.get(Appointment, appt_id)
        person = await s.get(National, appt.national_id)
        assert len(await schedule_appointment_reminders(rt, s, appt, person)) == 2
    async with ctx_for(rt, "100200300") as ctx:
        await answer(ctx, appt_id, False)
    async with rt.db.session() as s:
        states = (await s.scalars(select(Outbox.state).where(Outbox.kind == "reminder"))).all()
    assert list(states) == ["cancelled", "cancelled"]
