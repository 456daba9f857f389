"""The one object that carries every dependency (mailroom's runtime): built once, passed down."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import aiohttp

from bot.settings import Settings
from handlers.i18n import Catalog
from sms.kavenegar import AsyncKavenegarAPI
from storage.db import Database
from storage.models import utcnow

T = TypeVar("T")


@dataclass
class Runtime:
    settings: Settings
    db: Database
    catalog: Catalog
    http: aiohttp.ClientSession
    sms: AsyncKavenegarAPI | None
    clock: Callable[[], datetime] = field(default=utcnow)
    # This process's copies of slow-changing reads; whoever stores an entry bounds its age.
    memo: dict[str, Any] = field(default_factory=dict)

    def t(self, lang: str | None, key: str, /, **params: object) -> str:
        return self.catalog.t(lang, key, **params)

    async def remember(
        self, key: str, load: Callable[[datetime], Awaitable[tuple[T, datetime]]]
    ) -> T:
        """This process's copy of a slow-changing read: `load(now)` gives the value and the
        moment it stops holding; until then (by `clock`) the copy is returned unread."""
        now, hit = self.clock(), self.memo.get(key)
        if hit is not None and hit[0] <= now < hit[1]:
            return hit[2]  # type: ignore[no-any-return]  # memo: each key's own T
        value, until = await load(now)
        self.memo[key] = (now, until, value)
        return value

    async def close(self) -> None:
        await self.http.close()
        await self.db.dispose()


async def open_runtime(settings: Settings, *, catalog: Catalog | None = None) -> Runtime:
    """Open the database and HTTP session; must run inside the event loop."""
    # trust_env=False: a proxy from the environment must never see API keys or loopback calls.
    http = aiohttp.ClientSession(trust_env=False, timeout=aiohttp.ClientTimeout(total=30))
    sms = None
    if settings.kavenegar_api_key is not None:
        sms = AsyncKavenegarAPI(
            settings.kavenegar_api_key.get_secret_value(),
            session=http,
            base_url=settings.kavenegar_api_url,
            timeout=settings.kavenegar_timeout,
        )
    return Runtime(
        settings=settings,
        db=Database(settings.database_url),
        catalog=catalog or Catalog(),
        http=http,
        sms=sms,
    )
