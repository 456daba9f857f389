"""POST /telegram/webhook: checks Telegram's secret header, then hands the update to PTB."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
from contextlib import suppress

from aiohttp import web
from telegram import Update

from bot.inbox import Inbox, TgApp, strip_nul
from bot.polling import poll
from bot.runtime import Runtime
from bot.server import RouteInstaller

log = logging.getLogger(__name__)
PATH = "/telegram/webhook"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_route(application: TgApp, secret: str) -> RouteInstaller:
    """A RouteInstaller for init_app; `secret` is what setWebhook was given.

    200 only once the update is in the inbox (bot.inbox); 503 while it cannot be stored.
    """
    inbox: Inbox = application.bot_data["inbox"]
    outage: set[int] = set()  # updates answered 503 since the last one stored
    expected = secret.encode()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(HEADER, "").encode()
        # compare_digest: the time taken does not tell an attacker how much of a guess was right.
        if not secret or not hmac.compare_digest(given, expected):
            return web.Response(status=403, text="forbidden")
        try:
            body = strip_nul(await request.json(loads=json.loads))
            if not isinstance(body, dict) or not isinstance(body.get("update_id"), int):
                raise ValueError("not an update")
            update = Update.de_json(body, application.bot)
        # RecursionError: JSON nested thousands deep is hostile, not a server fault.
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            return web.Response(status=400, text="bad update")
        try:
            await inbox.accept([(body, update)])
        except Exception as exc:  # not stored: Telegram must send it again later
            if not outage:  # one line per outage, not one per retried update
                log.warning("webhook: updates not stored (%s); answering 503", type(exc).__name__)
            outage.add(update.update_id)
            return web.Response(status=503, text="unavailable")
        if outage:
            log.info("webhook: storing again (%d updates were refused meanwhile)", len(outage))
            outage.clear()
        return web.Response(text="ok")

    def install(app: web.Application, rt: Runtime) -> None:
        app.router.add_post(PATH, receive)

    return install


class TelegramRunner:
    """The bot in `amayesh run`: long polling, or a webhook when AMAYESH_WEBHOOK_URL is set."""

    def __init__(self, rt: Runtime) -> None:
        from bot.telegram import build_application

        self.rt = rt
        s = rt.settings
        self.application = build_application(rt)
        # Without a configured secret one is made up per start: the route is never open.
        configured = s.webhook_secret.get_secret_value() if s.webhook_secret else ""
        self.secret = configured or secrets.token_urlsafe(32)
        self._poller: asyncio.Task[None] | None = None

    def routes(self) -> list[RouteInstaller]:
        return (
            [webhook_route(self.application, self.secret)] if self.rt.settings.webhook_url else []
        )

    async def start(self) -> None:
        """Call once the HTTP server listens (Telegram may post at once after setWebhook)."""
        app = self.application
        await app.initialize()
        await app.start()
        inbox: Inbox = app.bot_data["inbox"]
        await inbox.catch_up()  # what a previous process stored and never finished, first
        inbox.start()
        url = self.rt.settings.webhook_url
        if url:
            await app.bot.set_webhook(
                url, secret_token=self.secret, allowed_updates=Update.ALL_TYPES
            )
            log.info("telegram: webhook mode")
        else:
            self._poller = asyncio.create_task(poll(inbox, app.bot), name="telegram-poll")
            log.info("telegram: long polling")

    async def stop(self) -> None:
        app = self.application
        if self._poller is not None:
            self._poller.cancel()
            with suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        if app.running:
            await app.stop()  # runs what is queued; the inbox then records it as handled
        await app.bot_data["inbox"].stop()
        await app.shutdown()
