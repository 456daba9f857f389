"""Small formatting helpers the national-facing features share: money, dates."""

from __future__ import annotations

from datetime import date, datetime

from handlers.base import Ctx
from handlers.jalali import fa_digits, format_date, format_datetime


def number(n: int, lang: str) -> str:
    """12٬345 in Persian digits, 12,345 for English readers."""
    text = f"{n:,}"
    return text if lang == "en" else fa_digits(text.replace(",", "٬"))


def rials_and_toman(ctx: Ctx, rials: int) -> str:
    """'300٬000 ریال (30٬000 تومان)': both units, since people quote either."""
    return ctx.t(
        "campaigns.rials_toman", rials=number(rials, ctx.lang), toman=number(rials // 10, ctx.lang)
    )


def day(ctx: Ctx, d: date) -> str:
    return format_date(d, ctx.lang)


def moment(ctx: Ctx, dt: datetime) -> str:
    return format_datetime(dt, ctx.rt.settings.tz, ctx.lang)


def local_day(ctx: Ctx, dt: datetime) -> str:
    """The Jalali day of an instant, in the bureau's time zone."""
    return format_date(dt.astimezone(ctx.rt.settings.tz).date(), ctx.lang)


def digits(ctx: Ctx, value: object) -> str:
    return str(value) if ctx.lang == "en" else fa_digits(value)


def bullets(lines: list[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def num(n: float, lang: str) -> str:
    """A figure for staff: 12٬345 in Persian digits (fa, prs, ps), 12,345 in English."""
    return number(n, lang) if isinstance(n, int) else digits_of(f"{n:.1f}", lang)


def digits_of(text: str, lang: str) -> str:
    return text if lang == "en" else fa_digits(text.replace(".", "٫"))
