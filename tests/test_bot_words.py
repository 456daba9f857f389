"""Issue 12's dead ends and first screen, as transcripts through the real Application."""

from __future__ import annotations

from tests.bot_kit import ALI, ALI_YEAR, Chat, datas


async def _at_share_step(chat: Chat) -> None:
    await chat.press("link:start")
    await chat.say(ALI)
    share = await chat.say(ALI_YEAR)
    assert (share.reply_markup or {})["keyboard"][0][0]["request_contact"] is True
    await chat.next()  # the SMS-code alternative


async def test_start_greets_in_the_apps_language_with_the_choice_below(botapi, bot):
    botapi.push(botapi.text_update(901, "/start", language_code="ps"))
    hello = await Chat(botapi, 901).next()
    assert hello.text.startswith("سلام! د بهرنیو اتباعو") and "خپله ژبه وټاکئ" in hello.text
    assert "خوش آمدید" not in hello.text  # one language on the screen
    assert datas(hello) == ["lang:fa", "lang:prs", "lang:ps", "lang:en"]
    botapi.push(botapi.text_update(902, "/start", language_code="en-US"))
    assert (await Chat(botapi, 902).next()).text.startswith("Hello! Welcome")
    botapi.push(botapi.text_update(903, "/start", language_code="ru"))
    assert "خوش آمدید" in (await Chat(botapi, 903).next()).text  # not offered: Persian


async def test_dari_chosen_at_start_shows_afghan_months_and_keeps_labels(botapi, bot):
    chat = Chat(botapi, 904)
    await chat.say("/start")
    menu = await chat.press("lang:prs")
    labels = [b["text"] for row in menu.reply_markup["inline_keyboard"] for b in row]
    assert "ارسال فیش" in labels and "خبرها" in labels and "آیا مشمولم؟" in labels
    campaigns = await chat.press("menu:campaigns")
    assert "قوس/آذر" in campaigns.text or "عقرب/آبان" in campaigns.text
    linked = await chat.link_by_contact()
    after = [b["text"] for row in linked.reply_markup["inline_keyboard"] for b in row]
    assert labels[1:] == after  # the same buttons after linking (minus «link my card»)


async def test_cancel_at_the_share_contact_step_removes_its_keyboard(botapi, bot):
    chat = Chat(botapi, 905)
    await _at_share_step(chat)
    closed = await chat.say("/cancel")
    assert closed.text == "لغو شد." and closed.reply_markup == {"remove_keyboard": True}
    menu = await chat.next()
    assert "menu:status" in datas(menu) and not menu.text.startswith("لغو شد")


async def test_back_to_menu_at_the_share_contact_step_removes_its_keyboard(botapi, bot):
    chat = Chat(botapi, 906)
    await _at_share_step(chat)
    closed = await chat.press("menu:home")
    assert closed.reply_markup == {"remove_keyboard": True}
    assert "menu:campaigns" in datas(await chat.next())
    # Another menu button pressed on an older message takes the keyboard away too.
    await _at_share_step(chat)
    assert (await chat.press("menu:services")).reply_markup == {"remove_keyboard": True}
    assert "svc:1" in datas(await chat.next())


async def test_a_replayed_or_stale_button_says_so_and_shows_the_menu(botapi, bot):
    chat = Chat(botapi, 907)
    await chat.say("/start")
    await chat.press("lang:fa")
    replayed = await chat.press("slip:confirm")  # a slip confirmed already, pressed again
    assert replayed.text.startswith("این دکمه دیگر کار نمی‌کند")
    assert "مشکلی پیش آمد" not in replayed.text and "menu:receipt" in datas(replayed)
    gone = await chat.press("lang:ar")  # a language no longer offered
    assert gone.text.startswith("این دکمه دیگر کار نمی‌کند")
    # Mid-flow, a stale button keeps what was typed and offers the way back.
    await chat.press("link:start")
    await chat.say(ALI)
    stale = await chat.press("cmp:skip")
    assert stale.text.startswith("این دکمه دیگر کار نمی‌کند") and datas(stale) == ["menu:home"]
    share = await chat.say(ALI_YEAR)
    assert "موبایل" in share.text  # still at the birth-year question
