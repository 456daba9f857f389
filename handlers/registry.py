"""Reading the registry CSV: validate every row first, so a bad file changes nothing."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from handlers.jalali import parse_jalali_date
from sms.text import InvalidMobile, normalize_id, normalize_mobile, normalize_text

REQUIRED = (
    "card_number", "household_number", "is_head", "first_name", "last_name", "father_name",
    "birth_year", "gender", "nationality", "province", "city", "mobile", "card_expiry",
    "transit_sheet_expiry", "language",
)  # fmt: skip
YES = {"1", "true", "yes", "y", "بله", "بلی", "آری"}
NO = {"0", "false", "no", "n", "خیر", "نه", ""}
GENDERS = {"m": "M", "f": "F", "مرد": "M", "زن": "F", "male": "M", "female": "F"}
LANGS = {"", "fa", "prs", "ps", "ar", "en"}


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.column}: {self.reason}"


def _bool(v: str) -> bool:
    v = v.casefold()
    if v in YES:
        return True
    if v in NO:
        return False
    raise ValueError("expected 1/0, true/false or بله/خیر")


def _year(v: str) -> int:
    if not v.isdigit() or not 1300 <= int(v) <= 1420:
        raise ValueError("expected a Jalali year like 1370")
    return int(v)


def _mobile(v: str) -> str | None:
    if not v:
        return None
    try:
        return normalize_mobile(v)
    except InvalidMobile as exc:
        raise ValueError(f"not a mobile number ({exc.reason})") from None


def _required(v: str) -> str:
    if not v:
        raise ValueError("is empty")
    return v


# Registry files repeat a few hundred dates over many rows; jdatetime is slow per call.
_jalali = lru_cache(maxsize=4096)(parse_jalali_date)


def _opt_date(v: str) -> date | None:
    return _jalali(v) if v else None


def _choice(table: dict[str, str] | set[str], what: str) -> Callable[[str], Any]:
    def check(v: str) -> Any:
        key = v.casefold()
        if key not in table:
            raise ValueError(f"unknown {what} {v!r}")
        return table[key] if isinstance(table, dict) else key or None

    return check


def _nationality(v: str) -> str:
    if len(v) != 2 or not v.isascii() or not v.isalpha():
        raise ValueError("expected a two-letter country code like AF")
    return v.upper()


def _unique_code(v: str) -> str | None:
    if not v:
        return None
    if len(v) != 12 or not v.isdigit():
        raise ValueError("the unique code has 12 digits")
    return v


def _round(v: str) -> int | None:
    if not v:
        return None
    if not v.isdigit():
        raise ValueError("expected a round number like 17")
    return int(v)


PARSERS: dict[str, Callable[[str], Any]] = {
    "card_number": lambda v: _required(normalize_id(v)),
    "household_number": lambda v: normalize_id(v) or None,
    "is_head": _bool,
    "first_name": _required,
    "last_name": _required,
    "father_name": lambda v: v,
    "birth_year": _year,
    "gender": _choice(GENDERS, "gender"),
    "nationality": _nationality,
    "province": _required,
    "city": lambda v: v,
    "mobile": _mobile,
    "card_expiry": lambda v: _jalali(_required(v)),
    "transit_sheet_expiry": _opt_date,
    "language": _choice(LANGS, "language"),
    "card_round": _round,
    "unique_code": _unique_code,
}


def _clean(value: str) -> str:
    # Most cells are plain ASCII; only the rest need the full Persian normalisation.
    if value.isascii() and value.isprintable() and "  " not in value:
        return value.strip()
    return normalize_text(value)


def parse_row(line: int, raw: dict[str, str]) -> tuple[dict[str, Any], list[RowError]]:
    row: dict[str, Any] = {}
    errors: list[RowError] = []
    for column, parse in PARSERS.items():
        value = _clean(raw.get(column) or "")
        try:
            row[column] = parse(value)
        except ValueError as exc:
            errors.append(RowError(line, column, str(exc).removeprefix("Value error, ")))
    return row, errors


@dataclass
class ParsedFile:
    rows: list[tuple[int, dict[str, Any]]]
    errors: list[RowError]
    rejected_lines: list[tuple[int, dict[str, str]]]


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = {normalize_text(h).lower() for h in reader.fieldnames or []}
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise ValueError(f"line 1: missing columns: {', '.join(missing)}")
        reader.fieldnames = [normalize_text(h).lower() for h in reader.fieldnames or []]
        for raw in reader:
            yield reader.line_num, {k: v or "" for k, v in raw.items() if k}


def parse_nationals(path: Path) -> ParsedFile:
    """Every row parsed; errors name the line and column. Duplicate cards are errors too."""
    out = ParsedFile([], [], [])
    seen: dict[str, int] = {}
    for line, raw in read_rows(path):
        row, errors = parse_row(line, raw)
        card = row.get("card_number")
        if card and card in seen:
            errors.append(RowError(line, "card_number", f"repeats line {seen[card]}"))
        elif card:
            seen[card] = line
        if errors:
            out.errors.extend(errors)
            out.rejected_lines.append((line, raw))
        else:
            out.rows.append((line, row))
    return out
