"""The aiohttp application: health, Telegram webhook and SMS inbound, built in one factory."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bot import console
from bot.runtime import Process

# Each installer binds its handlers to the runtime it is given (no application key to look up).
RouteInstaller = Callable[[web.Application, Process], None]


async def healthz(request: web.Request) -> web.Response:
    """Liveness: 200 while the process serves HTTP. What it depends on (the database, Telegram,
    Kavenegar, the worker) is /readyz's answer (bot/health.py): a database outage must not make
    a supervisor restart a healthy process."""
    return web.json_response({"status": "ok"})


def init_app(rt: Process, installers: list[RouteInstaller] | None = None) -> web.Application:
    """Every route is added here, from the features that bring one."""
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app.router.add_get("/healthz", healthz)
    app.add_subapp(console.PREFIX, console.console_app(rt))  # the staff console, /staff/
    for install in installers or []:
        install(app, rt)
    return app


async def serve(app: web.Application, host: str, port: int) -> Callable[[], Awaitable[None]]:
    """Start listening; returns the coroutine function that stops the server."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner.cleanup
