"""Complaints for staff: overdue first, one notice per answer, closing, the SLA clock."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from handlers import staff_complaints as desk
from handlers.jalali import parse_jalali_datetime
from handlers.staff_auth import Forbidden, actor_for
from handlers.workdays import add_working_days
from storage.models import Complaint, National
from tests.staff_seed import BROADCASTER, NOW, REVIEWER, audits, outbox, seed

TZ = ZoneInfo("Asia/Tehran")


def jt(text: str) -> date:
    return parse_jalali_datetime(text, TZ).astimezone(TZ).date()


@pytest.mark.parametrize(
    ("filed", "due"),
    [
        ("1405/09/02 10:00", "1405/09/05 10:00"),  # Monday: Tue, Wed, Thu
        ("1405/09/05 10:00", "1405/09/09 10:00"),  # Thursday: Fri skipped -> Sat, Sun, Mon
        ("1405/09/06 23:00", "1405/09/09 23:00"),  # filed on a Friday
        ("1405/11/20 10:00", "1405/11/25 10:00"),  # 22 Bahman (Revolution Day) and Fri skipped
        ("1404/12/27 09:00", "1405/01/06 09:00"),  # Nowruz, 29 Esfand and Fridays skipped
    ],
)
def test_sla_counts_working_days(filed, due):
    assert add_working_days(jt(filed), 3) == jt(due)


async def add_complaint(rt, code, due_at, national_id=None, channel="sms", address="09150001122"):
    async with rt.db.session() as s:
        s.add(Complaint(code=code, national_id=national_id, channel=channel, address=address,
                        text=f"text of {code}", due_at=due_at, created_at=NOW))  # fmt: skip


async def test_queue_answer_close(rt):
    await seed(rt)
    async with rt.db.session() as s:
        ali = await s.scalar(select(National.id).where(National.card_number == "100200300"))
    await add_complaint(rt, "C-1405-000002", NOW + timedelta(days=2), ali)
    await add_complaint(rt, "C-1405-000001", NOW - timedelta(hours=1), None, "telegram", "555")
    me = actor_for(REVIEWER)
    async with rt.db.session() as s:
        lines = (await desk.queue_page(rt, s, me))[0]
    assert [(q.code, q.overdue) for q in lines] == [("C-1405-000001", True),
                                                    ("C-1405-000002", False)]  # fmt: skip
    assert "OVERDUE" in lines[0].text(rt, "en") and "مهلت گذشته" in lines[0].text(rt)
    for _ in range(2):
        async with rt.db.session() as s:
            out = await desk.answer(rt, s, me, "c-1405-000002", "پیگیری شد")
        assert out.ok
    async with rt.db.session() as s:
        await desk.answer(rt, s, me, "C-1405-000001", "done")
        assert (await desk.close(rt, s, me, "C-1405-000001")).ok
        late = await desk.answer(rt, s, me, "C-1405-000001", "again")
        lines = (await desk.queue_page(rt, s, me))[0]
    assert not late.ok and lines == []
    msgs = await outbox(rt)
    assert [(m.channel, m.address) for m in msgs] == [("sms", "09151234567"), ("telegram", "555")]
    assert all(m.key.startswith("complaint:") and ":answer:" in m.key for m in msgs)
    assert len(msgs) == 2 and "پیگیری شد" in msgs[0].text and msgs[0].lang == "prs"
    actions = [a.action for a in await audits(rt) if a.action.startswith("complaint")]
    assert actions == ["complaint.answer", "complaint.answer", "complaint.answer",
                       "complaint.close"]  # fmt: skip


async def test_broadcaster_cannot_see_complaints(rt):
    await seed(rt)
    await add_complaint(rt, "C-1405-000001", NOW)
    with pytest.raises(Forbidden):
        async with rt.db.session() as s:
            await desk.queue_page(rt, s, actor_for(BROADCASTER))
