"""Editing a campaign in the console: the create form's rules, what a campaign with cases may
no longer change (and the page saying so), the audit of what changed; and a campaign's
announcement built from its data, edited, and sent once through the broadcast composer."""

from __future__ import annotations

import re

from sqlalchemy import select

from handlers.runtime import Runtime
from storage.models import Broadcast, Campaign
from tests.console_kit import console_client, csrf_of, post_form, seed_console, sign_in
from tests.staff_seed import audits
from tests.test_console_campaigns import NEW

TOKEN = re.compile(r'name="token" value="([^"]+)"')


async def _campaign(rt: Runtime, code: str) -> Campaign:
    async with rt.db.session() as s:
        return (await s.scalars(select(Campaign).where(Campaign.code == code))).one()


def _form(html: str) -> dict[str, str]:
    """The edit form's fields as the page fills them (inputs and textareas)."""
    fields = dict(re.findall(r'<input name="(\w+)" value="([^"]*)"', html))
    fields |= dict(re.findall(r'<textarea name="(\w+)"[^>]*>([^<]*)</textarea>', html))
    fields["kind"] = "renewal"
    return {k: v.replace("&#34;", '"').replace("&amp;", "&") for k, v in fields.items()}


async def test_edit_a_campaign_with_cases_and_one_without(rt: Runtime) -> None:
    await seed_console(rt)
    async with console_client(rt) as client:
        await sign_in(client, rt, "admin", {})
        page = await (await client.get("/staff/campaigns/AMAYESH-19")).text()
        assert 'href="/staff/campaigns/1/edit"' in page and "/announce" in page
        page = await (await client.get("/staff/campaigns/1/edit")).text()
        assert "این طرح ۱ پرونده دارد" in page and 'name="fees" rows="3" readonly' in page
        form = _form(page)
        assert form["fees"] == "هزینه آمایش=300000" and form["code"] == "AMAYESH-19"
        old = await _campaign(rt, "AMAYESH-19")
        refusals = {
            "fees": ("هزینه آمایش=400000", "«هزینه‌ها» این طرح دیگر تغییر نمی‌کند"),
            "provinces": ("تهران", "از «استان‌ها» چیزی نمی‌توان کم کرد"),
            "end": ("1405/01/01", "طرح ذخیره نشد: --end is before --start"),
            "start": ("۱۴۰۵/۰۱/۰۱", "«تاریخ شروع» این طرح دیگر تغییر نمی‌کند"),
            "code": ("AMAYESH-99", "«کد طرح» این طرح دیگر تغییر نمی‌کند"),
        }
        for name, (value, why) in refusals.items():
            r = await post_form(client, "/staff/campaigns/1/edit", page, **(form | {name: value}))
            assert r.status == 400 and why in await r.text(), name
        changed = form | {
            "title": "طرح آمایش ۱۹ (تمدیدشده)",
            "provinces": "خراسان جنوبی، یزد",
            "documents": form["documents"] + "\nدو قطعه عکس",
            "rounds": "15,16,17,18",
        }
        r = await post_form(client, "/staff/campaigns/1/edit", page, **changed)
        text = await r.text()
        assert r.status == 200 and "تغییرات طرح ذخیره شد" in text, text
        assert "طرح آمایش ۱۹ (تمدیدشده)" in await (await client.get("/staff/campaigns/1")).text()
        r = await post_form(client, "/staff/campaigns/1/edit", page, **changed)
        assert "چیزی تغییر نکرد" in await r.text()

        page = await (await client.get("/staff/campaigns")).text()
        r = await post_form(client, "/staff/campaigns", page, **NEW)
        assert r.status == 200
        new = await _campaign(rt, "AMAYESH-20")
        page = await (await client.get(f"/staff/campaigns/{new.id}/edit")).text()
        assert "پرونده دارد" not in page and "readonly" not in page
        free = _form(page) | {"fees": "خدمات=300000", "code": "AMAYESH-21", "provinces": "یزد"}
        r = await post_form(client, f"/staff/campaigns/{new.id}/edit", page, **free)
        assert r.status == 200, await r.text()
        r = await post_form(client, f"/staff/campaigns/{new.id}/edit", page,
                            **(free | {"code": "AMAYESH-19"}))  # fmt: skip
        assert r.status == 400 and "طرح دیگری همین کد را دارد" in await r.text()
        r = await post_form(client, f"/staff/campaigns/{new.id}/edit", page,
                            **(free | {"fees": "خدمات"}))  # fmt: skip
        assert r.status == 400 and "expected NAME=RIALS" in await r.text()
        assert (await client.get("/staff/campaigns/99/edit")).status == 404
    c = await _campaign(rt, "AMAYESH-19")
    assert c.provinces == ["خراسان جنوبی", "یزد"] and c.eligible_rounds == [15, 16, 17, 18]
    assert c.documents[-1] == "دو قطعه عکس" and c.fee_items == old.fee_items
    assert (await _campaign(rt, "AMAYESH-21")).fee_total == 300_000
    edits = await audits(rt, "campaign.edit")
    assert [(a.actor, a.target) for a in edits] == [
        ("web:admin", "campaign:1"),
        ("web:admin", f"campaign:{new.id}"),
    ]
    first, second = edits[0], edits[1]
    assert first.before and first.after and second.after
    assert first.before["title"] == "طرح آمایش ۱۹" and "fee_items" not in first.after
    assert second.after["code"] == "AMAYESH-21"


