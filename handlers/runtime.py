"""The runtime the features and the channel adapters are handed: built once, passed down.

It carries the settings, the database, the catalogs, the clock, this process's memo and its
outbound HTTP session, plus two ports the wiring fills in: the SMS gateway and the update
counter. It lives in handlers/, the
features' layer, because the features (handlers/) and the SMS adapter (sms/) both take it, and
the layers contract in pyproject.toml lets neither import bot/. bot/runtime.py's `Process`
extends it with what only the wiring touches (the process's one Telegram Bot, its Delivery
and its Metrics) and is what `open_runtime` builds; code below bot/ sees this part.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import aiohttp

from handlers.i18n import Catalog
from handlers.settings import Settings
from storage.db import Database
from storage.models import utcnow

if TYPE_CHECKING:  # the features import this module; the wiring hands their tables in
    from handlers.feature import Tables

T = TypeVar("T")
Entries = list[dict[str, Any]]


class SmsGateway(Protocol):
    """What the service asks of Kavenegar; sms/kavenegar.py's AsyncKavenegarAPI is the one
    implementation. Declared here, as a port, so the runtime's layer holds no gateway code; the
    signatures repeat the client's on purpose, and mypy checks they agree where bot/runtime.py
    puts the client in this slot."""

    async def account_info(self) -> dict[str, Any]: ...

    async def verify_lookup(
        self,
        receptor: str,
        template: str,
        token: str,
        token2: str | None = None,
        token3: str | None = None,
        *,
        token10: str | None = None,
        token20: str | None = None,
    ) -> Entries: ...

    async def send(
        self,
        receptors: Sequence[str],
        message: str,
        *,
        sender: str | None = None,
        localid: Sequence[str] | None = None,
    ) -> Entries: ...

    async def sendarray(
        self,
        receptors: Sequence[str],
        messages: Sequence[str],
        senders: Sequence[str] | str,
        localids: Sequence[str] | None = None,
    ) -> Entries: ...

    async def status(self, messageids: Sequence[str | int]) -> Entries: ...

    async def receive(self, linenumber: str, isread: bool) -> Entries: ...


# Counts one incoming update of a channel and times its handling (bot/metrics.py fills it in).
Observe = Callable[[str], AbstractAsyncContextManager[None]]


def unobserved(channel: str) -> AbstractAsyncContextManager[None]:
    """The counter before the wiring installs the process's metrics: counts nothing."""
    return nullcontext()


@dataclass(kw_only=True)
class Runtime:
    settings: Settings
    db: Database
    catalog: Catalog
    http: aiohttp.ClientSession
    # The features' checked tables (handlers/features.py), handed in by bot/runtime.py: the main
    # menu lists every feature and every feature returns to the menu, so the menu reads them
    # from here rather than importing the list that imports it.
    features: Tables
    sms: SmsGateway | None = None
    clock: Callable[[], datetime] = field(default=utcnow)
    observe: Observe = field(default=unobserved)
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
            return hit[2]  # type: ignore[no-any-return]
        value, until = await load(now)
        self.memo[key] = (now, until, value)
        return value

    async def close(self) -> None:
        await self.http.close()
        await self.db.dispose()
