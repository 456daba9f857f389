"""Jalali dates in Asia/Tehran time, with Afghan month names for Dari readers."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import jdatetime

from storage.text import normalize_digits

AFGHAN_MONTHS = (
    "حمل", "ثور", "جوزا", "سرطان", "اسد", "سنبله",
    "میزان", "عقرب", "قوس", "جدی", "دلو", "حوت",
)  # fmt: skip
IRANIAN_MONTHS = (
    "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
    "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند",
)  # fmt: skip
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_DATE = re.compile(r"^\s*(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})\s*$")
_DATETIME = re.compile(r"^\s*(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})(?:[ T]+(\d{1,2}):(\d{2}))?\s*$")


def fa_digits(value: object) -> str:
    return str(value).translate(_PERSIAN_DIGITS)


def to_jalali(d: date) -> jdatetime.date:
    return jdatetime.date.fromgregorian(date=d)


def parse_jalali_date(text: str) -> date:
    """'1405/09/02' (any digits, / - or .) -> Gregorian date; ValueError if not a date."""
    m = _DATE.match(normalize_digits(text))
    if not m:
        raise ValueError("expected a Jalali date like 1405/09/02")
    y, mo, d = (int(g) for g in m.groups())
    return jdatetime.date(y, mo, d).togregorian()


def parse_jalali_datetime(text: str, tz: ZoneInfo) -> datetime:
    """'1405/09/10 09:00' local time -> aware UTC datetime."""
    m = _DATETIME.match(normalize_digits(text))
    if not m:
        raise ValueError("expected a Jalali date and time like 1405/09/10 09:00")
    y, mo, d, hh, mm = m.groups()
    g = jdatetime.date(int(y), int(mo), int(d)).togregorian()
    local = datetime.combine(g, time(int(hh or 0), int(mm or 0)), tzinfo=tz)
    return local.astimezone(UTC)


def format_date(d: date, lang: str = "fa") -> str:
    """'۲ آذر ۱۴۰۵'; for Dari readers '۲ قوس/آذر ۱۴۰۵'; Latin digits for English."""
    j = to_jalali(d)
    if lang == "en":
        return f"{j.year}/{j.month:02d}/{j.day:02d}"
    month = IRANIAN_MONTHS[j.month - 1]
    if lang == "prs":
        month = f"{AFGHAN_MONTHS[j.month - 1]}/{month}"
    return fa_digits(f"{j.day} {month} {j.year}")


def format_datetime(dt: datetime, tz: ZoneInfo, lang: str = "fa") -> str:
    local = dt.astimezone(tz)
    hm = f"{local.hour:02d}:{local.minute:02d}"
    return f"{format_date(local.date(), lang)} {hm if lang == 'en' else fa_digits(hm)}"


def format_short(d: date) -> str:
    """'1405/09/02' with ASCII digits: for CSV, the CLI and SMS (GSM-friendly)."""
    j = to_jalali(d)
    return f"{j.year}/{j.month:02d}/{j.day:02d}"


def jalali_year(d: date) -> int:
    return to_jalali(d).year
