"""SMS part counting at the GSM-7 and UCS-2 boundaries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.sms_parts import (
    GSM7_BASIC,
    GSM7_EXT,
    MAX_SMS_CHARS,
    Segments,
    count_segments,
    fit_sms,
)

FA = "س"  # any Persian letter forces UCS-2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Segments("gsm7", 0, 0)),
        ("a", Segments("gsm7", 1, 1)),
        ("a" * 160, Segments("gsm7", 160, 1)),
        ("a" * 161, Segments("gsm7", 161, 2)),
        ("a" * 306, Segments("gsm7", 306, 2)),
        ("a" * 307, Segments("gsm7", 307, 3)),
        ("a" * 459, Segments("gsm7", 459, 3)),
        ("a" * 460, Segments("gsm7", 460, 4)),
        (FA, Segments("ucs2", 1, 1)),
        (FA * 70, Segments("ucs2", 70, 1)),
        (FA * 71, Segments("ucs2", 71, 2)),
        (FA * 134, Segments("ucs2", 134, 2)),
        (FA * 135, Segments("ucs2", 135, 3)),
        (FA * 201, Segments("ucs2", 201, 3)),
        (FA * 202, Segments("ucs2", 202, 4)),
        ("a" * 69 + FA, Segments("ucs2", 70, 1)),  # one Persian letter switches the whole text
    ],
)
def test_boundaries(text: str, expected: Segments) -> None:
    assert count_segments(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{", Segments("gsm7", 2, 1)),
        ("€" * 80, Segments("gsm7", 160, 1)),
        ("a" * 159 + "[", Segments("gsm7", 161, 2)),
        ("a" * 158 + "]", Segments("gsm7", 160, 1)),
        ("^{}\\[~]|€\x0c", Segments("gsm7", 20, 1)),
        # 152 septets then an ESC pair: the pair may not straddle parts, so it opens part 2.
        ("a" * 152 + "{" + "a" * 152, Segments("gsm7", 306, 3)),
        ("a" * 151 + "{" + "a" * 154, Segments("gsm7", 307, 3)),
        ("a" * 151 + "{" + "a" * 153, Segments("gsm7", 306, 2)),
    ],
)
def test_extension_chars(text: str, expected: Segments) -> None:
    assert count_segments(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("😀", Segments("ucs2", 2, 1)),  # outside the BMP: a surrogate pair
        ("😀" * 35, Segments("ucs2", 70, 1)),
        ("😀" * 36, Segments("ucs2", 72, 2)),
        # 66 units then a pair: the pair moves to part 2 (67 + 67 = 134 would not suffice).
        (FA * 66 + "😀" + FA * 66, Segments("ucs2", 134, 3)),
        ("`", Segments("ucs2", 1, 1)),  # backtick is not in GSM 03.38
        ("ç", Segments("ucs2", 1, 1)),  # only capital Ç is
    ],
)
def test_ucs2_specials(text: str, expected: Segments) -> None:
    assert count_segments(text) == expected


def test_alphabet_tables() -> None:
    assert len(GSM7_BASIC) == 127  # 128 codes minus ESC
    assert len(GSM7_EXT) == 10
    assert not GSM7_BASIC & GSM7_EXT
    assert "\x1b" not in GSM7_BASIC
    assert {"@", "£", "Δ", "\n", "à", " "} <= GSM7_BASIC


def test_fit_sms() -> None:
    assert MAX_SMS_CHARS == 900
    short = FA * 900
    assert fit_sms(short) is short
    long = FA * 901
    fitted = fit_sms(long)
    assert len(fitted) == 900 and fitted.endswith("…")
    assert fit_sms("سلام دنیا عزیز", max_chars=6) == "سلام…"  # trailing space trimmed
    with pytest.raises(ValueError):
        fit_sms("x", max_chars=0)


@given(st.text(), st.integers(min_value=1, max_value=1000))
def test_fit_sms_never_exceeds(text: str, limit: int) -> None:
    out = fit_sms(text, limit)
    assert len(out) <= limit
    assert out == text or out.endswith("…")


@given(st.text())
def test_parts_consistent(text: str) -> None:
    seg = count_segments(text)
    single, per = (160, 153) if seg.encoding == "gsm7" else (70, 67)
    if seg.units == 0:
        assert seg.parts == 0
    elif seg.units <= single:
        assert seg.parts == 1
    else:
        # never fewer than the naive count, at most one extra part per indivisible straddle
        assert -(-seg.units // per) <= seg.parts <= seg.units // (per - 1) + 1
