"""Staff casework: roles, status moves, exemptions, identity checks, bulk imports, the audit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers import casework, imports
from handlers.staff_auth import Forbidden, actor_for, authorize, require
from storage.models import Application, Appointment, StatusEvent
from tests.staff_seed import ADMIN, BROADCASTER, REVIEWER, STRANGER, audits, outbox, seed

ALI = "100200300"


@pytest.fixture
async def seeded(rt):
    await seed(rt)
    return rt


async def app_of(rt, card=ALI) -> Application:
    async with rt.db.session() as s:
        return await s.scalar(select(Application))


@pytest.mark.parametrize(
    ("who", "right", "ok"),
    [
        (ADMIN, "outages", True), (REVIEWER, "receipts", True), (REVIEWER, "broadcasts", False),
        (REVIEWER, "outages", False), (BROADCASTER, "broadcasts", True),
        (BROADCASTER, "statuses", False), (BROADCASTER, "receipts", False),
        (BROADCASTER, "complaints", False), (BROADCASTER, "report", True),
        (STRANGER, "report", False),
    ],
)  # fmt: skip
async def test_rights_by_role_and_refusals_are_audited(seeded, who, right, ok):
    rt = seeded
    if ok:
        assert await authorize(rt, actor_for(who), right)
        assert not await audits(rt, "denied")
        return
    with pytest.raises(Forbidden):
        await authorize(rt, actor_for(who), right)
    [row] = await audits(rt, "denied")
    assert (row.actor, row.target) == (f"tg:{who}", right)


async def test_cli_acts_as_admin(seeded):
    async with seeded.db.session() as s:
        assert await require(s, "cli:ops", "outages") == "admin"


async def test_status_move_notifies_once_in_the_nationals_language(seeded):
    rt = seeded
    async with rt.db.session() as s:
        out = await casework.change_status(
            rt, s, actor_for(REVIEWER), "۱۰۰ ۲۰۰ ۳۰۰", "payment_review", "فیش رسید"
        )
    assert out.ok and "100200300" in out.text(rt, "en")
    assert (await app_of(rt)).status == "payment_review"
    [msg] = await outbox(rt)
    assert msg.key.startswith("status:") and msg.lang == "prs" and msg.channel == "sms"
    assert "بررسی رسید بانکی" in msg.text and "فیش رسید" in msg.text
    [row] = await audits(rt, "status.change")
    assert row.actor == "tg:7002" and row.before == {"status": "awaiting_payment"}
    assert row.after["status"] == "payment_review" and row.after["note"] == "فیش رسید"


async def test_a_move_the_vocabulary_forbids_is_refused_with_the_reason(seeded):
    rt = seeded
    async with rt.db.session() as s:
        out = await casework.change_status(rt, s, actor_for(ADMIN), ALI, "delivered")
        bad = await casework.change_status(rt, s, actor_for(ADMIN), ALI, "flying")
        none = await casework.change_status(rt, s, actor_for(ADMIN), "999", "paid")
    assert not out.ok and "awaiting payment" in out.text(rt, "en")
    assert "از در انتظار پرداخت به" in out.text(rt, "fa")  # status names, not codes
    assert "deposit slip under review" in out.text(rt, "en")  # what is allowed instead
    assert not bad.ok and not none.ok and "999" in none.text(rt, "en")
    assert (await app_of(rt)).status == "awaiting_payment" and not await outbox(rt)


async def test_broadcaster_cannot_move_a_case(seeded):
    rt = seeded
    with pytest.raises(Forbidden):
        async with rt.db.session() as s:
            await casework.change_status(rt, s, actor_for(BROADCASTER), ALI, "payment_review")
    assert (await app_of(rt)).status == "awaiting_payment"


async def test_exemption_and_identity_check(seeded):
    rt = seeded
    async with rt.db.session() as s:
        bad = await casework.exempt(rt, s, "cli:ops", ALI, "bank", "12")
        out = await casework.exempt(rt, s, "cli:ops", ALI, "Welfare", "BH-۱۲۳")
        idc = await casework.identity_check(rt, s, "cli:ops", ALI)
        again = await casework.identity_check(rt, s, "cli:ops", ALI)
    assert not bad.ok and out.ok and idc.ok and again.key == "staff.identity_already"
    app = await app_of(rt)
    assert (app.status, app.exemption_body, app.exemption_certificate) == (
        "exempted", "welfare", "BH-123")  # fmt: skip
    assert app.identity_checked
    async with rt.db.session() as s:
        events = (await s.scalars(select(StatusEvent.status).order_by(StatusEvent.id))).all()
    assert events[-2:] == ["exemption_review", "exempted"]
    msgs = await outbox(rt)  # one exemption, one notice (not one per step); then the identity
    assert len(msgs) == 2 and msgs[-1].key.startswith("identity:")
    assert rt.t("prs", "status.labels.exempted") in msgs[0].text
    [row] = await audits(rt, "exemption.mark")
    assert row.after == {"exemption_body": "welfare", "certificate": "BH-123"}


STATUS_CSV = "card_number,status,note,at\n{rows}\n"


async def test_status_import_validates_the_whole_file_first(seeded):
    rt = seeded
    bad = "\n".join([
        "100200300,payment_review,,1405/09/01 10:00",
        "100200300,delivered,,",       # not allowed after payment_review
        "200300400,paid,,",            # no case: one opens (registered), which cannot be paid
        "999,paid,,",                  # unknown card
        ",,,",                         # empty card and status
        "100200300,paid,,1405/13/01",  # bad date
    ])  # fmt: skip
    async with rt.db.session() as s:
        res = await imports.import_statuses(rt, s, "cli:ops", STATUS_CSV.format(rows=bad))
    got = {(e.line, e.column) for e in res.errors}
    assert {(2, "at"), (3, "status"), (4, "status"), (5, "card_number"), (6, "card_number"),
            (6, "status"), (7, "at")} <= got  # fmt: skip
    assert (await app_of(rt)).status == "awaiting_payment" and not await outbox(rt)


async def test_status_import_applies_rows_in_order_and_notifies_each_once(seeded):
    rt = seeded
    good = "۱۰۰۲۰۰۳۰۰,payment_review,,۱۴۰۵/۰۹/۰۲ ۱۱:۳۰\n100200300,paid,تأیید شد,"
    async with rt.db.session() as s:
        res = await imports.import_statuses(rt, s, "cli:ops", STATUS_CSV.format(rows=good))
    assert res.ok and res.changed == 2
    assert (await app_of(rt)).status == "paid"
    assert len(await outbox(rt)) == 2
    async with rt.db.session() as s:
        ev = await s.scalar(select(StatusEvent).where(StatusEvent.status == "payment_review"))
    assert ev.at.astimezone(rt.settings.tz).strftime("%Y-%m-%d %H:%M") == "2026-11-23 11:30"


APPT_CSV = "card_number,office,address,starts_at,attendees,purpose\n{rows}\n"


async def test_appointment_import(seeded):
    rt = seeded
    rows = "200300400,دفتر ۲,قائن,1405/09/10 09:00,همه,عکس\n300400500,,x,1405/09/10,,"
    async with rt.db.session() as s:
        res = await imports.import_appointments(rt, s, "cli:ops", APPT_CSV.format(rows=rows))
    assert [(e.line, e.column) for e in res.errors] == [(3, "office")]
    good = APPT_CSV.format(rows=rows.splitlines()[0])
    for expected in (1, 0):  # the same file twice books once
        async with rt.db.session() as s:
            res = await imports.import_appointments(rt, s, "cli:ops", good)
        assert res.ok and res.changed == expected
    msg, *reminders = await outbox(rt)
    assert msg.key.endswith(":booked") and msg.lang == "ps" and "دفتر 2" in msg.text
    assert "۱۰ آذر ۱۴۰۵ ۰۹:۰۰" in msg.text
    # The booking also queues its reminders, due 24 h and 2 h before 09:00 Tehran time.
    due = [r.due_at.astimezone(rt.settings.tz).strftime("%m-%d %H:%M") for r in reminders]
    assert [r.kind for r in reminders] == ["reminder", "reminder"]
    assert due == ["11-30 09:00", "12-01 07:00"]
    async with rt.db.session() as s:
        assert len((await s.scalars(select(Appointment))).all()) == 2  # the demo's + this


async def test_import_needs_the_right(seeded):
    rt = seeded
    with pytest.raises(Forbidden):
        async with rt.db.session() as s:
            await imports.import_appointments(rt, s, actor_for(BROADCASTER), APPT_CSV)
