"""`amayesh run`: the HTTP server, the bot, the delivery worker and the scheduler in one process."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.runtime import Runtime
from bot.server import init_app, serve

log = logging.getLogger(__name__)


async def run_service(rt: Runtime) -> None:
    """Run until SIGINT/SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    app = init_app(rt)
    cleanup = await serve(app, rt.settings.http_host, rt.settings.http_port)
    log.info("listening on %s:%s", rt.settings.http_host, rt.settings.http_port)
    try:
        await stop.wait()
    finally:
        await cleanup()
