"""The fake Bot API drives the real python-telegram-bot Application over HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, Forbidden, RetryAfter
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from tests.fakes.botapi import FakeBotAPI


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as api:
        yield api


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("تمدید", callback_data="renew")]])
    await update.effective_message.reply_text("سلام", reply_markup=keyboard)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(f"echo: {update.effective_message.text}")


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer("ok")
    await query.edit_message_text(f"chosen: {query.data}")


async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    photo_file = await update.effective_message.photo[-1].get_file()
    data = await photo_file.download_as_bytearray()
    await update.effective_message.reply_text(f"got {len(data)} bytes")


# PTB 22.2+ warns (even inside RetryAfter itself) that retry_after will become a timedelta.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


def retry_seconds(exc: RetryAfter) -> float:
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def build_app(fake: FakeBotAPI) -> Application:
    request = HTTPXRequest(httpx_kwargs={"trust_env": False})
    app = (
        Application.builder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .request(request)
        .get_updates_request(HTTPXRequest(httpx_kwargs={"trust_env": False}))
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.PHOTO, on_photo))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return app


@pytest_asyncio.fixture
async def running(fake: FakeBotAPI) -> AsyncIterator[Application]:
    app = build_app(fake)
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def test_polling_echo_and_start(fake: FakeBotAPI, running: Application) -> None:
    assert [c.method for c in fake.calls][:2] == ["getMe", "deleteWebhook"]
    fake.push(fake.text_update(42, "/start"))
    reply = await fake.wait_for_message(42)
    assert reply.text == "سلام"
    assert reply.reply_markup == {
        "inline_keyboard": [[{"text": "تمدید", "callback_data": "renew"}]]
    }
    fake.push(fake.text_update(42, "12345"))
    reply = await fake.wait_for_message(42)
    assert reply.text == "echo: 12345"
    assert fake.last_text(42) == "echo: 12345"
    assert [m.text for m in fake.messages_to(42)] == ["سلام", "echo: 12345"]
    send = (await fake.wait_for_calls("sendMessage", 2))[1]
    assert send.params["chat_id"] == 42 and send.params["text"] == "echo: 12345"


async def test_many_updates_are_all_answered(fake: FakeBotAPI, running: Application) -> None:
    for i in range(50):
        fake.push(fake.text_update(1000 + i, f"msg {i}"))
    for i in range(50):
        msg = await fake.wait_for_message(1000 + i)
        assert msg.text == f"echo: msg {i}"


async def test_callback_query_is_answered_and_message_edited(
    fake: FakeBotAPI, running: Application
) -> None:
    fake.push(fake.text_update(7, "/start"))
    menu = await fake.wait_for_message(7)
    fake.push(fake.callback_update(7, "renew", message_id=menu.message_id))
    edited = await fake.wait_for_message(7, lambda m: m.edited)
    assert edited.text == "chosen: renew" and edited.message_id == menu.message_id
    answer = (await fake.wait_for_calls("answerCallbackQuery"))[0]
    assert isinstance(answer.params["callback_query_id"], str)
    assert answer.params["text"] == "ok"


async def test_photo_largest_size_is_downloaded(fake: FakeBotAPI, running: Application) -> None:
    full = b"\xff\xd8full-resolution" * 100
    update = fake.push(fake.photo_update(5, full, caption="کارت"))
    sizes = update["message"]["photo"]
    assert [s["width"] for s in sizes] == sorted(s["width"] for s in sizes)
    reply = await fake.wait_for_message(5)
    assert reply.text == f"got {len(full)} bytes"
    bot = running.bot
    data = await (await bot.get_file(sizes[-1]["file_id"])).download_as_bytearray()
    assert bytes(data) == full
    thumb = await (await bot.get_file(sizes[0]["file_id"])).download_as_bytearray()
    assert bytes(thumb) != full


async def test_send_document_upload_is_stored(fake: FakeBotAPI, running: Application) -> None:
    msg = await running.bot.send_document(9, b"%PDF-1.4 receipt", filename="r.pdf", caption="رسید")
    assert msg.document is not None and msg.document.file_name == "r.pdf"
    sent = await fake.wait_for_message(9)
    assert sent.file_bytes == b"%PDF-1.4 receipt" and sent.caption == "رسید"
    photo = await running.bot.send_photo(9, b"png-bytes")
    assert photo.photo[-1].file_size == len(b"png-bytes")


async def test_errors_map_to_ptb_exceptions(fake: FakeBotAPI, running: Application) -> None:
    bot = running.bot
    fake.block(11)
    with pytest.raises(Forbidden, match=r"(?i)blocked by the user"):
        await bot.send_message(11, "hi")
    fake.deactivate(12)
    with pytest.raises(Forbidden, match=r"(?i)deactivated"):
        await bot.send_message(12, "hi")
    fake.unknown_chat(13)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(13, "hi")
    fake.flood(14, retry_after=3)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(14, "hi")
    assert retry_seconds(info.value) == 3
    assert (await bot.send_message(14, "again")).text == "again"
    fake.fail_next("sendMessage", 400, "Bad Request: can't parse entities")
    with pytest.raises(BadRequest, match=r"(?i)parse entities"):
        await bot.send_message(15, "<b>", parse_mode="HTML")
    assert (await bot.send_message(15, "ok")).chat.id == 15


async def test_rate_limit_answers_429(fake: FakeBotAPI, running: Application) -> None:
    fake.rate_limit_per_s = 3  # a burst of 3, then 429 unless a send takes > 1/3 s
    results = []
    for i in range(6):
        try:
            await running.bot.send_message(20, f"m{i}")
            results.append("ok")
        except RetryAfter as exc:
            assert retry_seconds(exc) >= 1
            results.append("429")
    assert results[:3] == ["ok"] * 3 and "429" in results[3:]


async def test_get_updates_long_polls_and_honours_offset(fake: FakeBotAPI) -> None:
    bot = build_app(fake).bot
    async with bot:
        assert await bot.get_updates(timeout=0) == ()
        first = fake.push(fake.text_update(1, "a"))
        fake.push(fake.text_update(1, "b"))
        got = await bot.get_updates(limit=1)
        assert [u.update_id for u in got] == [first["update_id"]]
        got = await bot.get_updates(offset=first["update_id"] + 1, timeout=1)
        assert [u.message.text for u in got] == ["b"]
        got = await bot.get_updates(offset=got[-1].update_id + 1, timeout=0)
        assert got == ()


async def test_unknown_method_is_404_and_raw_answers(fake: FakeBotAPI) -> None:
    async with httpx.AsyncClient(trust_env=False) as client:
        res = await client.post(f"{fake.base_url}{fake.token}/noSuchMethod")
        assert res.status_code == 404
        assert res.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        fake.flood(retry_after=2)
        res = await client.post(
            f"{fake.base_url}{fake.token}/sendMessage", data={"chat_id": "1", "text": "5"}
        )
        assert res.status_code == 429
        assert res.json()["parameters"] == {"retry_after": 2}
        res = await client.post(
            f"{fake.base_url}{fake.token}/sendMessage",
            data={"chat_id": "1", "text": "5", "reply_markup": "{}"},
        )
        assert res.json()["result"]["text"] == "5"
        assert fake.calls[-1].params == {"chat_id": 1, "text": "5", "reply_markup": {}}
    bot = build_app(fake).bot
    async with bot:
        with pytest.raises(Exception, match="not found"):
            await bot.do_api_request("noSuchMethod")


async def test_webhook_blocks_polling_and_waits_time_out(fake: FakeBotAPI) -> None:
    bot = build_app(fake).bot
    async with bot:
        await bot.set_webhook("https://example.invalid/hook", secret_token="s3cret")
        assert (await bot.get_webhook_info()).url == "https://example.invalid/hook"
        with pytest.raises(Conflict):
            await bot.get_updates(timeout=0)
        await bot.delete_webhook()
        assert await bot.get_updates(timeout=0) == ()
    with pytest.raises(TimeoutError, match="no matching message to 99"):
        await fake.wait_for_message(99, timeout=0.05)
