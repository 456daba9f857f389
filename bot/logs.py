"""Logging setup: one line per event, as text or (AMAYESH_LOG_FORMAT=json) one JSON object.

The standard library's logging is enough here: a formatter decides only how a record is written,
so a filter added to the handler (redaction, rate limiting) composes with either format without
knowing about it. Context such as the update or outbox id travels in `extra=`:
``log.info("sent", extra={"outbox_id": 12})`` becomes a field of the JSON object, or
``outbox_id=12`` at the end of the text line.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

# The attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)
# Libraries that log every request URL at INFO; Bot API URLs carry the token.
QUIET = ("httpx", "httpcore", "aiohttp.access")


class _AlembicChatter(logging.Filter):
    """Alembic says which dialect it uses every time a schema check opens a context: /readyz
    checks often, so those two lines would fill the journal. Its upgrade lines stay."""

    NOISE = ("Context impl ", "Will assume ")

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.NOISE)


class _SqliteValues(logging.Filter):
    """aiosqlite's debug lines show each call it runs with its bound values: nationals' names and
    texts, update payloads, a console session's CSRF token, the TOTP secret a staff member is
    enrolling. Keep the statement, drop the values. (asyncpg logs no statements; SQLAlchemy's
    errors hide their values, storage.db.)"""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_statement(a) for a in record.args)
        return True


def _statement(arg: object) -> object:
    if not isinstance(arg, functools.partial):
        return arg
    sql = next((a for a in arg.args if isinstance(a, str)), None)
    name = getattr(arg.func, "__name__", "call")
    return f"{name}({sql!r}, ...)" if sql is not None else f"{name}()"


def extras(record: logging.LogRecord) -> dict[str, Any]:
    """The fields a caller added with `extra=` (update_id, outbox_id, ...)."""
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


class TextFormatter(logging.Formatter):
    """`time level logger: message k=v ...`, with tracebacks folded into the same line."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = " ".join(f"{k}={v}" for k, v in extras(record).items())
        return _one_line(f"{line} {fields}" if fields else line)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts (UTC, ISO 8601), level, logger, message, extras, exc."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        out.update(extras(record))
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["exc"] = record.exc_text
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        # ensure_ascii=False: Persian stays readable in the journal; default=str for odd extras.
        return json.dumps(out, ensure_ascii=False, default=str)


def make_formatter(fmt: str) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else TextFormatter()


def setup_logging(
    *, verbose: bool = False, fmt: str = "text", stream: TextIO | None = None, force: bool = False
) -> logging.Handler | None:
    """One stream handler on the root logger; returns it, so that other parts (a redaction
    filter) can add their filters to it. Like logging.basicConfig, it leaves a root logger that
    already has handlers alone (pytest's capture) unless `force`."""
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    alembic = logging.getLogger("alembic.runtime.migration")
    if not any(isinstance(f, _AlembicChatter) for f in alembic.filters):
        alembic.addFilter(_AlembicChatter())
    sqlite = logging.getLogger("aiosqlite")
    if not any(isinstance(f, _SqliteValues) for f in sqlite.filters):
        sqlite.addFilter(_SqliteValues())
    root = logging.getLogger()
    if root.handlers and not force:
        return None
    for old in root.handlers[:]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(make_formatter(fmt))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    return handler


def format_from_env() -> str:
    """AMAYESH_LOG_FORMAT before the settings are loaded (a settings error is logged too)."""
    value = os.environ.get("AMAYESH_LOG_FORMAT", "").strip().lower()
    if not value:  # the .env file, as Settings reads it
        try:
            from dotenv import dotenv_values

            value = str(dotenv_values(".env").get("AMAYESH_LOG_FORMAT") or "").strip().lower()
        except Exception:
            value = ""
    return "json" if value == "json" else "text"
