"""Issue 10: the renewal case opened by every door, each followed to `delivered` and the report.

Seeded only as a deployment is (tests/cases_kit.py): registry CSV → `amayesh import nationals`,
`amayesh campaign create`, `amayesh staff add`. Nationals act over the fake Bot API and the SMS
inbound route, staff over the staff chat and the CLI.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage.models import Application, AuditLog, Outbox, StatusEvent
from tests.bot_kit import Chat, datas, png
from tests.cases_kit import (
    ADMIN,
    HOUSEHOLD,
    KARIM,
    KARIM_MOBILE,
    KARIM_YEAR,
    LAPSED,
    LAPSED_MOBILE,
    OTHER,
    ROYA,
    ROYA_MOBILE,
    ROYA_YEAR,
    World,
    cases_of,
    cli,
    count,
    events_of,
    finish,
    world,
)

FEE = "۴۰۰٬۰۰۰ ریال"


@pytest.fixture
async def w(settings, botapi, tmp_path) -> AsyncIterator[World]:
    async with world(settings, botapi, tmp_path) as got:
        yield got


def figures_ok(fig: dict[str, str], opened: int) -> None:
    """The daily report (day and campaign columns) counts what the test did today."""
    assert fig["slips_submitted"] == "1,1" and fig["slips_approved"] == "1,1"
    assert fig["status:registered"] == f"{opened},{opened}"
    assert fig["status:paid"] == "1,1" and fig["status:delivered"] == "1,1"


async def test_bot_head_of_household_opens_for_everyone_and_reaches_delivered(w: World) -> None:
    karim = Chat(w.botapi, 9001)
    await karim.say("/start")
    await karim.press("lang:fa")
    await karim.link_by_contact(KARIM, str(KARIM_YEAR), KARIM_MOBILE)
    yes = await karim.press("menu:elig")
    assert "بله" in yes.text and "case:open" in datas(yes)
    opened = await karim.press("case:open")
    for name in ("کریم نوری", "مریم نوری", "رضا نوری"):
        assert f"✅ {name}: پرونده باز شد." in opened.text
    # Reza has no transit sheet on record: his list says to get one first (not «…for you»: his
    # father reads it).
    reza = opened.text.split("رضا نوری")[1]
    assert "اول برگه تردد ۹۰ روزه بگیرید." in reza and "کارت آمایش" in reza
    assert "برای شما" not in reza
    assert FEE in opened.text and "۲۱۷۱۹۹۹۰۰۰۱۱۱" in opened.text
    assert datas(opened) == ["menu:receipt", "menu:status"]
    assert await cases_of(w.rt) == dict.fromkeys(HOUSEHOLD, "awaiting_payment")
    assert await events_of(w.rt, KARIM) == ["registered", "awaiting_payment"]
    again = await karim.press("case:open")  # a second press: a no-op that says so
    assert again.text.count("پرونده از پیش باز است؛ چیزی تغییر نکرد.") == 3
    assert await count(w.rt, Application) == 3
    # The slip, on the bot.
    await karim.press("menu:receipt")
    await karim.photo(png(noise=b"karim slip"))
    await karim.say("۹۸۷۶۵۴۳۲۱")
    await karim.say(FEE)
    assert "R-14" in (await karim.press("slip:confirm")).text
    fig = await finish(w, KARIM)
    assert (await cases_of(w.rt))[KARIM] == "delivered"
    figures_ok(fig, opened=3)
    status = await karim.press("menu:status", contains="طرح آمایش ۲۰")
    assert "تحویل شد" in status.text or "تحویل" in status.text


async def test_bot_not_eligible_is_told_why_and_nothing_opens(w: World) -> None:
    nasrin = Chat(w.botapi, 9002)
    await nasrin.say("/start")
    await nasrin.press("lang:fa")
    await nasrin.link_by_contact(LAPSED, "1375", LAPSED_MOBILE)
    no = await nasrin.press("menu:elig")
    assert "برگه تردد ۹۰ روزه شما تا روز مراجعه اعتبار ندارد" in no.text
    assert "case:open" not in datas(no)
    # Even a stale "start my renewal" button pressed later explains and opens nothing.
    pressed = await nasrin.press("case:open")
    assert "اعتبار ندارد" in pressed.text and await count(w.rt, Application) == 0


async def test_sms_renew_from_the_registry_mobile_then_receipt_by_sms(w: World) -> None:
    answer = await w.text(ROYA_MOBILE, "تمدید", "m-1")
    assert "رویا" in answer and "۴۰۰٬۰۰۰" in answer
    assert await cases_of(w.rt) == {ROYA: "awaiting_payment"}
    assert "از پیش باز است" in await w.text(ROYA_MOBILE, "RENEW", "m-2")
    assert await count(w.rt, Application) == 1
    got = await w.text(ROYA_MOBILE, "فیش ۵۵۵۶۶۶۷۷۷ ۴۰۰۰۰۰", "m-3")
    assert "R-14" in got
    fig = await finish(w, ROYA)
    assert (await cases_of(w.rt))[ROYA] == "delivered"
    figures_ok(fig, opened=1)
    assert "تحویل" in await w.text(ROYA_MOBILE, "وضعیت", "m-4")


async def test_sms_renew_with_card_and_birth_year_from_an_unknown_mobile(w: World) -> None:
    stranger = "09359990000"
    assert "پیدا نشد" in await w.text(stranger, f"تمدید {ROYA} 1300", "u-1")
    assert await count(w.rt, Application) == 0
    answer = await w.text(stranger, f"تمدید {ROYA} {ROYA_YEAR}", "u-2")
    assert "باز شد" in answer and "رویا" not in answer  # the answer names nobody
    assert await cases_of(w.rt) == {ROYA: "awaiting_payment"}
    assert "از پیش باز است" in await w.text(stranger, f"renew {ROYA} {ROYA_YEAR}", "u-3")
    # The slip then comes from the registry mobile, as for anyone.
    assert "R-14" in await w.text(ROYA_MOBILE, "فیش 123123123 400000", "u-4")
    figures_ok(await finish(w, ROYA), opened=1)


async def test_import_registrations_opens_cases_and_a_reimport_changes_nothing(w: World) -> None:
    f = w.tmp / "daily.csv"
    bad = ("card_number,office,registered_at\n510000001,دفتر ۱,1405/13/01 10:00\n"
           f"{ROYA},,\n999,دفتر ۱,1404/01/01 10:00\n{OTHER},دفتر ۱,1404/01/01 10:00\n")  # fmt: skip
    f.write_text(bad, encoding="utf-8")
    code, out = await cli(w.rt, "import", "registrations", str(f))
    assert code == 1 and "line 2, registered_at" in out and "line 3, office: is empty" in out
    assert "line 3, registered_at: is empty" in out and "line 4, card_number: no national" in out
    assert "line 5, card_number: no open campaign covers it" in out
    assert await count(w.rt, Application) == 0
    today = w.rt.clock().astimezone(w.rt.settings.tz)
    import jdatetime

    stamp = jdatetime.datetime.fromgregorian(datetime=today).strftime("%Y/%m/%d %H:%M")
    rows = [f"{ROYA},دفتر کفالت ۱,{stamp}", f"{KARIM},دفتر کفالت ۲,{stamp}"]
    f.write_text("card_number,office,registered_at\n" + "\n".join(rows) + "\n", encoding="utf-8")
    code, out = await cli(w.rt, "import", "registrations", str(f))
    assert code == 0 and "تغییر ۲، بدون تغییر ۰" in out, out
    code, out = await cli(w.rt, "import", "registrations", str(f))
    assert code == 0 and "تغییر ۰، بدون تغییر ۲" in out
    assert await cases_of(w.rt) == {ROYA: "awaiting_payment", KARIM: "awaiting_payment"}
    async with w.rt.db.session() as s:
        from sqlalchemy import select

        ev = await s.scalar(select(StatusEvent).where(StatusEvent.status == "registered"))
        notices = (await s.scalars(select(Outbox).where(Outbox.key.like("case:%")))).all()
    assert ev is not None and ev.note == "office: دفتر کفالت 1"
    assert ev.at.astimezone(w.rt.settings.tz).strftime("%H:%M") == today.strftime("%H:%M")
    assert len(notices) == 2 and all("باز شد" in n.text for n in notices)
    assert "R-14" in await w.text(ROYA_MOBILE, "فیش 777888999 400000", "r-1")
    figures_ok(await finish(w, ROYA), opened=2)


async def test_import_statuses_opens_a_case_when_none(w: World) -> None:
    f = w.tmp / "st.csv"
    f.write_text(f"card_number,status,note,at\n{OTHER},awaiting_payment,,\n", encoding="utf-8")
    code, out = await cli(w.rt, "import", "statuses", str(f))
    assert code == 1 and "no open campaign covers it" in out  # Tehran: not in this campaign
    f.write_text(f"card_number,status,note,at\n{ROYA},awaiting_payment,,\n", encoding="utf-8")
    code, out = await cli(w.rt, "import", "statuses", str(f))
    assert code == 0 and "تغییر ۱" in out, out
    assert await events_of(w.rt, ROYA) == ["registered", "awaiting_payment"]
    assert "R-14" in await w.text(ROYA_MOBILE, "فیش 444555666 400000", "s-1")
    figures_ok(await finish(w, ROYA), opened=1)


async def test_staff_open_in_the_staff_chat(w: World) -> None:
    staff = Chat(w.botapi, ADMIN)
    assert "/open" in (await staff.say("/open")).text
    opened = await staff.say(f"/open {ROYA}")
    assert "باز شد" in opened.text and "awaiting_payment" in opened.text
    again = await staff.say("/open ۵۱۰ ۰۰۰ ۰۰۴")
    assert "چیزی تغییر نکرد" in again.text
    assert "طرح بازی" in (await staff.say(f"/open {OTHER}")).text
    async with w.rt.db.session() as s:
        from sqlalchemy import select

        audits = (await s.scalars(select(AuditLog).where(AuditLog.action == "case.open"))).all()
    assert [a.actor for a in audits] == [f"tg:{ADMIN}"]
    assert "R-14" in await w.text(ROYA_MOBILE, "فیش 121212121 400000", "o-1")
    figures_ok(await finish(w, ROYA), opened=1)


async def test_cli_case_open_and_show(w: World) -> None:
    code, out = await cli(w.rt, "case", "open", ROYA, "--lang", "en")
    assert code == 0 and "opened" in out
    code, out = await cli(w.rt, "case", "open", ROYA, "--lang", "en")
    assert code == 0 and "already has a case" in out and "nothing changed" in out
    code, out = await cli(w.rt, "case", "open", "42")
    assert code == 1
    assert "R-14" in await w.text(ROYA_MOBILE, "فیش 343434343 400000", "c-1")
    figures_ok(await finish(w, ROYA), opened=1)
    code, out = await cli(w.rt, "case", "show", ROYA, "--lang", "en")
    assert code == 0
    for part in ("case 1 in AM-20: delivered", "registered  (cli:", "awaiting payment",
                 "deposit slip under review", "delivered", "receipt R-14",
                 "approved, 400,000 rials", "0915***0004"):  # fmt: skip
        assert part in out, out
    assert ROYA_MOBILE not in out


async def test_campaign_open_cases_set_wise(w: World) -> None:
    code, out = await cli(w.rt, "case", "open", ROYA)  # one case exists already
    code, out = await cli(w.rt, "campaign", "open-cases", str(w.campaign_id), "--dry-run",
                          "--lang", "en")  # fmt: skip
    # Eligible and without a case: Karim and Maryam (Reza lacks a transit sheet, Javad is in
    # Tehran, Nasrin's sheet has expired).
    assert code == 0 and "would open 2 cases" in out and await count(w.rt, Application) == 1
    code, out = await cli(w.rt, "campaign", "open-cases", "AM-20", "--lang", "en")
    assert code == 0 and "opened 2 cases" in out
    code, out = await cli(w.rt, "campaign", "open-cases", "AM-20")
    assert "۰ پرونده باز شد" in out  # staff read Persian by default
    assert await cases_of(w.rt) == {ROYA: "awaiting_payment", KARIM: "awaiting_payment",
                                    "510000002": "awaiting_payment"}  # fmt: skip
    assert await events_of(w.rt, KARIM) == ["registered", "awaiting_payment"]
    # The steps a bulk-opened case keeps on itself show as its history, as for any other door.
    code, out = await cli(w.rt, "case", "show", KARIM, "--lang", "en")
    assert "registered  (system" in out and "awaiting payment  (system" in out, out
    assert "R-14" in await w.text(KARIM_MOBILE, "فیش 565656565 400000", "b-1")
    figures_ok(await finish(w, KARIM), opened=3)
