"""Issue 11, nothing leaked: `amayesh -v run` (debug logging, every library's debug output) runs
a conversation with an SMS code and an inbound SMS; its log holds no token, secret, API key,
code or full mobile. And repeated identical errors are one line per interval with a count."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import aiohttp
from sqlalchemy import select

from bot.lograte import RepeatFilter
from bot.redact import RedactFilter, Redactor
from handlers.settings import load_settings
from storage.models import Outbox
from tests.bot_kit import ALI, ALI_MOBILE, ALI_YEAR, Chat, seeded_runtime
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.kavenegar import FakeKavenegar
from tests.inbox_support import free_port
from tests.redact_kit import FULL_MOBILE, INBOUND_SECRET, debug_run, secrets_of, service_env


async def test_debug_log_of_a_conversation_with_a_code_leaks_nothing(
    db_url: str, botapi: FakeBotAPI, kavenegar: FakeKavenegar, tmp_path: Path
) -> None:
    rt = await seeded_runtime(load_settings(database_url=db_url))  # the demo registry
    await rt.close()
    port = free_port()
    env = service_env(db_url, botapi, kavenegar, tmp_path, port)
    async with debug_run(env, tmp_path) as log_path:
        async with asyncio.timeout(90):
            await botapi.wait_for_calls("getUpdates", timeout=60)  # the service is up
            await _conversation(botapi, kavenegar, port)
    log = log_path.read_text("utf-8", errors="replace")
    assert "getUpdates" in log and "DEBUG" in log, "the service did log at debug level"
    [lookup] = kavenegar.calls_to("verify/lookup")
    code = lookup.params["token"]
    secrets = [*secrets_of(botapi, kavenegar).values(), code, ALI_MOBILE, ALI_MOBILE[1:],
               "09157654321", "9157654321"]  # fmt: skip
    leaked = [s for s in secrets if s in log]
    assert leaked == [], f"leaked: {leaked}"
    assert not FULL_MOBILE.search(log), "a full mobile in some other form"
    assert "۰۹۱۵***۴۵۶۷" in log  # masked, still telling numbers apart
    async with _rt(db_url) as outbox:
        assert all(code not in (r.text or "") for r in outbox)


class _rt:
    """The outbox rows after the run, read through a fresh runtime."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url

    async def __aenter__(self) -> list[Outbox]:
        from bot.runtime import open_runtime

        self.rt = await open_runtime(load_settings(database_url=self.db_url))
        async with self.rt.db.session() as s:
            return list(await s.scalars(select(Outbox)))

    async def __aexit__(self, *exc: object) -> None:
        await self.rt.close()


async def _conversation(botapi: FakeBotAPI, kavenegar: FakeKavenegar, port: int) -> None:
    chat = Chat(botapi, 701)
    await chat.say("/start")
    await chat.press("lang:fa")
    await chat.press("link:start")
    await chat.say(ALI)
    await chat.say(ALI_YEAR)
    await chat.next()
    sent = await chat.press("link:otp")
    assert "۰۹۱۵***۴۵۶۷" in sent.text
    while not kavenegar.calls_to("verify/lookup"):  # noqa: ASYNC110 (another process sends)
        await asyncio.sleep(0.05)
    code = kavenegar.calls_to("verify/lookup")[0].params["token"]
    wrong = "000000" if code != "000000" else "111111"
    await chat.say(wrong)
    assert "✅" in (await chat.say(code)).text
    # A contact share with a mobile, and an SMS from a mobile to the secret inbound URL.
    botapi.push(botapi.contact_update(702, "+989157654321", 702))
    await botapi.wait_for_message(702)
    async with aiohttp.ClientSession() as http:
        url = f"http://127.0.0.1:{port}/sms/inbound/{INBOUND_SECRET}"
        form = {"messageid": "m-1", "from": "09157654321", "to": "10004346", "message": "راهنما"}
        async with http.post(url, data=form) as resp:
            assert resp.status == 200
    while not [m for m in kavenegar.sent if m.receptor == "09157654321"]:  # noqa: ASYNC110
        await asyncio.sleep(0.05)


def test_the_filter_redacts_arguments_and_tracebacks() -> None:
    redactor = Redactor(["123456:" + "A" * 35, "k3y-value-x"])
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "sent %s to %s", (
        "کد تأیید آمایش: ۱۲۳۴۵۶", "+989151234567"), None)  # fmt: skip
    try:
        raise RuntimeError("https://api.kavenegar.com/v1/k3y-value-x/sms/send.json")
    except RuntimeError:
        record.exc_info = sys.exc_info()
    assert RedactFilter(redactor).filter(record)
    text = logging.Formatter().format(record)
    assert "sent کد تأیید آمایش: ****** to 0915***4567" in text
    assert "/v1/***/sms/send.json" in text and "k3y-value-x" not in text
    assert "RuntimeError" in text  # the traceback is kept, redacted


def test_repeated_errors_are_one_line_per_interval_with_a_count() -> None:
    now = [0.0]
    flt = RepeatFilter(interval=60, clock=lambda: now[0])

    def rec(msg: str, level: int = logging.ERROR) -> logging.LogRecord:
        return logging.LogRecord("bot.worker", level, __file__, 1, msg, ("a",), None)

    shown = []
    for i in range(430):  # the database down: the same error every few milliseconds
        now[0] = i * 0.07
        r = rec("claiming %s rows failed")
        if flt.filter(r):
            shown.append(r.getMessage())
    assert shown == ["claiming a rows failed"]
    now[0] = 61.0
    r = rec("claiming %s rows failed")
    assert flt.filter(r) and r.getMessage().endswith("(repeated 429 more times in 60 s)")
    assert flt.filter(rec("another error"))  # a different error is not held back
    assert all(flt.filter(rec("debug detail", logging.DEBUG)) for _ in range(5))
