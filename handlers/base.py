"""What every feature function takes (Ctx) and gives back (Reply): no channel in sight."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.runtime import Runtime
from storage.models import National


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
        return self.rt.t(self.lang, key, **params)

    @property
    def now(self) -> datetime:
        return self.rt.clock()

    @property
    def today(self) -> date:
        return self.now.astimezone(self.rt.settings.tz).date()
