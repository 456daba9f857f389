"""Foundation: settings, migrations, the registry import, the CLI and /healthz."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.cli import main
from bot.runtime import open_runtime
from bot.server import init_app
from handlers.runtime import Runtime
from handlers.settings import SettingsError, load_settings
from storage.models import AuditLog, Campaign, Household, National, Staff

HEADER = (
    "card_number,household_number,is_head,first_name,last_name,father_name,birth_year,gender,"
    "nationality,province,city,mobile,card_expiry,transit_sheet_expiry,language\n"
)
GOOD = [
    "۱۰۰۲۰۰۳۰۰,H-1,1,علی,احمدی,محمد,۱۳۶۰,M,AF,خراسان جنوبی,بیرجند,۰۹۱۵ ۱۲۳ ۴۵۶۷,۱۴۰۵/۱۰/۰۱,,prs",
    "100200301,H-1,0,فاطمه,احمدي,محمد,1365,زن,af,خراسان جنوبی,بیرجند,,1405/10/01,1405/08/01,",
    "٢٠٠٣٠٠٤٠٠,H-2,بله,گل,رحیمی,,1355,مرد,AF,خراسان جنوبی,قائن,+989157654321,1405/10/01,,ps",
]


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, db_url: str) -> str:
    monkeypatch.setenv("AMAYESH_DATABASE_URL", db_url)
    return db_url


async def count(rt: Runtime, model: type) -> int:
    async with rt.db.session() as s:
        return await s.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize(
    ("env", "value", "needle"),
    [
        ("AMAYESH_HTTP_PORT", "eighty", "AMAYESH_HTTP_PORT"),
        ("AMAYESH_TIMEZONE", "Mars/Olympus", "AMAYESH_TIMEZONE: unknown time zone"),
        ("AMAYESH_DATABASE_URL", "mysql://x", "AMAYESH_DATABASE_URL"),
        ("AMAYESH_QUIET_HOURS", "late", "AMAYESH_QUIET_HOURS: expected HH:MM-HH:MM"),
        ("AMAYESH_WEBHOOK_SECRET", "has space", "AMAYESH_WEBHOOK_SECRET"),
    ],
)
def test_bad_setting_names_the_variable(monkeypatch, capsys, env, value, needle):
    monkeypatch.setenv(env, value)
    with pytest.raises(SettingsError, match=needle):
        load_settings()
    assert main(["campaign", "list"]) == 2
    err = capsys.readouterr().err
    assert needle.split(":")[0] in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_secrets_never_print(monkeypatch):
    monkeypatch.setenv("AMAYESH_TELEGRAM_TOKEN", "123:SECRET-TOKEN")
    monkeypatch.setenv("AMAYESH_KAVENEGAR_API_KEY", "KEY-SECRET")
    s = load_settings()
    assert "SECRET" not in repr(s) and "SECRET" not in str(s.model_dump())


def test_import_reports_every_bad_line_and_changes_nothing(cli_env, tmp_path, capsys):
    bad = [GOOD[0], "X1,H-9,maybe,,احمدی,,13,Q,AFG,p,c,12345,1405/13/40,,xx", GOOD[1], GOOD[1]]
    assert main(["import", "nationals", str(write_csv(tmp_path / "n.csv", bad))]) == 1
    out = capsys.readouterr().out
    for expected in (
        "line 3, is_head", "line 3, first_name", "line 3, birth_year", "line 3, gender",
        "line 3, nationality", "line 3, mobile", "line 3, card_expiry", "line 3, language",
        "line 5, card_number: repeats line 4", "چیزی وارد نشد",
    ):  # fmt: skip
        assert expected in out
    assert main(["import", "nationals", str(write_csv(tmp_path / "ok.csv", [GOOD[0]]))]) == 0


async def test_import_normalises_and_is_idempotent(cli_env, tmp_path, capsys, settings):
    path = write_csv(tmp_path / "n.csv", GOOD)
    assert await _amain(["import", "nationals", str(path)]) == 0
    assert "افزوده ۳، به‌روز ۰، بدون تغییر ۰، ردشده ۰" in capsys.readouterr().out
    assert await _amain(["import", "nationals", str(path)]) == 0
    assert "افزوده ۰، به‌روز ۰، بدون تغییر ۳" in capsys.readouterr().out
    rt = await open_runtime(settings)
    try:
        async with rt.db.session() as s:
            ali = await s.scalar(select(National).where(National.card_number == "100200300"))
            gol = await s.scalar(select(National).where(National.card_number == "200300400"))
            fatima = await s.scalar(select(National).where(National.card_number == "100200301"))
        assert ali.mobile == "09151234567" and ali.birth_year == 1360 and ali.language == "prs"
        assert gol.mobile == "09157654321" and gol.is_head and gol.gender == "M"
        assert fatima.last_name == "احمدی" and fatima.nationality == "AF" and fatima.gender == "F"
        assert ali.household_id == fatima.household_id != gol.household_id
        assert await count(rt, Household) == 2
        assert await count(rt, AuditLog) == 2
    finally:
        await rt.close()


async def test_skip_invalid_writes_rejects(cli_env, tmp_path, capsys):
    path = write_csv(tmp_path / "n.csv", [GOOD[0], "X,H,1,,b,,1360,M,AF,p,c,,1405/01/01,,"])
    assert await _amain(["import", "nationals", str(path), "--skip-invalid", "--lang", "en"]) == 0
    assert "inserted 1, updated 0, unchanged 0, rejected 1" in capsys.readouterr().out
    rejects = (tmp_path / "n.rejects.csv").read_text(encoding="utf-8")
    assert "first_name: is empty" in rejects


async def _amain(argv: list[str]) -> int:
    """main() owns its event loop; run it off this test's loop."""
    import asyncio

    return await asyncio.to_thread(main, argv)


