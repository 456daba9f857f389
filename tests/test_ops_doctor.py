"""`amayesh doctor` through the CLI against the fake Bot API and Kavenegar, one fault at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.kavenegar import FakeKavenegar

HOOK = "https://bot.example.ir/telegram/webhook"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, db_url: str, botapi: FakeBotAPI,
        kavenegar: FakeKavenegar, tmp_path: Path) -> pytest.MonkeyPatch:  # fmt: skip
    """A complete production-like configuration pointed at the fakes."""
    for name, value in {
        "DATABASE_URL": db_url, "TELEGRAM_TOKEN": botapi.token, "TELEGRAM_API_URL": botapi.url,
        "KAVENEGAR_API_KEY": kavenegar.valid_key, "KAVENEGAR_API_URL": kavenegar.url,
        "SMS_SENDER": "10004346", "INBOUND_SECRET": "in-secret", "WEBHOOK_URL": HOOK,
        "WEBHOOK_SECRET": "hook-secret", "METRICS_TOKEN": "m", "FILES_DIR": str(tmp_path / "f"),
    }.items():  # fmt: skip
        monkeypatch.setenv(f"AMAYESH_{name}", value)
    botapi.webhook = {"url": HOOK}
    return monkeypatch


async def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    import asyncio

    # main() runs its own event loop: give it a thread, as a shell would give it a process.
    code = await asyncio.to_thread(main, ["doctor", *args])
    return code, capsys.readouterr().out.splitlines()


def levels(lines: list[str]) -> dict[str, str]:
    """'[ok     ] database: answers' -> {'database': 'ok'}."""
    out = {}
    for line in lines[:-1]:
        level, text = line[1:].split("]", 1)
        out[text.strip().split(":")[0]] = level.strip()
    return out


async def test_all_well_in_english(env, capsys) -> None:
    code, lines = await doctor(capsys, "--lang", "en")
    assert code == 0, lines
    assert lines[-1] == "0 errors, 0 warnings"
    got = levels(lines)
    assert set(got.values()) == {"ok"}
    assert {"settings", "database", "migrations", "bot", "webhook", "Kavenegar",
            "files directory", "clock"} <= set(got)  # fmt: skip
    text = "\n".join(lines)
    assert "@amayesh_test_bot" in text and "credit 10,000,000 rials" in text
    assert "(Asia/Tehran), within 30 s" in text
    assert "TEST-token" not in text and "test-api-key" not in text  # no secret printed


async def test_persian_by_default(env, capsys) -> None:
    code, lines = await doctor(capsys)
    assert code == 0
    assert lines[0] == "[درست ] تنظیمات: خوانده شد"
    assert lines[-1] == "0 خطا، 0 هشدار"


async def test_bad_token_is_an_error(env, capsys, botapi) -> None:
    env.setenv("AMAYESH_TELEGRAM_TOKEN", "999:wrong")
    code, lines = await doctor(capsys, "--lang", "en")
    assert code == 1
    assert "[error  ] bot: getMe failed: 401: Unauthorized" in lines
    assert "999:wrong" not in "\n".join(lines)


async def test_webhook_faults_are_warnings(env, capsys, botapi) -> None:
    botapi.webhook = {"url": "https://old.example.ir/hook"}
    botapi.webhook_error("SSL error: certificate verify failed")
    for i in range(101):
        botapi.push(botapi.text_update(10 + i, "hi"))
    code, lines = await doctor(capsys, "--lang", "en")
    assert code == 0  # warnings only
    text = "\n".join(lines)
    assert 'Telegram has "https://old.example.ir/hook" but the settings say' in text
    assert "[warning] webhook: 101 updates are waiting" in text
    assert 'last error 0 minutes ago: "SSL error: certificate verify failed"' in text
    assert lines[-1] == "0 errors, 3 warnings"


async def test_kavenegar_faults(env, capsys, kavenegar) -> None:
    kavenegar.credit = 5_000
    code, lines = await doctor(capsys, "--lang", "en")
    assert code == 0
    low = "[warning] Kavenegar: credit 5,000 rials, below the warning level of 1,000,000 rials"
    assert low in lines
    env.setenv("AMAYESH_KAVENEGAR_API_KEY", "wrong-key")
    code, lines = await doctor(capsys, "--lang", "en")
    assert code == 1
    assert "[error  ] Kavenegar: account/info failed: 403: invalid API key" in lines
    await kavenegar.close()
    code, lines = await doctor(capsys, "--lang", "en")
    assert code == 1 and any(line.startswith("[error  ] Kavenegar: account/info failed: Client")
                             for line in lines)  # fmt: skip


async def test_database_and_schema_faults(env, capsys, tmp_path) -> None:
    env.setenv("AMAYESH_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'new.db'}")
    code, lines = await doctor(capsys, "--lang", "en")
    assert code == 1 and levels(lines)["migrations"] == "error"
    assert any("run `amayesh db upgrade` first" in line for line in lines)
    env.setenv("AMAYESH_DATABASE_URL", "postgresql+asyncpg://nobody@127.0.0.1:1/none")
    code, lines = await doctor(capsys, "--lang", "en")
    assert code == 1 and "[error  ] database: does not answer" in lines


async def test_settings_and_files_faults(env, capsys, tmp_path) -> None:
    (tmp_path / "blocker").write_text("a file where the directory should be")
    env.setenv("AMAYESH_FILES_DIR", str(tmp_path / "blocker" / "files"))
    env.setenv("AMAYESH_WEBHOOK_URL", "http://bot.example.ir/hook")
    env.delenv("AMAYESH_METRICS_TOKEN")
    code, lines = await doctor(capsys, "--lang", "en")
    assert code == 1
    got = levels(lines)
    assert got["files directory"] == "error"
    assert (
        "[error  ] webhook: http://bot.example.ir/hook does not start with https; "
        "Telegram only accepts https" in lines
    )
    assert "[warning] metrics: AMAYESH_METRICS_TOKEN is not set; /metrics is off" in lines
    env.setenv("AMAYESH_HTTP_PORT", "eighty")
    code, lines = await doctor(capsys, "--lang", "en")
    assert code == 1 and lines[0].startswith("[error  ] settings: AMAYESH_HTTP_PORT:")
