"""Issue 11, uploaded files: a national's slip that Telegram would refuse as a photo still
reaches the reviewer (a downscaled copy, else as a document; the original kept), a PDF is shown
as an image of its pages and never forwarded, a failed write leaves nothing and says so."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from handlers.runtime import Runtime
from storage import admin
from storage.models import Receipt
from tests.bot_kit import Chat, png, running_bot
from tests.fakes.botapi import FakeBotAPI

REVIEWER = 7302


@pytest.fixture
async def ali(botapi: FakeBotAPI, brt: Runtime) -> AsyncIterator[Chat]:
    """Ali (linked, his application awaits payment) and a reviewer on staff."""
    async with brt.db.session() as s:
        await admin.add_staff(s, "cli:test", REVIEWER, "reviewer")
    async with running_bot(brt):
        chat = Chat(botapi, 601)
        await chat.link_by_contact()
        await chat.press("lang:fa")
        yield chat


def _image(width: int, height: int, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 180, 90)).save(out, fmt)
    return out.getvalue()


async def _send_slip(chat: Chat, data: bytes, name: str, mime: str) -> None:
    await chat.press("menu:receipt")
    assert "شماره پیگیری" in (await chat.document(data, name, mime)).text
    await chat.say("55555")
    await chat.say("300000")
    assert "R-14" in (await chat.press("slip:confirm")).text


async def _stored(rt: Runtime) -> Path:
    async with rt.db.session() as s:
        receipt = await s.scalar(select(Receipt))
    assert receipt is not None
    return rt.settings.files_dir / receipt.file_path


async def test_an_oversized_photo_is_reviewed_as_a_downscaled_copy(
    botapi: FakeBotAPI, brt: Runtime, ali: Chat
) -> None:
    big = _image(12_000, 900)  # width + height over Telegram's 10000
    await _send_slip(ali, big, "slip.png", "image/png")
    card = await Chat(botapi, REVIEWER).say("/review")
    assert card.method == "sendPhoto" and "rv:ok:" in str(card.reply_markup)
    with Image.open(io.BytesIO(card.file_bytes or b"")) as shown:
        assert shown.format == "JPEG" and max(shown.size) == 2560
    assert "کوچک‌شده" in (card.caption or "")
    stored = await _stored(brt)
    assert stored.read_bytes() == big  # the original is kept as it came


async def test_a_photo_telegram_refuses_goes_as_a_document(
    botapi: FakeBotAPI, brt: Runtime, ali: Chat
) -> None:
    await _send_slip(ali, _image(9_000, 300), "long.png", "image/png")  # ratio 30 > 20
    reviewer = Chat(botapi, REVIEWER)
    card = await reviewer.say("/review")
    assert card.method == "sendDocument" and (card.file_name or "").endswith("-review.jpg")
    assert [c.method for c in botapi.calls if c.method.startswith("send")][-2:] == [
        "sendPhoto", "sendDocument"]  # fmt: skip
    rid = card.reply_markup["inline_keyboard"][0][0]["callback_data"]  # type: ignore[index]
    assert "تأیید شد" in (await reviewer.press(rid)).text  # the queue goes on


async def test_a_pdf_is_shown_as_its_pages_never_forwarded(
    botapi: FakeBotAPI, brt: Runtime, ali: Chat
) -> None:
    pdf = io.BytesIO()
    Image.new("RGB", (600, 800), (255, 255, 255)).save(pdf, "PDF")
    await _send_slip(ali, pdf.getvalue(), "slip.pdf", "application/pdf")
    card = await Chat(botapi, REVIEWER).say("/review")
    assert card.method == "sendPhoto" and (card.file_bytes or b"")[:3] == b"\xff\xd8\xff"
    assert "PDF" in (card.caption or "")
    sent_to_staff = [m for m in botapi.messages_to(REVIEWER) if m.file_bytes]
    assert all(not (m.file_bytes or b"").startswith(b"%PDF") for m in sent_to_staff)
    assert (await _stored(brt)).read_bytes() == pdf.getvalue()


async def test_a_failed_write_leaves_no_half_file_and_tells_the_national(
    botapi: FakeBotAPI, brt: Runtime, ali: Chat
) -> None:
    slip = png(noise=b"disk full")
    incoming = brt.settings.files_dir / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    sha = hashlib.sha256(slip).hexdigest()
    tmp = incoming / f"{sha}.png.{os.getpid()}.tmp"
    tmp.symlink_to("/dev/full")  # every write there fails with ENOSPC, as on a full disk
    await ali.press("menu:receipt")
    refused = await ali.photo(slip)
    assert "ذخیره نشد" in refused.text
    assert list(incoming.iterdir()) == []  # neither the half-written file nor anything else
    assert "شماره پیگیری" in (await ali.photo(slip)).text  # the disk has room again
