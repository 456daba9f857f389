"""`amayesh staff add … --username`, `staff password` and `staff signout` at the terminal."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.runtime import open_runtime
from handlers.settings import load_settings
from storage.models import AuditLog, Staff


def _rows(model):  # type: ignore[no-untyped-def]
    async def run():  # type: ignore[no-untyped-def]
        rt = await open_runtime(load_settings())
        try:
            async with rt.db.session() as s:
                return list(await s.scalars(select(model).order_by(model.id)))
        finally:
            await rt.close()

    return asyncio.run(run())


@pytest.fixture
def cli_env(monkeypatch, db_url):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AMAYESH_DATABASE_URL", db_url)


def test_add_username_and_password(cli_env, tmp_path, capsys):  # type: ignore[no-untyped-def]
    assert main(["staff", "add", "--telegram-id", "41", "--role", "reviewer", "--username",
                 "Maryam", "--mobile", "۰۹۱۵ ۱۱۱ ۲۲۳۳", "--second-factor", "sms"]) == 0  # fmt: skip
    [staff] = _rows(Staff)
    assert (staff.username, staff.mobile, staff.second_factor) == ("maryam", "09151112233", "sms")
    pw = tmp_path / "pw.txt"
    pw.write_text("short\n", encoding="utf-8")
    assert main(["staff", "password", "maryam", "--password-file", str(pw)]) == 1
    assert "at least 10" in capsys.readouterr().out
    pw.write_text("a long enough password\n", encoding="utf-8")
    assert main(["staff", "password", "maryam", "--password-file", str(pw)]) == 0
    [staff] = _rows(Staff)
    assert staff.password_hash and staff.password_hash.startswith("$argon2")
    assert "a long enough" not in staff.password_hash
    assert main(["staff", "password", "nobody", "--password-file", str(pw)]) == 1
    assert main(["staff", "signout", "maryam"]) == 0
    assert "0 sessions of maryam ended" in capsys.readouterr().out
    # No terminal (CI, a pipe): the password is not asked for, nothing changes.
    assert main(["staff", "password", "maryam"]) == 1
    actions = [a.action for a in _rows(AuditLog)]
    assert actions == ["staff.add", "staff.login", "staff.password", "staff.signout_all"]


def test_username_taken_adds_nothing(cli_env, capsys):  # type: ignore[no-untyped-def]
    assert main(["staff", "add", "--telegram-id", "41", "--role", "admin", "--username", "a1"]) == 0
    assert main(["staff", "add", "--telegram-id", "42", "--role", "admin", "--username", "A1"]) == 1
    assert "taken" in capsys.readouterr().out
    assert [s.telegram_id for s in _rows(Staff)] == [41]


def test_staff_remove_keeps_the_last_admin(cli_env, capsys):  # type: ignore[no-untyped-def]
    """The terminal, like the console, leaves one active admin: without one nobody could sign
    in to manage staff."""
    assert main(["staff", "add", "--telegram-id", "51", "--role", "admin"]) == 0
    capsys.readouterr()
    assert main(["staff", "remove", "--telegram-id", "51"]) == 1
    assert "تنها مدیر فعال" in capsys.readouterr().out
    assert [s.active for s in _rows(Staff)] == [True]
    assert main(["staff", "add", "--telegram-id", "52", "--role", "admin"]) == 0
    assert main(["staff", "remove", "--telegram-id", "51"]) == 0
    assert [(s.telegram_id, s.active) for s in _rows(Staff)] == [(51, False), (52, True)]
    actions = [a.action for a in _rows(AuditLog)]
    assert "staff.last_admin_refused" in actions and actions[-1] == "staff.remove"
