"""How many SMS parts a text costs.

Operators bill per part, so campaign cost estimates and the "keep it to one SMS" checks need the
same arithmetic the handset uses: GSM 03.38 7-bit when every character is in the default alphabet
(160 septets single, 153 per part of a concatenated message, extension characters take two
septets), otherwise UCS-2 (70 UTF-16 code units single, 67 per part). Any Persian letter forces
UCS-2.

What one SMS and one Kavenegar call may carry lives here too. The features (handlers/) need
these figures for previews and estimates, and the gateway (sms/kavenegar.py) enforces them; this
module sits in the features' layer, below the channel adapters (pyproject.toml's layers
contract), so both may import it. Pure arithmetic: it imports nothing of the project.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# GSM 03.38 default alphabet (ESC, 0x1B, is left out: it is the escape to the extension table).
GSM7_BASIC: frozenset[str] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each costs ESC + char = 2 septets. \x0c is the form feed (page break).
GSM7_EXT: frozenset[str] = frozenset("\x0c^{}\\[~]|€")

MAX_SMS_CHARS = 900  # Kavenegar rejects longer messages with 413
MAX_RECEPTORS = 200  # receptors (and localids) per sms/send or sms/sendarray call

_GSM_SINGLE, _GSM_PART = 160, 153
_UCS_SINGLE, _UCS_PART = 70, 67


@dataclass(frozen=True)
class Segments:
    encoding: Literal["gsm7", "ucs2"]
    units: int  # septets for gsm7, UTF-16 code units for ucs2
    parts: int  # 0 for the empty text


def _pack(widths: list[int], per_part: int) -> int:
    """Parts needed when an indivisible unit (an ESC pair, a surrogate pair) never straddles parts.

    That is why 153*k septets with an extension character at the boundary need k+1 parts, and why
    a plain ceil(units / per_part) is slightly wrong.
    """
    parts, used = 1, 0
    for w in widths:
        if used + w > per_part:
            parts, used = parts + 1, 0
        used += w
    return parts


def count_segments(text: str) -> Segments:
    if all(c in GSM7_BASIC or c in GSM7_EXT for c in text):
        widths = [2 if c in GSM7_EXT else 1 for c in text]
        encoding: Literal["gsm7", "ucs2"] = "gsm7"
        single, per_part = _GSM_SINGLE, _GSM_PART
    else:
        # Characters outside the BMP (emoji) are a surrogate pair: two UTF-16 code units.
        widths = [2 if ord(c) > 0xFFFF else 1 for c in text]
        encoding = "ucs2"
        single, per_part = _UCS_SINGLE, _UCS_PART
    units = sum(widths)
    if units == 0:
        parts = 0
    elif units <= single:
        parts = 1
    else:
        parts = _pack(widths, per_part)
    return Segments(encoding, units, parts)


def fit_sms(text: str, max_chars: int = MAX_SMS_CHARS) -> str:
    """Return text unchanged if it fits, else cut it and end with "…" (at most max_chars long)."""
    if max_chars < 1:
        raise ValueError("max_chars must be at least 1")
    if len(text) <= max_chars:
        return text
    return text[: max_chars - 1].rstrip() + "…"