async def test_code_is_fixed_while_a_broadcast_names_the_campaign(rt: Runtime) -> None:
    await seed_console(rt)
    async with console_client(rt) as client:
        await sign_in(client, rt, "admin", {})
        page = await (await client.get("/staff/campaigns")).text()
        assert (await post_form(client, "/staff/campaigns", page, **NEW)).status == 200
        cid = (await _campaign(rt, "AMAYESH-20")).id
        page = await (await client.get("/staff/broadcasts/new?campaign=AMAYESH-20")).text()
        fields = {"campaign": "AMAYESH-20", "text_fa": "اطلاعیه", "when": "1406/01/01 09:00"}
        pv = await (await post_form(client, "/staff/broadcasts/preview", page, **fields)).text()
        r = await post_form(client, "/staff/broadcasts", pv, token=TOKEN.findall(pv)[0], **fields)
        assert r.status == 303
        page = await (await client.get(f"/staff/campaigns/{cid}/edit")).text()
        assert "۱ پیام همگانی تمام‌نشده" in page
        r = await post_form(client, f"/staff/campaigns/{cid}/edit", page,
                            **(_form(page) | {"code": "AMAYESH-22"}))  # fmt: skip
        assert r.status == 400 and "«کد طرح» این طرح دیگر تغییر نمی‌کند" in await r.text()


async def test_announcement_built_edited_and_sent_once(rt: Runtime) -> None:
    await seed_console(rt)
    async with console_client(rt) as client:
        await sign_in(client, rt, "reviewer", {})
        assert (await client.get("/staff/campaigns/AMAYESH-19/announce")).status == 403
    async with console_client(rt) as client:
        await sign_in(client, rt, "broadcaster", {})
        listing = await (await client.get("/staff/broadcasts")).text()
        assert 'href="/staff/campaigns/1/announce"' in listing
        page = await (await client.get("/staff/campaigns/1/announce")).text()
        assert "اطلاعیه طرح آمایش ۱۹" in page and 'name="campaign" value="AMAYESH-19"' in page
        text_fa = re.search(r'<textarea name="text_fa"[^>]*>([^<]*)<', page)
        assert text_fa is not None
        body = text_fa.group(1)
        assert "۳۰۰,۰۰۰" in body and "2171134756001" in body and "آبان" in body, body
        edited = body + "\nپرسش‌ها: دفتر کفالت شماره ۱"
        fields = {"campaign": "AMAYESH-19", "text_fa": edited, "text_prs": "اعلان دری",
                  "sms_text": "آمایش ۱۹ آغاز شد"}  # fmt: skip
        r = await post_form(client, "/staff/broadcasts/preview", page, **fields)
        pv = await r.text()
        assert r.status == 200 and "طرح (کد): AMAYESH-19" in pv
        token = TOKEN.findall(pv)[0]
        for _ in range(2):  # a double click, or a reload of the preview's post
            r = await post_form(client, "/staff/broadcasts", pv, token=token, **fields)
            assert r.status == 303
        assert csrf_of(await (await client.get(r.headers["Location"])).text())
    async with rt.db.session() as s:
        made = (await s.scalars(select(Broadcast))).all()
    assert len(made) == 1 and made[0].segment == {"campaign": "AMAYESH-19"}
    assert made[0].texts["fa"].endswith("دفتر کفالت شماره ۱")
    assert made[0].created_by == "web:broadcaster"
