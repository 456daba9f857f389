"""No log line at any level prints a secret or a person's data.

A `logging.Filter` put on every handler of the root logger, so it sees every record whatever
logger made it (python-telegram-bot's request dumps, aiohttp, SQLAlchemy/aiosqlite/asyncpg debug
output) and whatever formatter prints it (plain text or JSON): it renders the message once,
redacts it, and leaves the record with no arguments and no live exception object, only the
redacted text. Redacted:

- the configured secrets themselves (bot token, webhook and inbound secrets, Kavenegar key),
  wherever they appear — URLs, headers, reprs;
- anything shaped like a Bot API token (`123456:AA…`), in case a token that is not ours shows up;
- one-time codes: any 6-digit number standing alone (a code typed into the chat, a template
  token, the SMS text), in Latin, Persian or Arabic-Indic digits;
- mobiles, shown as `0915***4567` (so support can still tell two numbers apart).

Hand-written rather than a library: the log-scrubbing packages on PyPI match generic secrets
(cards, e-mails) and know neither Iranian mobiles nor these codes; the patterns are the product's.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable

_D = "[0-9\u06f0-\u06f9\u0660-\u0669]"  # Latin, Persian and Arabic-Indic digits
_TO_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_TOKEN = re.compile(r"(?<![\w])\d{5,12}:[A-Za-z0-9_-]{30,}")
_MOBILE = re.compile(
    rf"(?<!{_D})(?:\+98|0098|98|0|\u06f0|\u0660)?(?:9|\u06f9|\u0669){_D}{{9}}(?!{_D})"
)
_CODE = re.compile(rf"(?<!{_D})(?<![\d.:,]){_D}{{6}}(?!{_D})(?![.:]\d)")
MASK = "***"


def mask_mobile(text: str) -> str:
    """09151234567, +989151234567, ۰۹۱۵۱۲۳۴۵۶۷ -> 0915***4567."""
    digits = text.translate(_TO_ASCII)[-10:]
    return f"0{digits[:3]}***{digits[-4:]}"


class Redactor:
    """The substitutions, shared by the filter and by anything else that prints (the CLI)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str | None]) -> None:
        # Short values would blank out ordinary words; a real secret is never that short.
        self.secrets |= {s for s in secrets if s and len(s) >= 6}
        # Longest first, so a token is not half-replaced by a secret that is its suffix.
        self._ordered = sorted(self.secrets, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._ordered:
            if secret in text:
                text = text.replace(secret, MASK)
        text = _TOKEN.sub("<bot-token>", text)
        text = _MOBILE.sub(lambda m: mask_mobile(m.group(0)), text)
        return _CODE.sub("******", text)


class RedactFilter(logging.Filter):
    """Redacts every record it sees (and never drops one)."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):  # a record passes several handlers
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line (nor leak its args)
            message = f"{record.msg!s} (unformattable arguments)"
        record.msg, record.args = self.redactor(message), None
        if record.exc_info and record.exc_info[0] is not None:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text, record.exc_info = self.redactor(text), None
        elif record.exc_text:
            record.exc_text = self.redactor(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redactor(record.stack_info)
        record._redacted = True
        return True


REDACTOR = Redactor()


def install(root: logging.Logger | None = None) -> RedactFilter:
    """Put the filter on every handler of the root logger. Call it after the handlers exist
    (any formatter, plain or JSON); a handler added later needs `handler.addFilter(install())`
    or `handler.addFilter(RedactFilter(REDACTOR))`."""
    flt = RedactFilter(REDACTOR)
    for handler in (root or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactFilter) for f in handler.filters):
            handler.addFilter(flt)
    return flt


def add_secrets(*values: object) -> None:
    """Register secret values once the settings are known (SecretStr or str)."""
    out = []
    for v in values:
        if v is None:
            continue
        get = getattr(v, "get_secret_value", None)
        out.append(str(get() if get else v))
    REDACTOR.add(out)
