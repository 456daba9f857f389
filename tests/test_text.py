"""Persian text normalisation: digits, Arabic letters, ZWNJ, mobiles, masking."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.text import (
    InvalidMobile,
    fold_keyword,
    mask_mobile,
    normalize_digits,
    normalize_id,
    normalize_mobile,
    normalize_text,
)

ZWNJ = "\u200c"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0123456789", "0123456789"),
        ("۰۱۲۳۴۵۶۷۸۹", "0123456789"),  # Persian
        ("٠١٢٣٤٥٦٧٨٩", "0123456789"),  # Arabic-Indic
        ("۱2٣", "123"),  # mixed scripts
        ("کد ۴۵", "کد 45"),
        ("", ""),
    ],
)
def test_normalize_digits(raw: str, expected: str) -> None:
    assert normalize_digits(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("علي", "علی"),  # Arabic yeh U+064A
        ("مصطفى", "مصطفی"),  # alef maksura U+0649
        ("كارت", "کارت"),  # Arabic kaf U+0643
        ("  سلام   دنیا \n", "سلام دنیا"),
        ("سلام\u00a0\u00a0دنیا", "سلام دنیا"),  # NBSP
        ("سلام\t\r\nدنیا", "سلام دنیا"),
        (f"{ZWNJ}لغو{ZWNJ}", "لغو"),  # ZWNJ at the edges goes
        (f"می{ZWNJ}خواهم", f"می{ZWNJ}خواهم"),  # inside a word it stays
        (f"کارت {ZWNJ} آمایش", "کارت آمایش"),  # around whitespace it goes
        (f"کارت{ZWNJ} {ZWNJ}آمایش", "کارت آمایش"),
        ("\u200fکارت\u200e", "کارت"),  # RLM / LRM
        ("\ufeffسلام", "سلام"),  # BOM
        ("\u200d", ""),
        ("شماره ۰۹۱۲", "شماره 0912"),
        ("ABC def", "ABC def"),  # Latin untouched (no casefold here)
        ("نـــام", "نـــام"),  # tatweel is kept by normalize_text
    ],
)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("لغو", f"{ZWNJ}لغو "),
        ("راهنما", f"راه{ZWNJ}نما"),  # ZWNJ inside a keyword is ignored when comparing
        ("HELP", "help"),
        ("STOP", " Stop\u200f"),
        ("كمك", "کمک"),
        ("لغو", "لـغو"),  # tatweel
        ("لغو ۱۱", "لغو 11"),
    ],
)
def test_fold_keyword_equal(a: str, b: str) -> None:
    assert fold_keyword(a) == fold_keyword(b)


def test_fold_keyword_distinct() -> None:
    assert fold_keyword("لغو") != fold_keyword("لغو ۱۱")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("123456789012", "123456789012"),
        ("۱۲۳۴ ۵۶۷۸ ۹۰۱۲", "123456789012"),
        ("1234-5678-9012", "123456789012"),
        ("١٢٣/٤٥", "12345"),
        (f" ab{ZWNJ}12 ", "AB12"),
        ("x–12—3", "X123"),  # en and em dash
    ],
)
def test_normalize_id(raw: str, expected: str) -> None:
    assert normalize_id(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "09121234567",
        "9121234567",
        "+989121234567",
        "00989121234567",
        "989121234567",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "٠٩١٢١٢٣٤٥٦٧",
        "+۹۸۹۱۲۱۲۳۴۵۶۷",
        "0912 123 4567",
        "0912-123-4567",
        "(0912) 123 4567",
        "+98 (912) 123-4567",
        "+98 0912 123 4567",  # people add the trunk 0 after the country code
        f"0912{ZWNJ}123{ZWNJ}4567",
        " 09121234567\u200f ",
        "0912\u00a0123\u00a04567",
    ],
)
def test_normalize_mobile_valid(raw: str) -> None:
    assert normalize_mobile(raw) == "09121234567"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("  - ", "empty"),
        ("0912123456", "too_short"),
        ("912", "too_short"),
        ("091212345678", "too_long"),
        ("+9891212345678", "too_long"),
        ("02112345678", "not_mobile"),  # Tehran landline
        ("2112345678", "not_mobile"),
        ("+982112345678", "not_mobile"),
        ("+93701234567", "not_iranian"),  # Afghanistan
        ("0093701234567", "not_iranian"),
        ("0912abc4567", "bad_characters"),
        ("0912.123.4567", "bad_characters"),
        ("09121234567+", "bad_characters"),
        ("++989121234567", "bad_characters"),
        ("شماره من", "bad_characters"),
    ],
)
def test_normalize_mobile_invalid(raw: str, reason: str) -> None:
    with pytest.raises(InvalidMobile) as info:
        normalize_mobile(raw)
    assert info.value.reason == reason
    assert isinstance(info.value, ValueError)


def test_invalid_mobile_message_does_not_echo_the_number() -> None:
    with pytest.raises(InvalidMobile) as info:
        normalize_mobile("091212345678")
    assert "091212345678" not in str(info.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("09121234567", "0912***4567"),
        ("+989121234567", "0912***4567"),
        ("۰۹۱۲۱۲۳۴۵۶۷", "0912***4567"),
        ("+93701234567", "93***67"),  # junk: only 4 digits shown
        ("091212345678", "09***78"),
        ("12", "***"),
        ("", "***"),
        ("hello", "***"),
        (None, "***"),
        (9121234567, "0912***4567"),
    ],
)
def test_mask_mobile(raw: object, expected: str) -> None:
    assert mask_mobile(raw) == expected


@given(st.text())
def test_normalize_text_total_and_idempotent(s: str) -> None:
    once = normalize_text(s)
    assert normalize_text(once) == once
    assert once == once.strip()
    assert "  " not in once


_noisy_text = st.text(
    alphabet=st.sampled_from(
        list("abc ي ى ك ی ک۰۹٠٩09\u200c\u200d\u200e\u200f\ufeff\u00a0\t\n-+()")
    )
)


@given(_noisy_text)
def test_normalize_text_idempotent_on_persian_noise(s: str) -> None:
    once = normalize_text(s)
    assert normalize_text(once) == once
    assert not set(once) & set("يىك۰۹٠٩\ufeff\u00a0\t\n")


@given(st.text())
def test_normalize_mobile_only_raises_invalid_mobile(s: str) -> None:
    try:
        out = normalize_mobile(s)
    except InvalidMobile as exc:
        assert exc.reason
    else:
        assert len(out) == 11 and out.startswith("09") and out.isdigit()


@given(st.from_regex(r"9[0-9]{9}", fullmatch=True))
def test_mask_never_shows_the_full_number(national: str) -> None:
    masked = mask_mobile("0" + national)
    assert national not in masked and len(masked) == 11
