"""Issue 10 fixes in the staff chat and on the national's screen, over the fake Bot API: /exempt
and /identity, the status screen that shows them, the complaints queue paged past 20 with its
photos, and a second /answer that reaches the national. Seeded by the demo (amayesh demo)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.runtime import Runtime
from sms.keywords import route
from storage import admin
from storage.models import Outbox
from tests.bot_kit import Chat, datas, png
from tests.sms_support import ALI as ALI_MOBILE
from tests.sms_support import GOL as GOL_MOBILE
from tests.staff_seed import ADMIN, REVIEWER


@pytest.fixture
async def brt(brt: Runtime) -> Runtime:
    async with brt.db.session() as s:
        for tid, role in ((ADMIN, "admin"), (REVIEWER, "reviewer")):
            await admin.add_staff(s, "test", tid, role)
    return brt


async def notices(rt: Runtime, like: str) -> list[Outbox]:
    async with rt.db.session() as s:
        return list(
            await s.scalars(select(Outbox).where(Outbox.key.like(like)).order_by(Outbox.id))
        )


async def test_exempt_and_identity_from_the_staff_chat_show_on_the_status_screen(botapi, bot, brt):
    staff = Chat(botapi, REVIEWER)
    assert "/exempt" in (await staff.say("/exempt 100200300")).text
    done = await staff.say("/exempt 100200300 welfare BH-12/۳ الف")
    assert "معاف" in done.text
    assert "احراز هویت" in (await staff.say("/identity ۱۰۰ ۲۰۰ ۳۰۰")).text
    [exempted] = [n for n in await notices(brt, "status:%") if "معاف" in n.text]
    assert len(await notices(brt, "status:%")) == 1 and exempted  # one notice, not two
    ali = Chat(botapi, 4401)
    await ali.link_by_contact()
    await ali.press("lang:fa")
    screen = await ali.press("menu:status", contains="وضعیت")
    for part in ("سازمان بهزیستی", "BH-12/3 الف", "احراز هویت: انجام شده"):
        assert part in screen.text, screen.text


async def test_complaints_page_past_20_with_the_photo_and_a_second_answer(botapi, bot, brt):
    for i in range(10):
        await route(brt, ALI_MOBILE, f"شکایت شماره {i} از دفتر", f"a-{i}")
        await route(brt, GOL_MOBILE, f"شکایت دیگر {i} از دفتر", f"g-{i}")
    someone = Chat(botapi, 4402)
    await someone.say("/start")
    await someone.press("lang:fa")
    await someone.press("menu:complaint")
    await someone.press("cmp:new")
    await someone.say("مامور پول خواست")
    filed = await someone.photo(png(noise=b"receipt of the bribe"), contains="C-1405-")
    code = filed.text.split("C-", 1)[1].split()[0].rstrip(".،")
    staff = Chat(botapi, REVIEWER)
    first = await staff.say("/complaints")
    assert "C-1405-000020" in first.text and "C-1405-000021" not in first.text
    assert first.text.count(" — ") == 20 and datas(first) == ["cq:more:20"]
    second = await staff.press("cq:more:20")
    assert f"C-{code}" in second.text and not datas(second)
    photo = await staff.next()
    assert photo.method == "sendPhoto" and photo.caption == f"C-{code}"
    assert photo.file_bytes == png(noise=b"receipt of the bribe")
    for text in ("پیگیری می‌شود", "مامور برکنار شد"):
        assert "C-1405-000001" in (await staff.say(f"/answer C-1405-000001 {text}")).text
    sent = await notices(brt, "complaint:%")
    assert ["برکنار" in m.text for m in sent] == [False, True]
    assert all(m.address == ALI_MOBILE for m in sent)
