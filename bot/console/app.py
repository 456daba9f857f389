"""Builds the console: Jinja2 templates, static files, middlewares and every page's routes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.console import (
    accounts,
    actions,
    announce,
    audit,
    broadcasts,
    campaign_edit,
    campaigns,
    complaints,
    import_jobs,
    imports,
    lists,
    outages,
    pages,
    reports,
    review,
    signin,
    slips,
)
from bot.console.web import PREFIX, RT, headers, signed_in
from handlers.jalali import fa_digits, format_date, format_datetime
from handlers.runtime import Runtime

HERE = Path(__file__).parent
MODULES = (signin, pages, actions, review, slips, complaints, lists, broadcasts, outages,
           imports, audit, reports, campaigns, campaign_edit, announce, accounts,
           import_jobs)  # fmt: skip


def _filters(rt: Runtime) -> dict[str, Any]:
    tz = rt.settings.tz
    return {
        "fa": fa_digits,
        "money": lambda n: fa_digits(f"{int(n):,}".replace(",", "٬")),
        "jdt": lambda dt: format_datetime(dt, tz, "fa") if dt else "-",
        "jd": lambda d: format_date(d, "fa") if d else "-",
    }


def _labeller(rt: Runtime) -> Any:
    """A stored state's label (`console.state.sent`), or the state itself if it has none yet:
    a new state added elsewhere shows as its name instead of failing the page."""

    def lab(group: str, value: str) -> str:
        key = f"console.{group}.{value}"
        return rt.t("fa", key) if rt.catalog.has(key) else value

    return lab


def console_app(rt: Runtime) -> web.Application:
    """The console as its own aiohttp application, mounted at PREFIX by bot.server."""
    app = web.Application(middlewares=[headers, signed_in])
    app[RT] = rt
    import_jobs.setup(app)
    env = aiohttp_jinja2.setup(
        app, loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True
    )
    env.filters.update(_filters(rt))
    env.globals.update(t=lambda key, **kw: rt.t("fa", key, **kw), lab=_labeller(rt), prefix=PREFIX)
    for module in MODULES:
        app.router.add_routes(module.routes)
    app.router.add_static("/static", HERE / "static", name="static")
    return app
