"""Issue 3, items 1-2 through the real Application: start, language, commands, linking."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Activity, Contact, Conversation, Outbox, Subscription
from tests.bot_kit import (
    ALI,
    ALI_MOBILE,
    ALI_YEAR,
    Chat,
    datas,
    national_id,
)


async def test_start_greets_in_persian_and_remembers_the_language(botapi, bot, brt):
    chat = Chat(botapi, 501)
    hello = await chat.say("/start")
    assert "خوش آمدید" in hello.text and "أهلاً" not in hello.text  # one language on a screen
    assert datas(hello) == ["lang:fa", "lang:prs", "lang:ps", "lang:en"]
    assert hello.parse_mode is None  # nothing a user types can turn into markup
    menu = await chat.press("lang:en")
    assert "Your language is saved" in menu.text
    assert "link:start" in datas(menu) and "menu:receipt" in datas(menu)
    async with brt.db.session() as s:
        conv = await s.scalar(select(Conversation).where(Conversation.chat_id == "501"))
    assert conv is not None and conv.lang == "en"
    again = await chat.say("/menu")
    assert "menu:campaigns" in datas(again)
    assert (await chat.say("/help")).text.startswith("Use the buttons")


async def test_commands_work_at_any_step_and_cancel_returns_to_menu(botapi, bot):
    chat = Chat(botapi, 502)
    await chat.say("/start")
    asked = await chat.press("link:start")
    assert "کارت آمایش" in asked.text
    helped = await chat.say("/help")
    assert "/cancel" in helped.text
    lang = await chat.say("/language")
    assert datas(lang) == ["lang:fa", "lang:prs", "lang:ps", "lang:en"]
    await chat.press("link:start")
    cancelled = await chat.say("/cancel")
    assert cancelled.text.startswith("لغو شد") and "menu:status" in datas(cancelled)
    # Typing the card now is unexpected at the menu: a hint, not silence.
    hint = await chat.say(ALI)
    assert "متوجه نشدم" in hint.text
    odd = await chat.say("/frobnicate")
    assert "متوجه نشدم" in odd.text


async def test_link_with_own_contact_shows_the_household(botapi, bot, brt):
    chat = Chat(botapi, 503)
    await chat.press("link:start")
    await chat.say("۱۰۰ ۲۰۰ ۳۰۰")  # Persian digits and spaces are fine
    share = await chat.say("١٣٦٠")  # so are Arabic-Indic digits
    keyboard = share.reply_markup or {}
    assert keyboard["keyboard"][0][0]["request_contact"] is True
    offer = await chat.next()
    assert "link:otp" in datas(offer)
    # Someone else's contact card is refused, even with the right number.
    botapi.push(botapi.contact_update(503, ALI_MOBILE, contact_user_id=999))
    assert "فقط شماره خودتان" in (await chat.next()).text
    botapi.push(botapi.contact_update(503, "+98 915 123 4567", contact_user_id=503))
    done = await chat.next("✅")
    assert "علی احمدی" in done.text and "فاطمه" in done.text and "حسین" in done.text
    menu = await chat.next()
    assert "link:start" not in datas(menu)
    ali = await national_id(brt, ALI)
    async with brt.db.session() as s:
        contacts = {(c.channel, c.address) for c in await s.scalars(select(Contact))}
        links = await s.scalars(select(Activity).where(Activity.kind == "link"))
        subs = list(await s.scalars(select(Subscription)))
    assert ("telegram", "503") in contacts and ("sms", ALI_MOBILE) in contacts
    assert [a.national_id for a in links] == [ali]
    assert subs, "linking subscribes the chat to announcements"


async def test_link_with_sms_code(botapi, bot, brt):
    chat = Chat(botapi, 504)
    await chat.press("link:start")
    await chat.say(ALI)
    await chat.say(ALI_YEAR)
    await chat.next()
    sent = await chat.press("link:otp")
    assert "۰۹۱۵***۴۵۶۷" in sent.text  # Persian digits in a Persian text
    async with brt.db.session() as s:
        otp = await s.scalar(select(Outbox).where(Outbox.kind == "otp"))
    assert otp is not None and otp.address == ALI_MOBILE
    code = otp.payload["token"]
    wrong = "000000" if code != "000000" else "111111"
    assert "نادرست" in (await chat.say(wrong)).text
    persian = code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert "✅" in (await chat.say(persian)).text


async def test_wrong_card_or_year_never_says_which_then_cools_down(botapi, bot):
    chat = Chat(botapi, 505)
    await chat.press("link:start")
    await chat.say(ALI)
    wrong_year = await chat.say("1361")
    await chat.say("999999999")
    wrong_card = await chat.say(ALI_YEAR)
    assert wrong_year.text == wrong_card.text  # same words whichever part was wrong
    for _ in range(3):
        await chat.say("999999999")
        last = await chat.say("1360")
    assert "۱۵ دقیقه" in last.text
    refused = await chat.press("link:start")
    assert "۱۵ دقیقه" in refused.text


async def test_unlinked_chat_sees_no_personal_data(botapi, bot):
    chat = Chat(botapi, 506)
    for item in ("menu:status", "menu:receipt", "menu:appts"):
        reply = await chat.press(item)
        assert "اول کارت آمایش خود را وصل کنید" in reply.text
        assert "link:start" in datas(reply)
