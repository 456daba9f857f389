"""The daily report's figures against a seeded database, and its CSV, text and chart."""

from __future__ import annotations

import csv
import io
import struct
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from handlers import report, report_files
from handlers.jalali import parse_jalali_date
from handlers.staff_auth import Forbidden, actor_for
from storage.models import (
    Activity,
    Application,
    Appointment,
    Complaint,
    Outbox,
    Receipt,
    StatusEvent,
)
from tests.staff_seed import BROADCASTER, STRANGER, seed

DAY = parse_jalali_date("1405/10/20")  # 2027-01-10
NOON = datetime(2027, 1, 10, 8, 30, tzinfo=UTC)  # 12:00 in Tehran


def at(days: int) -> datetime:
    return NOON + timedelta(days=days)


async def seed_figures(rt) -> None:
    await seed(rt, NOON)  # the campaign started 5 days before DAY
    async with rt.db.session() as s:
        for model in (StatusEvent, Appointment):  # the demo's rows carry the wall clock's time
            await s.execute(delete(model))
        app = await s.scalar(select(Application))
        nid = app.national_id
        s.add_all([Activity(kind="link", at=at(0)), Activity(kind="link", at=at(0)),
                   Activity(kind="link", at=at(-1)), Activity(kind="link", at=at(-30)),
                   Activity(kind="eligibility_check", at=at(0))])  # fmt: skip
        for i, (created, state, reviewed) in enumerate(
            [(0, "pending", None), (-1, "approved", 0), (0, "rejected", 0)]
        ):
            s.add(Receipt(code=f"R-{i}", application_id=app.id, national_id=nid,
                          bank_tracking=f"T{i}", amount_rials=300000, file_path="x",
                          file_sha256="h", mime_type="image/jpeg", size_bytes=1, flags=[],
                          state=state, created_at=at(created),
                          reviewed_at=None if reviewed is None else at(reviewed)))  # fmt: skip
        for status, day in (("payment_review", 0), ("payment_review", 0), ("paid", -2)):
            s.add(StatusEvent(application_id=app.id, status=status, at=at(day)))
        s.add_all([
            Appointment(national_id=nid, office="o", starts_at=at(3), created_at=at(0),
                        updated_at=at(0), state="confirmed"),
            Appointment(national_id=nid, office="o", starts_at=at(-1), created_at=at(-3),
                        updated_at=at(-3), state="missed"),
        ])  # fmt: skip
        for code, opened, state, due, answered in (
            ("C1", 0, "open", 3, None),
            ("C2", -4, "open", -1, None),
            ("C3", -2, "answered", 1, 0),
        ):
            s.add(Complaint(code=code, channel="sms", address="0915", text="t", state=state,
                            created_at=at(opened), due_at=at(due),
                            answered_at=None if answered is None else at(answered)))  # fmt: skip
        for i, (channel, state, day, parts) in enumerate(
            [("sms", "sent", 0, 2), ("telegram", "sent", 0, None), ("sms", "failed", -1, None),
             ("sms", "sent", -1, 3)]
        ):  # fmt: skip
            s.add(
                Outbox(
                    key=f"k{i}",
                    kind="notice",
                    channel=channel,
                    address="a",
                    text="t",
                    state=state,
                    created_at=at(day),
                    sent_at=at(day),
                    sms_parts=parts,
                )
            )


async def test_figures_for_the_day_and_the_campaign(rt):
    await seed_figures(rt)
    async with rt.db.session() as s:
        rep = await report.daily_report(rt, s, actor_for(BROADCASTER), DAY)
    rows = {name: (day, total) for name, day, total in rep.rows()}
    assert rep.campaign == "AMAYESH-19"
    expected = {
        "links": (2, 3), "eligibility_checks": (1, 1), "slips_submitted": (2, 3),
        "slips_approved": (1, 1), "slips_rejected": (1, 1), "appointments_booked": (1, 2),
        "appointments_confirmed": (1, 1), "appointments_missed": (0, 1),
        "complaints_opened": (1, 3), "complaints_answered": (1, 1),
        "complaints_overdue": (1, 1), "status:payment_review": (2, 2), "status:paid": (0, 1),
        "messages:sms:sent": (1, 2), "messages:sms:failed": (0, 1),
        "messages:telegram:sent": (1, 1), "sms_parts": (2, 5), "sms_cost_rials": (2400, 6000),
    }  # fmt: skip
    assert {k: rows[k] for k in expected} == expected
    table = list(csv.reader(io.StringIO(report.to_csv(rep))))
    assert table[0] == ["metric", "day 1405/10/20", "campaign AMAYESH-19"]
    assert ["sms_cost_rials", "2400", "6000"] in table
    text = report.to_text(rt, rep, "fa")
    assert "فیش تأییدشده: ۱ / ۱" in text and "هزینه پیامک (ریال): ۲٬۴۰۰ / ۶٬۰۰۰" in text
    assert "پیامک: فرستاده: ۱ / ۲" in text and "sms" not in text  # no English in the report
    png = await report_files.chart_png(rt, rep)
    assert png.startswith(b"\x89PNG") and len(png) > 5000


async def test_report_needs_staff(rt):
    await seed(rt)
    with pytest.raises(Forbidden):
        async with rt.db.session() as s:
            await report.daily_report(rt, s, actor_for(STRANGER))


@pytest.mark.parametrize("lang", ["fa", "en"])
async def test_chart_is_persian_right_to_left_with_numbers_and_sms_cost(rt, tmp_path, lang):
    await seed_figures(rt)
    async with rt.db.session() as s:
        rep = await report.daily_report(rt, s, actor_for(BROADCASTER), DAY)
        empty = await report.daily_report(rt, s, actor_for(BROADCASTER), DAY + timedelta(days=9))
    png = await report_files.chart_png(rt, rep, lang)
    (tmp_path / f"report-{lang}.png").write_bytes(png)  # --basetemp keeps it to look at
    (tmp_path / f"empty-{lang}.png").write_bytes(await report_files.chart_png(rt, empty, lang))
    assert png.startswith(b"\x89PNG") and len(png) > 20_000
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1000, 850)  # two panels: activity and statuses
    fig = report_files.build_figure(rt, rep, lang)
    title = fig._suptitle.get_text()
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]  # the numbers on the bars
    if lang == "fa":
        assert not title.isascii() and "۱۴۰۵" in title
        assert "۲" in texts and "1" not in texts
        assert any("۶٬۰۰۰" in t.get_text() for t in fig.texts)  # the SMS cost, Persian digits
    else:
        assert title.startswith("Amayesh daily report") and "2" in texts
    assert all(ax.get_xlim()[0] == 0 or ax.get_xlim()[1] == 0 for ax in fig.axes)
    blank = report_files.build_figure(rt, empty, lang)
    assert all(min(ax.get_xlim()) == 0 for ax in blank.axes)  # no negative axis on an empty day


async def test_xlsx_is_a_right_to_left_sheet_with_persian_headers(rt):
    from openpyxl import load_workbook

    await seed_figures(rt)
    async with rt.db.session() as s:
        rep = await report.daily_report(rt, s, actor_for(BROADCASTER), DAY)
    book = load_workbook(io.BytesIO(report_files.to_xlsx(rt, rep, "fa")))
    sheet = book.active
    assert sheet.sheet_view.rightToLeft is True and sheet.title == "گزارش روزانه"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("شاخص", "امروز 1405/10/20", "کل طرح AMAYESH-19")
    assert ("هزینه پیامک (ریال)", 2400, 6000) in rows
    assert ("پیامک: فرستاده", 1, 2) in rows
