"""Every SMS keyword answer in every language fits two UCS-2 parts, most of them one: a table of
what people send, answered on the demo data, printed with its parts (pytest -s shows it)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from handlers.language import OFFERED
from handlers.runtime import Runtime
from handlers.sms_parts import count_segments
from sms.keywords import _answer, _ctx, sms_text
from tests.sms_support import ALI, GOL, STRANGER, ZAHRA, with_demo

# (what it is, who sends it, the text). In order: the receipt rows build on each other.
CASES = [
    ("HELP", ALI, "راهنما"),
    ("UNKNOWN", ALI, "سلام"),
    ("USAGE elig", ALI, "شرایط"),
    ("USAGE receipt", ALI, "فیش"),
    ("USAGE complaint", ALI, "شکایت"),
    ("HELP's words: status", ALI, "وضعیت کارت"),
    ("HELP's words: elig", ALI, "شرایط کارت سال"),
    ("HELP's words: receipt", ALI, "فیش پیگیری مبلغ"),
    ("HELP's words: complaint", ALI, "شکایت متن"),
    ("STATUS own", ALI, "وضعیت"),
    ("STATUS member", ALI, "وضعیت 100200301"),
    ("STATUS not yours", STRANGER, "وضعیت 100200300"),
    ("STATUS no card", STRANGER, "وضعیت"),
    ("ELIG yes", ALI, "شرایط 100200300 1360"),
    ("ELIG no", ZAHRA, "شرایط 300400500 1370"),
    ("ELIG not found", ALI, "شرایط 100200300 1300"),
    ("CAMPAIGN", STRANGER, "طرح"),
    ("RECEIPT not linked", STRANGER, "فیش 456789 300000"),
    ("RECEIPT wrong amount", ALI, "فیش 456789 250000"),
    ("RECEIPT bare amount", ALI, "۳۰۰۰۰۰"),
    ("RECEIPT again", ALI, "فیش 456789 300000"),
    ("COMPLAINT", STRANGER, "شکایت دفتر پول اضافه خواست"),
    ("JOIN", STRANGER, "عضویت"),
    ("JOIN province", STRANGER, "عضویت خراسان جنوبی"),
    ("JOIN unknown province", STRANGER, "عضویت مریخ"),
    ("STOP", STRANGER, "لغو"),
    ("START", STRANGER, "12"),
    # The renewal case by SMS (issue 10's texts, here in every language too).
    ("USAGE renew", STRANGER, "تمدید"),
    ("RENEW by card", STRANGER, "تمدید 100200301 1365"),  # Fatemeh, of Ali's household
    ("RENEW household", ALI, "تمدید"),  # Ali's case exists: Hossein's opens
    ("RENEW again", ALI, "تمدید"),
    ("RENEW", GOL, "تمدید"),
    ("RENEW not eligible", ZAHRA, "تمدید"),  # an older card round
]


async def answers(rt: Runtime, lang: str) -> list[tuple[str, str]]:
    """Each case's SMS in `lang`, in one transaction rolled back at the end."""
    out = []
    async with rt.db.sessions() as session, session.begin() as tx:
        for name, mobile, text in [*CASES, ("APPT", ALI, "نوبت")]:
            ctx = replace(await _ctx(rt, session, mobile), lang=lang)
            out.append((name, sms_text(await _answer(ctx, text))))
        await tx.rollback()
    return out


@pytest.mark.parametrize("lang", OFFERED)
async def test_every_keyword_answer_fits_two_parts_and_most_one(rt: Runtime, lang: str) -> None:
    demo = await with_demo(rt)
    rows = await answers(demo, lang)
    print(f"\n--- {lang}")
    ones = 0
    for name, text in rows:
        seg = count_segments(text)
        print(f"{name:26} {seg.encoding} {seg.units:4} units {seg.parts} part(s) | {text!r}")
        assert seg.parts <= 2, (name, text)
        ones += seg.parts == 1
    assert ones > len(rows) * 0.6, f"{ones} of {len(rows)} in one part"
    said = dict(rows)
    assert said["RECEIPT bare amount"].startswith(("✅", "Slip recorded", "فیش ثبت"))
    assert "R-" in said["RECEIPT again"]  # "already recorded as R-…"
    assert said["HELP's words: status"] == said["STATUS own"]
    assert ("RENEW" if lang == "en" else "تمدید") in said["HELP"]  # every keyword is named
    for name in ("elig", "receipt", "complaint"):
        assert said[f"HELP's words: {name}"] == said[f"USAGE {name}"]
    assert all("لغو" not in text for name, text in rows if name not in ("HELP",))
