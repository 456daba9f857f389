"""Slip review without a channel: two reviewers never hold one slip; decisions notify once."""

from __future__ import annotations

from sqlalchemy import select

from handlers import review
from handlers.staff_auth import actor_for
from storage.models import Application, Receipt
from tests.staff_seed import ADMIN, ALI_MOBILE, REVIEWER, add_slip, audits, outbox, seed


async def test_two_reviewers_never_hold_the_same_slip(rt):
    await seed(rt)
    first = await add_slip(rt, duplicate=True)
    a, b = actor_for(REVIEWER), actor_for(ADMIN)
    async with rt.db.session() as s:
        card = await review.next_slip(rt, s, a)
    assert card is not None and card.receipt_id == first
    assert "already used" in card.text(rt, "en") and "300,000" in card.text(rt, "en")
    async with rt.db.session() as s:
        assert await review.next_slip(rt, s, b) is None  # a holds the only slip
        again = await review.next_slip(rt, s, a)  # the holder gets it back
    assert again is not None and again.receipt_id == first
    async with rt.db.session() as s:
        stolen = await review.decide(rt, s, b, first, True)
    assert not stolen.ok
    async with rt.db.session() as s:
        out = await review.decide(rt, s, a, first, False, "wrong_amount")
        twice = await review.decide(rt, s, a, first, True)
    assert out.ok and not twice.ok
    async with rt.db.session() as s:
        r = await s.get(Receipt, first)
        app = await s.scalar(select(Application).order_by(Application.id))  # Ali's, not Gol's
    assert (r.state, r.reviewer) == ("rejected", "tg:7002") and app.status == "awaiting_payment"
    [msg] = [m for m in await outbox(rt) if m.kind == "notice" and m.address == ALI_MOBILE]
    assert "مبلغ با فیس رسمی برابر نیست" in msg.text  # the reason, in Dari
    [row] = await audits(rt, "receipt.reject")
    assert row.before == {"state": "pending"} and row.after["state"] == "rejected"


async def test_skip_hands_the_slip_to_the_next_reviewer(rt):
    await seed(rt)
    first = await add_slip(rt)
    a, b = actor_for(REVIEWER), actor_for(ADMIN)
    async with rt.db.session() as s:
        await review.next_slip(rt, s, a)
        assert await review.next_slip(rt, s, a, skip={first}) is None
        await review.skip_slip(rt, s, a, first)
    async with rt.db.session() as s:
        card = await review.next_slip(rt, s, b)
        out = await review.decide(rt, s, b, first, True)
    assert card.receipt_id == first and out.ok
    async with rt.db.session() as s:
        assert (await s.scalar(select(Application))).status == "paid"
    # One notice (paid); the rest are the SMS replies to Ali's slip.
    assert len([m for m in await outbox(rt) if m.kind != "reply"]) == 1
