"""POST /telegram/webhook: checks Telegram's secret header, then hands the update to PTB."""

from __future__ import annotations

import hmac
import json
import logging
import secrets

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.runtime import Runtime
from bot.server import RouteInstaller

log = logging.getLogger(__name__)
PATH = "/telegram/webhook"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_route(application: Application, secret: str) -> RouteInstaller:
    """A RouteInstaller for init_app; `secret` is what setWebhook was given."""
    expected = secret.encode()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(HEADER, "").encode()
        # compare_digest: the time taken does not tell an attacker how much of a guess was right.
        if not secret or not hmac.compare_digest(given, expected):
            return web.Response(status=403, text="forbidden")
        try:
            body = await request.json(loads=json.loads)
            if not isinstance(body, dict) or not isinstance(body.get("update_id"), int):
                raise ValueError("not an update")
            update = Update.de_json(body, application.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            return web.Response(status=400, text="bad update")
        await application.update_queue.put(update)
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
        self.application = build_application(rt, webhook=bool(s.webhook_url))
        # Without a configured secret one is made up per start: the route is never open.
        configured = s.webhook_secret.get_secret_value() if s.webhook_secret else ""
        self.secret = configured or secrets.token_urlsafe(32)

    def routes(self) -> list[RouteInstaller]:
        return (
            [webhook_route(self.application, self.secret)] if self.rt.settings.webhook_url else []
        )

    async def start(self) -> None:
        """Call once the HTTP server listens (Telegram may post at once after setWebhook)."""
        app = self.application
        await app.initialize()
        await app.start()
        url = self.rt.settings.webhook_url
        if url:
            await app.bot.set_webhook(
                url, secret_token=self.secret, allowed_updates=Update.ALL_TYPES
            )
            log.info("telegram: webhook mode")
        else:
            assert app.updater is not None
            await app.updater.start_polling(allowed_updates=Update.ALL_TYPES)
            log.info("telegram: long polling")

    async def stop(self) -> None:
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
