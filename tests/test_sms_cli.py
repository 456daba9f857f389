"""`amayesh sms …`: trying keywords without a phone, and the account's credit."""

from __future__ import annotations

import argparse
import asyncio

import pytest
from sqlalchemy import func, select

from bot import cli_sms
from bot.cli import main
from bot.runtime import open_runtime
from handlers.runtime import Runtime
from handlers.settings import load_settings
from storage.models import InboundSms, Outbox
from tests.fakes.kavenegar import FakeKavenegar
from tests.sms_support import with_gateway


def test_simulate_answers_and_keeps_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db_url: str
) -> None:
    monkeypatch.setenv("AMAYESH_DATABASE_URL", db_url)
    assert main(["demo"]) == 0
    capsys.readouterr()
    assert main(["sms", "simulate", "+98 915 123 4567", "راهنما"]) == 0
    out = capsys.readouterr().out

    async def check() -> tuple[str, int, int]:
        rt = await open_runtime(load_settings())
        try:
            async with rt.db.session() as s:
                inbound = await s.scalar(select(func.count()).select_from(InboundSms))
                outbox = await s.scalar(select(func.count()).select_from(Outbox))
            return rt.t("prs", "sms.help"), inbound or 0, outbox or 0
        finally:
            await rt.close()

    help_text, inbound, outbox = asyncio.run(check())
    assert out.strip() == help_text and inbound == 0 and outbox == 0


async def test_credit(
    rt: Runtime, kavenegar: FakeKavenegar, capsys: pytest.CaptureFixture[str]
) -> None:
    kavenegar.credit = 1_200_000
    assert await cli_sms.cmd_credit(with_gateway(rt, kavenegar), argparse.Namespace()) == 0
    out = capsys.readouterr().out
    assert "1,200,000 rials" in out and "1,000 SMS parts" in out
    assert kavenegar.valid_key not in out


async def test_commands_without_gateway(rt: Runtime, capsys: pytest.CaptureFixture[str]) -> None:
    assert await cli_sms.cmd_credit(rt, argparse.Namespace()) == 2
    assert "AMAYESH_KAVENEGAR_API_KEY" in capsys.readouterr().out
