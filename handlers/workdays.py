"""Working days: Friday is the weekend, plus the official holidays in handlers/data."""

from __future__ import annotations

import functools
from datetime import date, timedelta
from pathlib import Path

from handlers.datafiles import DATA, load_toml
from handlers.jalali import parse_jalali_date

HOLIDAYS = DATA / "holidays.toml"
FRIDAY = 4


@functools.cache
def holidays(path: Path = HOLIDAYS) -> frozenset[date]:
    return frozenset(parse_jalali_date(h["date"]) for h in load_toml(path).get("holiday", []))


def is_working_day(d: date, path: Path = HOLIDAYS) -> bool:
    return d.weekday() != FRIDAY and d not in holidays(path)


def add_working_days(start: date, n: int, path: Path = HOLIDAYS) -> date:
    """The n-th working day after `start` (start itself never counts)."""
    d, left = start, n
    while left > 0:
        d += timedelta(days=1)
        if is_working_day(d, path):
            left -= 1
    return d
