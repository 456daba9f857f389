"""Iran's 31 provinces, and matching what people type to one of them."""

from __future__ import annotations

from storage.text import fold_keyword

PROVINCES = (
    "آذربایجان شرقی", "آذربایجان غربی", "اردبیل", "اصفهان", "البرز", "ایلام", "بوشهر", "تهران",
    "چهارمحال و بختیاری", "خراسان جنوبی", "خراسان رضوی", "خراسان شمالی", "خوزستان", "زنجان",
    "سمنان", "سیستان و بلوچستان", "فارس", "قزوین", "قم", "کردستان", "کرمان", "کرمانشاه",
    "کهگیلویه و بویراحمد", "گلستان", "گیلان", "لرستان", "مازندران", "مرکزی", "هرمزگان", "همدان",
    "یزد",
)  # fmt: skip
_BY_KEY = {fold_keyword(p).replace(" ", ""): p for p in PROVINCES}


def match_province(text: str, extra: tuple[str, ...] | list[str] = ()) -> str | None:
    """The canonical name for what was typed (ZWNJ, ي/ك and spacing ignored), else None."""
    key = fold_keyword(text or "").replace(" ", "")
    if not key:
        return None
    table = _BY_KEY | {fold_keyword(p).replace(" ", ""): p for p in extra}
    return table.get(key)
