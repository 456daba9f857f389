"""SMS keywords: the table in both scripts and all three digit sets, who may see what, opt-out."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from handlers.runtime import Runtime
from handlers.sms_parts import MAX_SMS_CHARS, count_segments
from sms.keywords import KEYWORDS, Command, parse, route
from storage.models import Complaint, InboundSms, Outbox, Receipt, Subscription
from tests.sms_support import ALI, GOL, STRANGER, ZAHRA, replies, reply_to, with_demo

DIGIT_SETS = {
    "ascii": str.maketrans("", ""),
    "persian": str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"),
    "arabic": str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"),
}
# (what people type, in ASCII digits) -> the command; every row is tried in every digit set.
TABLE = [
    ("راهنما", Command("HELP")),
    ("HELP", Command("HELP")),
    ("help", Command("HELP")),
    ("وضعیت 100200300", Command("STATUS", ("100200300",))),
    ("STATUS 100200300", Command("STATUS", ("100200300",))),
    ("Status 100 200 300", Command("STATUS", ("100200300",))),
    ("وضعیت", Command("STATUS")),
    ("شرایط 100200300 1360", Command("ELIG", ("100200300", "1360"))),
    ("ELIG 100200300 1360", Command("ELIG", ("100200300", "1360"))),
    ("نوبت", Command("APPT")),
    ("appt", Command("APPT")),
    ("فیش 456789 300000", Command("RECEIPT", ("456789", "300000"))),
    ("RECEIPT 456789 300,000", Command("RECEIPT", ("456789", "300000"))),
    ("شکایت دفتر پول اضافه گرفت 50000", Command("COMPLAINT", ("دفتر پول اضافه گرفت 50000",))),
    ("COMPLAINT agent asked 50000", Command("COMPLAINT", ("agent asked 50000",))),
    ("عضویت", Command("JOIN")),
    ("JOIN", Command("JOIN")),
    ("عضویت خراسان جنوبی", Command("JOIN", ("خراسان جنوبی",))),
    ("لغو", Command("STOP")),
    ("لغو 11", Command("STOP")),
    ("STOP", Command("STOP")),
    ("11", Command("STOP")),
    ("12", Command("START")),
    ("START", Command("START")),
    ("شرایط 100200300", Command("USAGE", ("ELIG",))),
    ("فیش", Command("USAGE", ("RECEIPT",))),
    ("شکایت", Command("USAGE", ("COMPLAINT",))),
    # HELP's own wording, sent literally: placeholders mean "no argument".
    ("وضعیت کارت", Command("STATUS")),
    ("شرایط کارت سال", Command("USAGE", ("ELIG",))),
    ("فیش پیگیری مبلغ", Command("USAGE", ("RECEIPT",))),
    ("شکایت متن", Command("USAGE", ("COMPLAINT",))),
    ("شرایط علی 1360", Command("USAGE", ("ELIG",))),
    ("طرح", Command("CAMPAIGN")),
    ("طرح‌ها", Command("CAMPAIGN")),
    ("سلام", Command("UNKNOWN")),
    ("100200300", Command("UNKNOWN")),
    ("", Command("UNKNOWN")),
]


@pytest.mark.parametrize(("digits", "row"), list(itertools.product(DIGIT_SETS, TABLE)))
def test_keyword_table(digits: str, row: tuple[str, Command]) -> None:
    text, expected = row
    assert parse(text.translate(DIGIT_SETS[digits])) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("وضعيت 100200300", Command("STATUS", ("100200300",))),  # Arabic yeh
        ("شرايط ١٠٠٢٠٠٣٠٠ ١٣٦٠", Command("ELIG", ("100200300", "1360"))),
        ("\u200cوضعیت\u200c  ۱۰۰۲۰۰۳۰۰ ", Command("STATUS", ("100200300",))),  # ZWNJ, spaces
        ("راهنما\u200c", Command("HELP")),
        ("  sTaTuS\u00a0100200300", Command("STATUS", ("100200300",))),  # NBSP
        ("وضعیت۱۰۰۲۰۰۳۰۰", Command("STATUS", ("100200300",))),  # typed together
        ("لغو۱۱", Command("STOP")),
        ("وضعیت: 100-200-300", Command("STATUS", ("100200300",))),
        ("فیش ۴۵۶۷۸۹ ۳۰۰٬۰۰۰", Command("RECEIPT", ("456789", "300000"))),
    ],
)
def test_normalisation(text: str, expected: Command) -> None:
    assert parse(text) == expected


def test_every_keyword_has_persian_and_latin() -> None:
    for kw in KEYWORDS:
        scripts = {"latin" if w.isascii() else "persian" for w in kw.words if not w.isdigit()}
        assert "latin" in scripts, kw.name
        assert kw.name == "START" or "persian" in scripts, kw.name


@given(st.text())
def test_parse_never_raises(text: str) -> None:
    cmd = parse(text)
    assert cmd.name in {k.name for k in KEYWORDS} | {"USAGE", "UNKNOWN"}


# --- through the router, on demo data ---------------------------------------------------------
async def say(rt: Runtime, mobile: str, text: str) -> str:
    say.n += 1  # type: ignore[attr-defined]
    mid = f"kw-{say.n}"  # type: ignore[attr-defined]
    await route(rt, mobile, text, mid)
    reply = await reply_to(rt, mid)
    assert reply is not None
    return reply


say.n = 0  # type: ignore[attr-defined]


@pytest.fixture
async def demo(rt: Runtime) -> Runtime:
    return await with_demo(rt)


@pytest.mark.parametrize("digits", list(DIGIT_SETS))
async def test_status_in_every_digit_set(demo: Runtime, digits: str) -> None:
    reply = await say(demo, ALI, "وضعیت 100200300".translate(DIGIT_SETS[digits]))
    assert demo.t("prs", "status.labels.awaiting_payment") in reply
    assert reply == (await say(demo, ALI, "STATUS 100200300".translate(DIGIT_SETS[digits])))


ROUTED = [
    "راهنما", "HELP", "وضعیت 100200300", "STATUS 100200300", "شرایط 100200300 1360",
    "ELIG 100200300 1360", "نوبت", "APPT", "فیش 456789 300000", "RECEIPT 456789 300000",
    "شکایت دفتر 50000 گرفت", "COMPLAINT office took 50000", "عضویت", "JOIN", "لغو", "STOP",
    "11", "12", "START",
]  # fmt: skip


@pytest.mark.parametrize(("digits", "text"), list(itertools.product(DIGIT_SETS, ROUTED)))
async def test_every_keyword_reaches_its_feature(demo: Runtime, digits: str, text: str) -> None:
    reply = await say(demo, ALI, text.translate(DIGIT_SETS[digits]))
    failures = {demo.t("prs", k) for k in ("sms.error", "sms.unknown", "sms.not_yours")}
    assert reply not in failures
    assert demo.t("prs", "common.link_first") not in reply


async def test_help_and_unknown_are_never_silence(demo: Runtime) -> None:
    assert await say(demo, ZAHRA, "راهنما") == demo.t("fa", "sms.help")
    assert await say(demo, ZAHRA, "HELP") == demo.t("fa", "sms.help")
    assert await say(demo, ALI, "salam") == demo.t("prs", "sms.unknown")  # Ali reads Dari
    assert await say(demo, STRANGER, "") == demo.t("fa", "sms.unknown")
    assert await say(demo, GOL, "شرایط ۱۲۳") == demo.t("ps", "sms.usage.elig")


async def test_personal_data_only_to_the_registry_mobile(demo: Runtime) -> None:
    refusal = demo.t("fa", "sms.not_yours")
    for text in ("وضعیت 100200300", "ELIG 100200300 1360", "وضعیت 100200301"):
        assert await say(demo, STRANGER, text) == refusal
        assert await say(demo, ZAHRA, text) == refusal  # another household's head
    assert await say(demo, STRANGER, "وضعیت 999999999") == refusal  # no hint it does not exist
    assert await say(demo, STRANGER, "وضعیت") == demo.t("fa", "sms.need_card")
    assert await say(demo, STRANGER, "نوبت") == demo.t("fa", "sms.not_linked")
    assert await say(demo, STRANGER, "فیش 456789 300000") == demo.t("fa", "sms.not_linked")


async def test_head_sees_a_household_member(demo: Runtime) -> None:
    reply = await say(demo, ALI, "وضعیت ۱۰۰۲۰۰۳۰۱")  # Fatemeh, no mobile of her own
    assert "فاطمه" in reply
    assert await say(demo, GOL, "وضعیت ۱۰۰۲۰۰۳۰۱") == demo.t("ps", "sms.not_yours")


async def test_eligibility_appointment_receipt_complaint(demo: Runtime) -> None:
    assert await say(demo, ALI, "شرایط ۱۰۰۲۰۰۳۰۰ ۱۳۶۰") != demo.t("prs", "sms.not_yours")
    assert "دفتر کفالت شماره ۱" in await say(demo, ALI, "نوبت")
    receipt_reply = await say(demo, ALI, "فیش ۴۵۶۷۸۹ ۳۰۰۰۰۰")
    complaint_reply = await say(demo, STRANGER, "شکایت دفتر پول اضافه خواست")
    async with demo.db.session() as s:
        receipt = await s.scalar(select(Receipt))
        complaint = await s.scalar(select(Complaint))
    assert receipt is not None and receipt.bank_tracking == "456789"
    assert receipt.amount_rials == 300_000 and receipt.code in receipt_reply
    assert complaint is not None and complaint.code in complaint_reply
    assert complaint.address == STRANGER and complaint.channel == "sms"


async def sms_subscribed(rt: Runtime, mobile: str) -> bool | None:
    async with rt.db.session() as s:
        return await s.scalar(
            select(Subscription.subscribed).where(
                Subscription.channel == "sms", Subscription.address == mobile
            )
        )


@pytest.mark.parametrize(("stop", "start"), [("11", "12"), ("لغو", "START"), ("STOP", "12")])
async def test_opt_out_round_trip(demo: Runtime, stop: str, start: str) -> None:
    await say(demo, ZAHRA, "عضویت")
    assert await sms_subscribed(demo, ZAHRA) is True
    stopped = await say(demo, ZAHRA, stop)
    assert stopped == demo.t("fa", "sms.reply.stopped") and "۱۲" in stopped  # how to restart
    assert await sms_subscribed(demo, ZAHRA) is False
    await say(demo, ZAHRA, start.translate(DIGIT_SETS["persian"]))
    assert await sms_subscribed(demo, ZAHRA) is True


async def test_reply_row(demo: Runtime) -> None:
    await route(demo, "+98 915 123 4567", "راهنما", "row-1")
    (row,) = await replies(demo)
    assert (row.key, row.kind, row.channel, row.address) == ("sms-in:row-1", "reply", "sms", ALI)
    assert row.lang == "prs" and row.urgent and row.national_id is not None
    parts = count_segments(row.text)
    assert parts.encoding == "ucs2" and parts.parts == 2  # HELP: every keyword, in two parts


async def test_every_sms_catalog_text_fits_two_parts(rt: Runtime) -> None:
    # Filled in, each answer is checked by tests/test_sms_parts.py's table.
    for lang in ("fa", "prs", "ps", "en"):
        for key, _ in rt.catalog.messages[lang].items():
            if key.startswith("sms."):
                assert count_segments(rt.t(lang, key)).parts <= 2, (lang, key)


async def test_a_failing_feature_still_gets_an_answer(
    demo: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sms import keywords

    async def broken(ctx, args):  # type: ignore[no-untyped-def]
        ctx.session.add(Complaint(code="X", channel="sms", address="x", text="x", due_at=ctx.now))
        raise RuntimeError("boom")

    monkeypatch.setitem(keywords.ACTIONS, "APPT", broken)
    assert await say(demo, ALI, "نوبت") == demo.t("prs", "sms.error")
    async with demo.db.session() as s:
        assert await s.scalar(select(Complaint)) is None  # its half-done change was undone
        assert await s.scalar(select(InboundSms.text)) == "نوبت"


KEYWORD_WORDS = [w for k in KEYWORDS for w in k.words]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    text=st.one_of(
        st.text(),
        st.text(min_size=900, max_size=5000),
        st.builds(lambda k, t: f"{k} {t}", st.sampled_from(KEYWORD_WORDS), st.text()),
    )
)
async def test_router_never_fails(demo: Runtime, text: str) -> None:
    say.n += 1  # type: ignore[attr-defined]
    mid = f"hyp-{say.n}"  # type: ignore[attr-defined]
    await route(demo, ZAHRA, text, mid)
    reply = await reply_to(demo, mid)
    assert reply and len(reply) <= MAX_SMS_CHARS
    async with demo.db.session() as s:
        row = await s.scalar(select(Outbox).where(Outbox.key == f"sms-in:{mid}"))
    assert row is not None and row.address == ZAHRA


@pytest.mark.parametrize("lang", ["fa", "prs", "ps", "en"])
def test_help_names_every_keyword(lang: str) -> None:
    """HELP is the SMS user's only menu: a keyword it leaves out is one nobody finds."""
    from handlers.i18n import Catalog
    from storage.text import normalize_digits

    help_text = normalize_digits(Catalog().t(lang, "sms.help")).casefold()
    missing = [
        kw.name
        for kw in KEYWORDS
        if kw.name != "HELP" and not any(w.casefold() in help_text for w in kw.words)
    ]
    assert missing == []
