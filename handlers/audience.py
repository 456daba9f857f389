"""Broadcast segments written as text: "province=خراسان جنوبی,language=prs,status=awaiting_payment".

Pairs are separated by commas (Latin or Persian), alternatives inside a value by "|". Keys and
values accept Persian/Arabic digits and letters and stray spaces; keys have Persian aliases.
"""

from __future__ import annotations

from typing import Any

from storage.statuses import Status
from storage.text import fold_keyword, normalize_text

KEYS = ("province", "city", "campaign", "nationality", "language", "eligibility", "status",
        "channel", "subscribed")  # fmt: skip
_KEY_ALIASES = {
    "استان": "province", "شهر": "city", "طرح": "campaign", "کمپین": "campaign",
    "ملیت": "nationality", "تابعیت": "nationality", "زبان": "language", "lang": "language",
    "شرایط": "eligibility", "eligible": "eligibility", "وضعیت": "status", "کانال": "channel",
    "country": "nationality", "عضویت": "subscribed", "مشترک": "subscribed",
    "subscription": "subscribed",
}  # fmt: skip
_LANGS = {
    "fa": "fa", "farsi": "fa", "persian": "fa", "فارسی": "fa", "prs": "prs", "dari": "prs",
    "دری": "prs", "ps": "ps", "pashto": "ps", "پشتو": "ps", "en": "en", "english": "en",
    "انگلیسی": "en", "ar": "ar", "arabic": "ar", "عربی": "ar",
}  # fmt: skip
_NATIONS = {"افغانستان": "AF", "افغان": "AF", "افغانی": "AF", "عراق": "IQ", "عراقی": "IQ",
            "پاکستان": "PK", "پاکستانی": "PK"}  # fmt: skip
_CHANNELS = {"telegram": "telegram", "تلگرام": "telegram", "bale": "telegram", "بله": "telegram",
             "messenger": "telegram", "sms": "sms", "پیامک": "sms"}  # fmt: skip
_ELIGIBLE = {"eligible": "eligible", "yes": "eligible", "1": "eligible", "واجد": "eligible",
             "بله": "eligible", "ineligible": "ineligible", "no": "ineligible", "0": "ineligible",
             "فاقد": "ineligible", "خیر": "ineligible"}  # fmt: skip
# subscribed=yes: those who asked for announcements (JOIN, the bot's subscription menu);
# subscribed=no: those reached only by default. Opt-outs are never reached either way.
_SUBSCRIBED = {"yes": "yes", "1": "yes", "true": "yes", "بله": "yes", "آری": "yes",
               "عضو": "yes", "no": "no", "0": "no", "false": "no", "خیر": "no"}  # fmt: skip
_STATUSES = {s.value for s in Status} | {"none", "any"}


class SegmentError(ValueError):
    """`reason` is a short code (bad_pair, unknown_key, bad_value, empty); `key` the culprit."""

    def __init__(self, reason: str, key: str = "", value: str = "") -> None:
        super().__init__(f"{reason}: {key}={value}" if key else reason)
        self.reason, self.key, self.value = reason, key, value


def _one(key: str, value: str) -> str:
    folded = fold_keyword(value)
    table = {"language": _LANGS, "channel": _CHANNELS, "eligibility": _ELIGIBLE,
             "subscribed": _SUBSCRIBED}.get(key)  # fmt: skip
    if table is not None:
        if folded not in table:
            raise SegmentError("bad_value", key, value)
        return table[folded]
    if key == "nationality":
        code = _NATIONS.get(folded, value.upper())
        if len(code) != 2 or not code.isascii() or not code.isalpha():
            raise SegmentError("bad_value", key, value)
        return code
    if key == "status":
        if folded not in _STATUSES:
            raise SegmentError("bad_value", key, value)
        return folded
    return value  # province, city, campaign: normalised free text


def parse_segment(text: str) -> dict[str, Any]:
    """'k=v,k=v' -> {key: value or [values]}; raises SegmentError. Empty text = everyone."""
    segment: dict[str, list[str]] = {}
    for raw in normalize_text(text).replace("،", ",").split(","):
        pair = raw.strip()
        if not pair:
            continue
        if "=" not in pair:
            raise SegmentError("bad_pair", pair)
        k, v = (normalize_text(p) for p in pair.split("=", 1))
        key = _KEY_ALIASES.get(fold_keyword(k), fold_keyword(k))
        if key not in KEYS:
            raise SegmentError("unknown_key", k, v)
        values = [normalize_text(x) for x in v.split("|") if normalize_text(x)]
        if not values:
            raise SegmentError("empty", key)
        for value in values:
            item = _one(key, value)
            if item not in segment.setdefault(key, []):
                segment[key].append(item)
    return {k: v[0] if len(v) == 1 and k in ("campaign", "eligibility", "subscribed") else v
            for k, v in segment.items()}  # fmt: skip


def format_segment(segment: dict[str, Any]) -> str:
    """The inverse of parse_segment, for confirmations and reports."""
    parts = []
    for key in KEYS:
        if key in segment:
            v = segment[key]
            parts.append(f"{key}={'|'.join(v) if isinstance(v, list) else v}")
    return ",".join(parts)
