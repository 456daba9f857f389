"""What every feature function takes (Ctx) and gives back (Reply): no channel in sight."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.runtime import Runtime
from storage.models import National

_TO_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_TO_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_LATIN = re.compile(r"[A-Za-z]")


def local_digits(value: Any, lang: str) -> Any:
    """Digits of a filled-in value in the reader's kind. Codes with Latin letters
    (C-1405-000123, R-…) are left as issued: people copy them back to staff."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return value
    text = str(value)
    if lang == "en":
        return text.translate(_TO_ASCII)
    return text if _LATIN.search(text) else text.translate(_TO_PERSIAN)


@dataclass(frozen=True)
class Button:
    label: str
    data: str  # callback data, ≤ 64 bytes (Telegram's limit)


@dataclass
class Reply:
    """One message to the user. Adapters render buttons as a keyboard, numbers or nothing."""

    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    sms_text: str | None = None  # a shorter text for SMS, where it differs
    photo: str | None = None  # a file path under settings.files_dir
    document: str | None = None
    request_contact: bool = False  # show Telegram's share-contact button
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass
class Ctx:
    """One user's request inside one transaction."""

    rt: Runtime
    session: AsyncSession
    channel: str  # telegram | sms | shell
    address: str  # chat id or mobile
    lang: str
    national: National | None = None  # the linked person, if any

    def t(self, key: str, /, **params: Any) -> str:
        """The message in this person's language, with one kind of digits in what is filled in
        (staff-typed «دفتر کفالت شماره 1» reads «۱» in fa/prs/ps, «۱» reads 1 in en)."""
        if params:
            params = {k: local_digits(v, self.lang) for k, v in params.items()}
        if self.channel == "shell" and self.rt.catalog.has(f"{key}_shell", self.lang):
            key = f"{key}_shell"  # the terminal has numbered choices, not buttons
        return self.rt.t(self.lang, key, **params)

    @property
    def now(self) -> datetime:
        return self.rt.clock()

    @property
    def today(self) -> date:
        return self.now.astimezone(self.rt.settings.tz).date()
