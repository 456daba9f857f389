"""Persian text normalisation shared by every channel.

Users type on Persian, Arabic and Latin keyboards (and paste from everywhere), so the same word
or number arrives in several byte forms. Everything that compares, stores or looks up user input
goes through these functions first. NFKC does not fold any of these (docs/text.md).

It lives in storage/, the bottom layer (pyproject.toml's import-linter contract), because every
layer needs it: storage compares campaign provinces with `fold_keyword`, the features normalise
what nationals and staff type, the channel adapters read keywords. It imports nothing.
"""

from __future__ import annotations

ZWNJ = "\u200c"
ZWJ = "\u200d"
TATWEEL = "\u0640"

# Persian ۰-۹ (U+06F0..) and Arabic-Indic ٠-٩ (U+0660..) → ASCII. Built once: str.translate is
# the fastest way to do per-character mapping in CPython.
_DIGITS = {
    cp: ord("0") + i for base in (0x06F0, 0x0660) for i, cp in enumerate(range(base, base + 10))
}
_DIGIT_TABLE: dict[int, int | None] = dict(_DIGITS)

_TEXT_TABLE: dict[int, int | None] = {
    **_DIGITS,
    0x064A: 0x06CC,  # Arabic yeh ي → Persian yeh ی
    0x0649: 0x06CC,  # alef maksura ى → ی
    0x0643: 0x06A9,  # Arabic kaf ك → keheh ک
    0xFEFF: None,  # BOM / zero-width no-break space: never meaningful inside user text
    0x0000: None,  # NUL: nobody types it, and PostgreSQL text cannot store it
}

# Invisible formatting characters that are noise at the edges of words. ZWNJ/ZWJ are kept inside
# a word (they are spelling in Persian: «می‌خواهم»), only trimmed where they touch a boundary.
_INVISIBLE = (
    "\u200b\u200c\u200d\u200e\u200f\u061c\u2066\u2067\u2068\u2069\u202a\u202b\u202c\u202d\u202e"
)

_FOLD_TABLE: dict[int, int | None] = {ord(ZWNJ): None, ord(ZWJ): None, ord(TATWEEL): None}

# Characters people put inside identifiers and phone numbers as visual separators.
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u06d4"
_ID_DROP: dict[int, int | None] = {
    **{ord(c): None for c in _DASHES + _INVISIBLE + "/\\\u2044\ufeff\x00"},
}
_MOBILE_DROP: dict[int, int | None] = {
    **{ord(c): None for c in _DASHES + _INVISIBLE + "()\ufeff\x00"},
}


def normalize_digits(s: str) -> str:
    """Persian and Arabic-Indic digits → ASCII; everything else untouched."""
    return s.translate(_DIGIT_TABLE)


def normalize_text(s: str) -> str:
    """Canonical form of free text: ASCII digits, Persian ی/ک, single spaces, no edge junk.

    str.split() (no argument) splits on every Unicode whitespace, NBSP included, so splitting and
    re-joining collapses runs; each word is then trimmed of invisible marks at its edges. This is
    linear and idempotent, unlike a regex with nested optional classes.
    """
    words = (w.strip(_INVISIBLE) for w in s.translate(_TEXT_TABLE).split())
    return " ".join(w for w in words if w)


def fold_keyword(s: str) -> str:
    """Key for comparing keywords («لغو», «راهنما»): ZWNJ, ZWJ and tatweel ignored, casefolded."""
    return normalize_text(s).translate(_FOLD_TABLE).casefold()


def normalize_id(s: str) -> str:
    """Canonical card / household number / unique code: ASCII digits, no separators, Latin upper.

    These numbers have no public format (docs/text.md), so only presentation noise is removed:
    whitespace, dashes, slashes and invisible marks. Letters are kept.
    """
    return "".join(normalize_text(s).translate(_ID_DROP).split()).upper()


class InvalidMobile(ValueError):
    """Raised by normalize_mobile; .reason is a short machine-readable English code."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid mobile number: {reason}")
        self.reason = reason


def normalize_mobile(s: str) -> str:
    """Return an Iranian mobile number as ``09xxxxxxxxx``.

    Accepts 09…, 9…, +989…, 00989…, 989… with Persian/Arabic digits and spaces, dashes,
    parentheses or invisible marks in between. Reasons: empty, bad_characters, not_iranian,
    too_short, too_long, not_mobile. The number itself never goes into the exception text.
    """
    if not isinstance(s, str):
        raise InvalidMobile("bad_characters")
    compact = "".join(normalize_digits(s).translate(_MOBILE_DROP).split())
    if not compact:
        raise InvalidMobile("empty")
    plus = compact.startswith("+")
    digits = compact[1:] if plus else compact
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidMobile("bad_characters")
    if plus or digits.startswith("00"):
        country = digits if plus else digits[2:]
        if not country.startswith("98"):
            raise InvalidMobile("not_iranian")  # e.g. an Afghan +93 number
        national = country[2:]
    elif digits.startswith("98") and len(digits) == 12:
        national = digits[2:]
    else:
        national = digits
    if national.startswith("0"):  # 09…, and "+98 0912…" which people often type
        national = national[1:]
    if len(national) < 10:
        raise InvalidMobile("too_short")
    if len(national) > 10:
        raise InvalidMobile("too_long")
    if not national.startswith("9"):
        raise InvalidMobile("not_mobile")  # a landline such as 021…
    return "0" + national


def mask_mobile(m: object) -> str:
    """``09121234567`` → ``0912***4567`` for logs; junk input never comes back whole."""
    text = str(m)
    try:
        canonical = normalize_mobile(text)
    except InvalidMobile:
        digits = "".join(c for c in normalize_digits(text) if c.isascii() and c.isdigit())
        # Unknown shape: reveal at most 4 digits so even a long junk number is not recoverable.
        return f"{digits[:2]}***{digits[-2:]}" if len(digits) >= 8 else "***"
    return f"{canonical[:4]}***{canonical[-4:]}"
