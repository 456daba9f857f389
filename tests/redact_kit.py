"""`amayesh -v run` as a subprocess for the redaction tests: its environment and its log."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.fakes.botapi import FakeBotAPI
from tests.fakes.kavenegar import FakeKavenegar

WEBHOOK_SECRET = "wh-secret-Zq81xK"
INBOUND_SECRET = "in-secret-Pw73mL"
FULL_MOBILE = re.compile(r"(?<!\d)9\d{9}(?!\d)")  # a mobile in any form the list misses


def service_env(
    db_url: str, botapi: FakeBotAPI, kavenegar: FakeKavenegar, tmp: Path, port: int,
    **extra: str,
) -> dict[str, str]:  # fmt: skip
    """The service on the fakes, with every secret set (AMAYESH_… from `extra` on top)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMAYESH_")}
    return env | {
        "AMAYESH_DATABASE_URL": db_url, "AMAYESH_TELEGRAM_TOKEN": botapi.token,
        "AMAYESH_TELEGRAM_API_URL": botapi.url, "AMAYESH_KAVENEGAR_API_KEY": kavenegar.valid_key,
        "AMAYESH_KAVENEGAR_API_URL": kavenegar.url, "AMAYESH_SMS_SENDER": "10004346",
        "AMAYESH_KAVENEGAR_OTP_TEMPLATE": "verify",
        "AMAYESH_WEBHOOK_SECRET": WEBHOOK_SECRET, "AMAYESH_INBOUND_SECRET": INBOUND_SECRET,
        "AMAYESH_HTTP_PORT": str(port), "AMAYESH_QUIET_HOURS": "",
        "AMAYESH_FILES_DIR": str(tmp / "files"),
        "AMAYESH_TELEGRAM_FLOOD_LIMIT": "1000",  # the test types faster than people
    } | {f"AMAYESH_{k.upper()}": v for k, v in extra.items()}  # fmt: skip


def secrets_of(botapi: FakeBotAPI, kavenegar: FakeKavenegar) -> dict[str, str]:
    """What service_env sets that no log line may show."""
    return {"bot token": botapi.token, "token secret": botapi.token.split(":")[1],
            "webhook secret": WEBHOOK_SECRET, "inbound secret": INBOUND_SECRET,
            "kavenegar key": kavenegar.valid_key}  # fmt: skip


@asynccontextmanager
async def debug_run(env: dict[str, str], tmp: Path) -> AsyncIterator[Path]:
    """`amayesh -v run` writing its log to the yielded file, stopped (SIGTERM) on exit."""
    log_path = tmp / "amayesh.log"
    with log_path.open("wb") as log_file:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "-v", "run", cwd=tmp, env=env,
            stdout=log_file, stderr=log_file,
        )  # fmt: skip
        try:
            yield log_path
        finally:
            proc.terminate()
            await proc.wait()
