"""The real service (`amayesh run`) as a subprocess against the fake Bot API, for crash tests."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from storage.db import Database
from storage.models import Outbox
from tests.fakes.botapi import FakeBotAPI

SECRET = "inbox-test-secret"
WELCOME = "خوش آمدید"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Service:
    """One `amayesh run` process; start() again after kill() is the restart."""

    def __init__(self, db_url: str, botapi: FakeBotAPI, cwd: Path, *, webhook: bool) -> None:
        self.db_url, self.botapi, self.cwd, self.webhook = db_url, botapi, cwd, webhook
        self.port = free_port()  # kept across restarts: the webhook URL Telegram knows
        self.proc: asyncio.subprocess.Process | None = None
        self.runs = 0

    async def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AMAYESH_")}
        env |= {"AMAYESH_DATABASE_URL": self.db_url, "AMAYESH_TELEGRAM_TOKEN": self.botapi.token,
                "AMAYESH_TELEGRAM_API_URL": self.botapi.url, "AMAYESH_TELEGRAM_RATE": "10000",
                "AMAYESH_TELEGRAM_CHAT_RATE": "1000", "AMAYESH_QUIET_HOURS": "",
                "AMAYESH_SMS_RECEIVE": "webhook", "AMAYESH_HTTP_PORT": str(self.port),
                "AMAYESH_FILES_DIR": str(self.cwd / "files")}  # fmt: skip
        if self.webhook:
            env |= {"AMAYESH_WEBHOOK_URL": f"http://127.0.0.1:{self.port}/telegram/webhook",
                    "AMAYESH_WEBHOOK_SECRET": SECRET}  # fmt: skip
        self.runs += 1
        path = self.cwd / f"service-{self.runs}.log"
        self.proc = await asyncio.create_subprocess_exec(
            "sh", "-c", f'exec "$0" -m bot.cli run >"{path}" 2>&1', sys.executable,
            cwd=self.cwd, env=env,
        )  # fmt: skip

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(20):
                await self.proc.wait()
        except TimeoutError:
            await self.kill()

    def log(self) -> str:
        return "\n".join(
            (self.cwd / f"service-{i}.log").read_text(errors="replace")[-3000:]
            for i in range(1, self.runs + 1)
        )


async def replies_per_chat(db_url: str) -> Counter[str]:
    """Reply rows in the outbox per chat: what the dialog decided to say, once per update."""
    db = Database(db_url)
    try:
        async with db.session() as s:
            rows = await s.scalars(select(Outbox.address).where(Outbox.kind == "reply"))
            return Counter(rows)
    finally:
        await db.dispose()


def welcomes(botapi: FakeBotAPI) -> Counter[int | str]:
    """How many welcome messages each chat got."""
    return Counter(m.chat_id for m in botapi.sent if WELCOME in (m.content or ""))


async def until(check: object, seconds: float, what: str, service: Service) -> None:
    """Poll `check()` (a callable) until true; fail with the service's log otherwise."""
    try:
        async with asyncio.timeout(seconds):
            while not check():  # type: ignore[operator]  # noqa: ASYNC110 (another process)
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"{what} not within {seconds}s\n{service.log()}") from None


class CuttableProxy:
    """A TCP relay in front of PostgreSQL that the test can cut: open connections are reset
    and new ones refused, as when the database host goes away; restore() listens again."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.target = host, port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._link, "127.0.0.1", self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.target)
        except OSError:
            writer.transport.abort()
            return
        self._links |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                dst.transport.abort()
                self._links.discard(dst)

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._links):
            writer.transport.abort()
        self._links.clear()
        await self._server.wait_closed()
        self._server = None

    async def restore(self) -> None:
        await self.start()

    async def close(self) -> None:
        if self._server is not None:
            await self.cut()
