"""The process's runtime (mailroom's runtime): built once by `open_runtime`, passed down.

`Process` is the runtime the features see (handlers/runtime.py: settings, database, catalogs,
clock, SMS gateway) plus what one process owns and only the wiring touches: its one Telegram Bot
(one connection pool, shared by the Application's staff replies and by every send), its one
`Delivery` (the rate limiters and the outcome recorder that the worker and the chat replies
share) and its `Metrics`. Declared here rather than stashed on the object, so each has a type.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import aiohttp
import telegram
import telegram.ext

from bot.delivery import Delivery, make_bot
from bot.metrics import Metrics
from handlers.features import TABLES
from handlers.i18n import Catalog
from handlers.runtime import Runtime
from handlers.settings import Settings
from sms.kavenegar import AsyncKavenegarAPI
from storage.db import Database


@dataclass(kw_only=True)
class Process(Runtime):
    bot: telegram.ext.ExtBot[None] | None = field(init=False)
    metrics: Metrics = field(init=False)
    delivery: Delivery = field(init=False)

    def __post_init__(self) -> None:
        self.bot = make_bot(self.settings)
        self.metrics = Metrics(self)
        self.observe = self.metrics.observe
        self.delivery = Delivery(self, self.bot, self.metrics)

    async def close(self) -> None:
        await self.delivery.close()
        if self.bot is not None:
            await self.bot.shutdown()  # what the Application initialised (no-op otherwise)
            await self.bot.request.shutdown()  # sends made without initialize()
        await super().close()


async def open_runtime(settings: Settings, *, catalog: Catalog | None = None) -> Process:
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
    return Process(
        settings=settings,
        db=Database(settings.database_url),
        catalog=catalog or Catalog(),
        http=http,
        features=TABLES,
        sms=sms,
    )
