"""GET /metrics: the process's Metrics (bot/metrics.py) in the Prometheus text format, behind a
bearer token. Apart from bot/metrics.py because it takes the whole `Process`, which is built on
the Metrics (bot/runtime.py imports that module)."""

from __future__ import annotations

import functools
import hmac
import logging

from aiohttp import web
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from bot.metrics import Metrics
from bot.runtime import Process

log = logging.getLogger(__name__)


async def scrape(m: Metrics, request: web.Request) -> web.Response:
    token = m.rt.settings.metrics_token
    expected = token.get_secret_value() if token is not None else ""
    if not expected:  # off: as if the route did not exist
        raise web.HTTPNotFound()
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
        raise web.HTTPUnauthorized(headers={"WWW-Authenticate": "Bearer"})
    try:
        await m.refresh()
    except Exception as exc:  # the database may be down: the process's own figures still count
        log.warning("metrics: reading the database failed: %s", type(exc).__name__)
    body = generate_latest(m.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def install_metrics_routes(app: web.Application, rt: Process) -> None:
    """RouteInstaller: /metrics, and the event-loop lag monitor for the server's lifetime."""
    m = rt.metrics
    app.router.add_get("/metrics", functools.partial(scrape, m))

    async def start(_: web.Application) -> None:
        m.start_lag_monitor()

    async def stop(_: web.Application) -> None:
        await m.stop_lag_monitor()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
