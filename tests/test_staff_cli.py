"""The staff command line: broadcast preview/send/status/cancel, imports, outages, report."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import jdatetime
import pytest
from sqlalchemy import select

from bot.cli import main
from bot.runtime import open_runtime
from handlers.demo import load_demo
from handlers.jalali import AFGHAN_MONTHS
from handlers.settings import load_settings
from storage.models import Application, AuditLog, Broadcast, Outage, Outbox, utcnow


@pytest.fixture
def cli_db(monkeypatch, db_url, tmp_path):
    monkeypatch.setenv("AMAYESH_DATABASE_URL", db_url)
    monkeypatch.setenv("AMAYESH_FILES_DIR", str(tmp_path / "files"))

    async def seed() -> None:
        rt = await open_runtime(load_settings())
        try:
            async with rt.db.session() as s:
                now = utcnow()
                await load_demo(s, now.astimezone(rt.settings.tz).date(), now)
        finally:
            await rt.close()

    asyncio.run(seed())
    return db_url


def query(stmt):
    async def run():
        rt = await open_runtime(load_settings())
        try:
            async with rt.db.session() as s:
                return (await s.scalars(stmt)).all()
        finally:
            await rt.close()

    return asyncio.run(run())


def jalali_in(hours: float) -> str:
    local = (utcnow() + timedelta(hours=hours)).astimezone(load_settings().tz)
    return jdatetime.datetime.fromgregorian(datetime=local).strftime("%Y/%m/%d %H:%M")


def test_broadcast_preview_send_status_cancel(cli_db, tmp_path, capsys):
    (tmp_path / "fa.txt").write_text("سلام، طرح آمایش آغاز شد.", encoding="utf-8")
    (tmp_path / "en.txt").write_text("Hello, the census started.", encoding="utf-8")
    (tmp_path / "sms.txt").write_text("طرح آمایش آغاز شد", encoding="utf-8")
    args = ["broadcast", "--segment", "province=خراسان جنوبی,language=prs|ps", "--text-file",
            str(tmp_path / "fa.txt"), "--text-file", f"en={tmp_path / 'en.txt'}",
            "--sms-text-file", str(tmp_path / "sms.txt")]  # fmt: skip
    assert main([*args, "--dry-run"]) == 0
    out = capsys.readouterr().out  # Persian: AMAYESH_DEFAULT_LANGUAGE is fa
    assert "گیرندگان: ۲ (پیام‌رسان ۰، پیامک ۲)" in out and "۲٬۴۰۰ ریال" in out
    assert main([*args, "--dry-run", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "recipients: 2 (messenger 0, SMS 2)" in out
    assert "1 parts per message, 2 parts in total" in out and "2,400 rials" in out
    assert not query(select(Broadcast))
    assert main([*args, "--yes"]) == 0
    out = capsys.readouterr().out
    [b] = query(select(Broadcast))
    assert "پیام همگانی ۱: در حال ارسال، ۲ گیرنده در صف" in out
    assert main(["broadcast", "status", str(b.id), "--lang", "en"]) == 0
    assert "remaining 2" in capsys.readouterr().out
    assert main(["broadcast", "cancel", str(b.id)]) == 0
    assert "لغوشده" in capsys.readouterr().out
    assert {m.state for m in query(select(Outbox))} == {"cancelled"}
    assert main(["broadcast", "status", str(b.id), "--follow", "--lang", "en"]) == 0
    status = capsys.readouterr().out  # what happened, not "100% … remaining 0"
    assert "] 0%  cancelled  sent 0  failed 0  cancelled 2  remaining 0" in status
    assert main(["broadcast", "status", str(b.id)]) == 0
    assert "لغوشده  فرستاده ۰  ناموفق ۰  لغوشده ۲  مانده ۰" in capsys.readouterr().out


def test_broadcast_schedule_at_a_jalali_time(cli_db, tmp_path, capsys):
    (tmp_path / "fa.txt").write_text("سلام", encoding="utf-8")
    at = jalali_in(48)
    assert main(["broadcast", "--segment", "", "--text-file", str(tmp_path / "fa.txt"), "--at",
                 at, "--yes"]) == 0  # fmt: skip
    assert "زمان‌بندی‌شده" in capsys.readouterr().out
    [b] = query(select(Broadcast))
    assert b.state == "scheduled" and not query(select(Outbox))


def test_import_statuses_cli(cli_db, tmp_path, capsys):
    f = tmp_path / "s.csv"
    f.write_text("card_number,status,note,at\n100200300,delivered,,\n", encoding="utf-8")
    assert main(["import", "statuses", str(f)]) == 1
    assert "line 2, status: awaiting_payment -> delivered" in capsys.readouterr().out
    f.write_text("card_number,status,note,at\n100200300,payment_review,ok,\n", encoding="utf-8")
    assert main(["import", "statuses", str(f)]) == 0
    assert [a.status for a in query(select(Application))] == ["payment_review"]
    f.write_text("card_number,office\n100200300,x\n", encoding="utf-8")
    assert main(["import", "appointments", str(f)]) == 1
    assert "missing columns: address, starts_at" in capsys.readouterr().out


def test_outage_cli_72_hours(cli_db, capsys):
    soon = ["outage", "schedule", "--from", jalali_in(10), "--to", jalali_in(12), "--reason", "x"]
    assert main(soon) == 1
    assert "۷۲ ساعت" in capsys.readouterr().out and not query(select(Outage))
    assert main(["--lang", "en", *soon]) == 1
    assert "72 hours" in capsys.readouterr().out
    assert main([*soon, "--force"]) == 0
    [row] = query(select(AuditLog).where(AuditLog.action == "outage.schedule"))
    assert row.after["forced"] is True and row.actor.startswith("cli:")


def test_report_cli_writes_csv_and_chart(cli_db, tmp_path, capsys):
    csv_path, png, xlsx = tmp_path / "r.csv", tmp_path / "r.png", tmp_path / "r.xlsx"
    assert main(["report", "daily", "--csv", str(csv_path), "--chart", str(png),
                 "--xlsx", str(xlsx)]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert out.startswith("گزارش روزانه") and "sms" not in out and "status" not in out
    assert csv_path.read_text(encoding="utf-8").startswith("metric,day ")
    assert png.read_bytes().startswith(b"\x89PNG") and xlsx.read_bytes().startswith(b"PK")
    assert main(["report", "daily", "--lang", "en"]) == 0
    assert "Daily report" in capsys.readouterr().out
    assert main(["report", "daily", "--date", "1405/13/01"]) == 1


def test_announce_exempt_identity(cli_db, capsys):
    assert main(["campaign", "announce", "AMAYESH-19", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "2171134756001" in out and "۳۰۰٬۰۰۰" not in out and "300,000" in out
    [b] = query(select(Broadcast))
    assert b.state == "running" and b.segment == {"campaign": "AMAYESH-19"}
    assert any(f"{m}/" in b.texts["prs"] for m in AFGHAN_MONTHS)  # Dari month names
    assert main(["exempt", "100200300", "--body", "relief", "--certificate", "55"]) == 0
    assert main(["identity-check", "100200300"]) == 0
    assert main(["identity-check", "999"]) == 1
    [app] = query(select(Application))
    assert app.status == "exempted" and app.identity_checked


async def test_a_finished_broadcast_shows_done_and_a_cancelled_one_how_far_it_got(rt):
    from handlers import staff_broadcast as sb
    from storage.broadcasts import Progress

    sent = Progress(1, "running", 3, {"sent": 2, "delivered": 1}, 0.0, None)  # not closed yet
    assert "100%  done  sent 3" in sb.progress_bar(rt, "en", sent)
    assert sb.finished(sent) and "پایان‌یافته" in sb.progress_bar(rt, "fa", sent)
    cut = Progress(2, "cancelled", 4, {"sent": 1, "cancelled": 3}, 0.0, None)
    line = sb.progress_bar(rt, "en", cut)
    assert "25%  cancelled  sent 1  failed 0  cancelled 3  remaining 0" in line
