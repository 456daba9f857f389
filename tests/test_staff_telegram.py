"""Staff flows through the real Application over HTTP against the fake Bot API server."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot import telegram_broadcast
from handlers.runtime import Runtime
from storage import admin
from storage.models import Application, AuditLog, Broadcast, Outbox
from tests.bot_kit import Chat, datas
from tests.staff_seed import ADMIN, BROADCASTER, REVIEWER, STRANGER, add_slip

CSV = "card_number,status,note,at\n100200300,payment_review,ok,\n"


@pytest.fixture
async def brt(brt: Runtime) -> Runtime:
    """The shared seeded runtime plus one staff member of each role."""
    async with brt.db.session() as s:
        for tid, role in ((ADMIN, "admin"), (REVIEWER, "reviewer"), (BROADCASTER, "broadcaster")):
            await admin.add_staff(s, "test", tid, role)
    return brt


async def denied(rt: Runtime) -> list[tuple[str, str]]:
    async with rt.db.session() as s:
        rows = await s.scalars(select(AuditLog).where(AuditLog.action == "denied"))
        return [(r.actor, r.target) for r in rows]


async def test_non_staff_get_the_menu_and_the_try_is_recorded(botapi, bot, brt):
    chat = Chat(botapi, STRANGER)
    for command in ("/review", "/broadcast", "/status 100200300 paid", "/report"):
        reply = await chat.say(command)
        assert "menu:status" in datas(reply)  # the ordinary menu, nothing staff-like
    assert await denied(brt) == [
        ("tg:7999", "receipts"), ("tg:7999", "broadcasts"), ("tg:7999", "statuses"),
        ("tg:7999", "report"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("who", "command", "right"),
    [
        (BROADCASTER, "/review", "receipts"), (BROADCASTER, "/status 100200300 paid", "statuses"),
        (BROADCASTER, "/complaints", "complaints"), (REVIEWER, "/broadcast", "broadcasts"),
    ],
)  # fmt: skip
async def test_each_role_is_refused_what_it_lacks(botapi, bot, brt, who, command, right):
    reply = await Chat(botapi, who).say(command)
    assert reply.text == brt.t("fa", "staff.denied")
    assert await denied(brt) == [(f"tg:{who}", right)]


async def test_review_two_reviewers_reject_with_a_listed_reason(botapi, bot, brt):
    rid = await add_slip(brt, duplicate=True)  # by SMS: no image, so the card is text
    a, b = Chat(botapi, REVIEWER), Chat(botapi, ADMIN)
    card = await a.say("/review")
    assert card.method == "sendMessage" and "300,000" in card.text and "شماره پیگیری" in card.text
    assert datas(card) == [f"rv:ok:{rid}", f"rv:no:{rid}", f"rv:skip:{rid}"]
    assert (await b.say("/review")).text == brt.t("fa", "staff.review.empty")
    reasons = await a.press(f"rv:no:{rid}")
    assert f"rv:r:{rid}:wrong_amount" in datas(reasons) and f"rv:t:{rid}" in datas(reasons)
    done = await a.press(f"rv:r:{rid}:wrong_amount")
    assert "رد شد" in done.text
    assert (await a.next()).text == brt.t("fa", "staff.review.empty")
    async with brt.db.session() as s:
        app = await s.scalar(select(Application).order_by(Application.id))  # Ali's, not Gol's
        notes = (await s.scalars(select(Outbox).where(Outbox.national_id.is_not(None)))).all()
    assert app.status == "awaiting_payment"
    [note] = [n for n in notes if n.key.startswith(f"status:{app.id}:")]  # Ali's, not Gol's
    assert "مبلغ با فیس رسمی برابر نیست" in note.text


async def test_review_typed_reason_and_approve(botapi, bot, brt):
    rid = await add_slip(brt)
    a = Chat(botapi, REVIEWER)
    await a.say("/review")  # the file is missing: the figures come as text
    await a.press(f"rv:no:{rid}")
    await a.press(f"rv:t:{rid}")
    assert "رد شد" in (await a.say("تاریخ فیش ناخواناست")).text
    async with brt.db.session() as s:
        app = await s.scalar(select(Application))
    assert app.status == "awaiting_payment"


async def test_status_command_and_a_refused_move(botapi, bot, brt):
    chat = Chat(botapi, REVIEWER)
    bad = await chat.say("/status 100200300 delivered")
    assert "در انتظار پرداخت" in bad.text and "بررسی فیش" in bad.text
    ok = await chat.say("/status ۱۰۰۲۰۰۳۰۰ payment_review فیش رسید")
    assert "100200300" in ok.text
    async with brt.db.session() as s:
        assert (await s.scalar(select(Application))).status == "payment_review"


async def test_report_sends_a_chart_and_a_csv(botapi, bot, brt):
    chat = Chat(botapi, BROADCASTER)
    photo = await chat.say("/report")
    assert photo.method == "sendPhoto" and photo.file_bytes.startswith(b"\x89PNG")
    assert "گزارش روزانه" in (await chat.next()).text
    doc = await chat.next()
    assert doc.method == "sendDocument" and doc.file_name.endswith(".csv")
    assert doc.file_bytes.decode().startswith("metric,day ")


async def test_csv_sent_by_staff_is_imported(botapi, bot, brt):
    chat = Chat(botapi, REVIEWER)
    bad = await chat.document(b"card_number,status\n999,paid\n", "s.csv", "text/csv")
    assert "999" in bad.text and "line 2" in bad.text
    ok = await chat.document(CSV.encode(), "s.csv", "text/csv")
    assert ok.text == brt.t("fa", "staff.tg.import_ok", changed=1, unchanged=0)
    async with brt.db.session() as s:
        assert (await s.scalar(select(Application))).status == "payment_review"


async def test_broadcast_conversation_progress_and_stop(botapi, bot, brt, monkeypatch):
    monkeypatch.setattr(telegram_broadcast, "PROGRESS_EVERY", 0.05)
    chat = Chat(botapi, BROADCASTER)
    await chat.say("/broadcast")
    more = await chat.say("طرح آمایش از فردا آغاز می‌شود.")
    assert "sb:add:en" in datas(more) and "sb:seg" in datas(more)
    await chat.press("sb:add:en")
    await chat.say("The census starts tomorrow.")
    await chat.press("sb:seg")
    wrong = await chat.say("planet=mars")
    assert "planet" in wrong.text
    preview = await chat.say("province=خراسان جنوبی")
    assert "گیرندگان: ۳" in preview.text and "ریال" in preview.text
    assert datas(preview) == ["sb:send", "sb:at", "sb:discard"]
    started = await chat.press("sb:send")
    progress = await chat.next()
    assert progress.edited and progress.message_id == started.message_id
    assert "sb:stop:" in datas(progress)[0]
    final = await chat.press(datas(progress)[0], contains="گزارش پیام همگانی")
    assert final.edited and final.message_id == started.message_id
    async with brt.db.session() as s:
        b = await s.scalar(select(Broadcast))
    assert b.state == "cancelled" and b.texts["en"] == "The census starts tomorrow."


async def test_broadcast_discard_and_cancel(botapi, bot, brt):
    chat = Chat(botapi, ADMIN)
    await chat.say("/broadcast")
    assert (await chat.say("/cancel")).text == brt.t("fa", "staff.tg.cancelled")
    await chat.say("/broadcast")
    await chat.say("سلام")
    await chat.press("sb:seg")
    await chat.say("*")
    assert "چیزی فرستاده نشد" in (await chat.press("sb:discard")).text
    async with brt.db.session() as s:
        assert await s.scalar(select(Broadcast)) is None
