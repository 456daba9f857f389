"""Repeated identical error lines, rate-limited: the first is logged, the repeats within the
interval are counted, and the next one after it says how many were left out.

The database down for 20 s used to write 429 tracebacks in 30 s (1.6 MB). One line per interval
per distinct error (logger, level, message template, exception type) keeps the signal and the
count. Only WARNING and above are limited: debug and info lines are what one turns on to see
everything.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

Key = tuple[str, int, str, str]


class RepeatFilter(logging.Filter):
    def __init__(self, interval: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.interval, self.clock = interval, clock
        self._seen: dict[Key, list[float]] = {}  # key -> [window start, suppressed]

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        exc = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else ""
        key = (record.name, record.levelno, str(record.msg), exc)
        now, seen = self.clock(), self._seen.get(key)
        if seen is not None and now - seen[0] < self.interval:
            seen[1] += 1
            return False
        if seen is not None and seen[1]:
            record.msg = (
                f"{record.msg} (repeated {int(seen[1])} more times in {self.interval:.0f} s)"
            )
        self._seen[key] = [now, 0]
        if len(self._seen) > 1000:  # many distinct messages: forget the oldest windows
            for old in sorted(self._seen, key=lambda k: self._seen[k][0])[:500]:
                del self._seen[old]
        return True


def install(interval: float = 60.0, root: logging.Logger | None = None) -> RepeatFilter:
    flt = RepeatFilter(interval)
    for handler in (root or logging.getLogger()).handlers:
        handler.addFilter(flt)
    return flt