async def test_campaign_and_staff_commands(cli_env, capsys, settings):
    argv = [
        "campaign", "create", "--code", "A19", "--title", "آمایش ۱۹", "--rounds", "15,16,17",
        "--provinces", "خراسان جنوبی", "--start", "۱۴۰۵/۰۹/۱۰", "--end", "1405/11/10",
        "--fee", "هزینه آمایش=300000", "--account", "2171134756001",
        "--office", "دفتر ۱|بیرجند، طالقانی|بیرجند",
    ]  # fmt: skip
    assert await _amain(argv) == 0
    assert await _amain(argv) == 1  # same code twice
    assert await _amain(["campaign", "show", "A19"]) == 0
    out = capsys.readouterr().out  # staff read Persian by default
    assert "بازه: 1405/09/10 تا 1405/11/10" in out and "هزینه: ۳۰۰٬۰۰۰ ریال به حساب" in out
    assert await _amain(["campaign", "show", "A19", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "1405/09/10 - 1405/11/10" in out and "300,000 rials to 2171134756001" in out
    assert await _amain(["staff", "add", "--telegram-id", "42", "--role", "reviewer"]) == 0
    assert "کارمند 42: بررسی‌کننده فیش" in capsys.readouterr().out
    assert await _amain(["staff", "remove", "--telegram-id", "42"]) == 0
    rt = await open_runtime(settings)
    try:
        async with rt.db.session() as s:
            camp = await s.scalar(select(Campaign))
            staff = await s.scalar(select(Staff))
            actions = (await s.scalars(select(AuditLog.action).order_by(AuditLog.id))).all()
        assert camp.fee_total == 300_000 and camp.eligible_rounds == [15, 16, 17]
        assert camp.starts_on.isoformat() == "2026-12-01"
        assert staff.active is False
        assert actions == ["campaign.create", "staff.add", "staff.remove"]
    finally:
        await rt.close()


def test_run_on_unmigrated_database_says_to_upgrade(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("AMAYESH_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    assert main(["run"]) == 2
    assert "run `amayesh db upgrade` first" in capsys.readouterr().err


async def test_healthz_is_liveness_only(rt: Runtime, tmp_path):
    """The database is /readyz's business (tests/test_ops_health.py)."""
    async with TestClient(TestServer(init_app(rt))) as client:
        resp = await client.get("/healthz")
        assert resp.status == 200 and (await resp.json()) == {"status": "ok"}
    down = await open_runtime(
        load_settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none")
    )
    try:
        async with TestClient(TestServer(init_app(down))) as client:
            resp = await client.get("/healthz")
            assert resp.status == 200
    finally:
        await down.close()
