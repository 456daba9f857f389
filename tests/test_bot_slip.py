"""Issue 3, item 5 through the real Application: the deposit slip, bad input, restarts."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from handlers.runtime import Runtime
from storage.models import Application, Receipt, StatusEvent
from tests.bot_kit import (
    GOL,
    Chat,
    bot_settings,
    datas,
    png,
    running_bot,
    seeded_runtime,
)

FEE = "۳۰۰٬۰۰۰ ریال"


@pytest.fixture
async def ali(botapi, brt) -> AsyncIterator[Chat]:
    """Ali, head of household H-1001, linked, whose application awaits payment."""
    async with running_bot(brt):
        chat = Chat(botapi, 601)
        await chat.link_by_contact()  # Ali reads Dari (registry): the texts below are Persian
        await chat.press("lang:fa")
        yield chat


async def receipts(rt: Runtime) -> list[Receipt]:
    async with rt.db.session() as s:
        return list(await s.scalars(select(Receipt).order_by(Receipt.id)))


def kept_files(rt: Runtime) -> list[str]:
    root = rt.settings.files_dir / "receipts"
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


async def test_slip_photo_to_tracking_code(botapi, brt, ali):
    slip = png(noise=b"full resolution")
    asked = await ali.press("menu:receipt")
    assert "۳۰۰٬۰۰۰ ریال" in asked.text and "۲۱۷۱۱۳۴۷۵۶۰۰۱" in asked.text
    assert "شماره پیگیری" in (await ali.photo(slip)).text
    assert "مبلغ" in (await ali.say("۱۲۳ ۴۵۶ ۷۸۹")).text
    summary = await ali.say(FEE)
    assert "۱۲۳۴۵۶۷۸۹" in summary.text and "slip:confirm" in datas(summary)
    done = await ali.press("slip:confirm")
    assert "R-14" in done.text and "-000001" in done.text
    [receipt] = await receipts(brt)
    sha = hashlib.sha256(slip).hexdigest()
    assert (receipt.bank_tracking, receipt.amount_rials, receipt.flags) == ("123456789", 300000, [])
    assert receipt.file_sha256 == sha and receipt.mime_type == "image/png"
    stored = brt.settings.files_dir / receipt.file_path
    assert stored.name == f"{sha}.png" and stored.read_bytes() == slip  # never the thumbnail
    async with brt.db.session() as s:
        app = await s.get(Application, receipt.application_id)
        events = [e.status for e in await s.scalars(select(StatusEvent))]
    assert app is not None and app.status == "payment_review" and events[-1] == "payment_review"
    assert not list((brt.settings.files_dir / "incoming").iterdir())


async def test_pdf_document_is_accepted(botapi, brt, ali):
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    await ali.press("menu:receipt")
    assert "شماره پیگیری" in (await ali.document(pdf, "slip.pdf", "application/pdf")).text
    await ali.say("55555")
    await ali.say("300000")
    assert "R-14" in (await ali.press("slip:confirm")).text
    assert (await receipts(brt))[0].mime_type == "application/pdf"


@pytest.mark.parametrize(
    ("kind", "content", "needle"),
    [
        ("text file", b"just some words, not an image", "عکس یا PDF نیست"),
        ("exe", b"MZ\x90\x00" + b"\x00" * 200, "عکس یا PDF نیست"),
        ("too big", b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024 + 10), "۱۰ مگابایت"),
        ("truncated png", png()[:40], "خراب است"),
        ("jpeg header only", b"\xff\xd8\xff\xe0" + b"\x00" * 100, "خراب است"),
    ],
)
async def test_bad_files_are_refused_and_nothing_stored(botapi, brt, ali, kind, content, needle):
    await ali.press("menu:receipt")
    getfile_before = len(botapi.calls_of("getFile"))
    refused = await ali.document(content, "slip.bin", "image/jpeg")
    assert needle in refused.text, kind
    if kind == "too big":  # the size is known before downloading: no download at all
        assert len(botapi.calls_of("getFile")) == getfile_before
    assert await receipts(brt) == [] and kept_files(brt) == []
    # Still waiting for a proper file: a good one goes on.
    assert "شماره پیگیری" in (await ali.photo(png())).text


async def test_wrong_amount_and_bad_tracking_are_refused(botapi, brt, ali):
    await ali.press("menu:receipt")
    await ali.photo(png())
    assert "درست نیست" in (await ali.say("<b>abc</b>")).text
    await ali.say("777777")
    wrong = await ali.say("30000")  # toman typed as rials
    assert "فرق دارد" in wrong.text and "۳۰۰٬۰۰۰ ریال" in wrong.text
    assert "فقط با عدد" in (await ali.say("سیصد هزار")).text
    assert await receipts(brt) == [] and kept_files(brt) == []
    cancelled = await ali.say("/cancel")
    assert "لغو شد" in cancelled.text
    assert not list((brt.settings.files_dir / "incoming").iterdir())


async def test_reused_tracking_or_file_is_taken_but_flagged(botapi, brt, ali):
    slip = png(noise=b"shared")
    await ali.press("menu:receipt")
    await ali.photo(slip)
    await ali.say("4242")
    await ali.say("300000")
    await ali.press("slip:confirm")
    gol = Chat(botapi, 602)
    await gol.link_by_contact(GOL, "1355", "09157654321")
    await gol.press("lang:fa")
    assert "case:open" in datas(await gol.press("menu:elig"))
    assert "✅" in (await gol.press("case:open")).text  # his case, opened on the bot
    await gol.press("menu:receipt")
    await gol.photo(slip)
    await gol.say("4242")
    await gol.say("300000")
    done = await gol.press("slip:confirm")
    assert "کارشناس" in done.text and "R-14" in done.text
    first, second = await receipts(brt)
    assert first.flags == []
    assert sorted(second.flags) == ["duplicate_file", "duplicate_tracking"]


async def test_restart_in_the_middle_of_the_slip(botapi, settings, brt):
    chat = Chat(botapi, 603)
    slip = png(noise=b"restart")
    async with running_bot(brt):
        await chat.link_by_contact()
        await chat.press("lang:fa")
        await chat.press("menu:receipt")
        await chat.photo(slip)
        assert "مبلغ" in (await chat.say("98765")).text
    await brt.close()
    # A new process: new runtime, new Application, same database.
    rt2 = await seeded_runtime(bot_settings(settings, botapi))
    try:
        async with running_bot(rt2):
            summary = await chat.say("300000")
            assert "۹۸۷۶۵" in summary.text
            assert "R-14" in (await chat.press("slip:confirm")).text
        [receipt] = await receipts(rt2)
        assert receipt.bank_tracking == "98765"
        assert (rt2.settings.files_dir / receipt.file_path).read_bytes() == slip
    finally:
        await rt2.close()
