"""What the service depends on, asked once and remembered briefly: `/readyz`, and the
probes that `amayesh doctor`, the alerts and `/metrics` share.

Telegram (getMe, getWebhookInfo) and Kavenegar (account/info) are asked at most once a minute
per process however often a monitor polls; "recent" in /readyz means an answer from that minute.
The Bot API is called with the runtime's aiohttp session, not a PTB Bot: a probe needs no Bot
lifecycle, and its errors are worded here so the token (in the URL) never reaches a message.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web

from handlers.runtime import Runtime
from sms.kavenegar import KavenegarError, KavenegarTransportError
from storage.db import NotMigrated

FRESH = timedelta(seconds=60)  # how long a probe's answer is reused; also "recent"
WORKER_STALE = timedelta(seconds=60)  # the worker loops at least every poll (0.5 s)
PROBE_TIMEOUT = 5.0


@dataclass
class Probe:
    """One dependency's answer: ok or not, what it said (`info`), or why not (`error`)."""

    ok: bool
    info: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": self.ok, **self.info}
        if self.error:
            out["error"] = self.error
        return out


@dataclass
class Beats:
    """Heartbeats this process's loops leave (the worker's last loop)."""

    worker: datetime | None = None


def beats(rt: Runtime) -> Beats:
    b: Beats | None = vars(rt).get("_beats")
    if b is None:
        b = vars(rt)["_beats"] = Beats()
    return b


def worker_beat(rt: Runtime) -> None:
    """Called by the worker at every turn of its loop."""
    beats(rt).worker = rt.clock()


def _describe(exc: BaseException) -> str:
    # The class and OS error only: str() of aiohttp's errors can carry the URL, i.e. the token.
    reason = getattr(getattr(exc, "os_error", exc), "strerror", None)
    return f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__


async def bot_api(rt: Runtime, method: str) -> Probe:
    """Call a Bot API method without parameters (Telegram or Bale)."""
    token = rt.settings.telegram_token
    if token is None:
        return Probe(False, error="no AMAYESH_TELEGRAM_TOKEN")
    url = f"{rt.settings.telegram_api_url.rstrip('/')}/bot{token.get_secret_value()}/{method}"
    now = rt.clock()
    try:
        async with rt.http.post(
            url, json={}, timeout=aiohttp.ClientTimeout(total=PROBE_TIMEOUT)
        ) as resp:
            body = await resp.json(content_type=None)
            date = resp.headers.get("Date")
    except TimeoutError:
        return Probe(False, error=f"timeout after {PROBE_TIMEOUT:.0f}s", at=now)
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        return Probe(False, error=_describe(exc), at=now)
    if not isinstance(body, dict) or not body.get("ok"):
        desc = body.get("description", "") if isinstance(body, dict) else "not JSON"
        code = body.get("error_code", resp.status) if isinstance(body, dict) else resp.status
        return Probe(False, error=f"{code}: {desc}", at=now)
    result = body.get("result")
    info = dict(result) if isinstance(result, dict) else {"result": result}
    if date:
        info["_date"] = date  # the server's clock, for the doctor's clock check
    return Probe(True, info, at=now)


async def kavenegar_info(rt: Runtime) -> Probe:
    """account/info: remaining credit (rials) and the account type."""
    if rt.sms is None:
        return Probe(False, error="no AMAYESH_KAVENEGAR_API_KEY")
    now = rt.clock()
    try:
        async with asyncio.timeout(PROBE_TIMEOUT + 1):
            info = await rt.sms.account_info()
    except KavenegarError as exc:
        return Probe(False, {"status": exc.status}, error=f"{exc.status}: {exc.message}", at=now)
    except (KavenegarTransportError, TimeoutError) as exc:
        return Probe(False, error=getattr(exc, "message", "timeout"), at=now)
    return Probe(True, dict(info), at=now)


async def _remembered(rt: Runtime, key: str, ask: Any) -> Probe:
    async def load(now: datetime) -> tuple[Probe, datetime]:
        return await ask(rt), now + FRESH

    return await rt.remember(f"health:{key}", load)


async def telegram_me(rt: Runtime) -> Probe:
    return await _remembered(rt, "getMe", lambda r: bot_api(r, "getMe"))


async def webhook_info(rt: Runtime) -> Probe:
    return await _remembered(rt, "getWebhookInfo", lambda r: bot_api(r, "getWebhookInfo"))


async def kavenegar(rt: Runtime) -> Probe:
    return await _remembered(rt, "kavenegar", kavenegar_info)


async def database(rt: Runtime) -> Probe:
    ok = await rt.db.ping()
    return Probe(ok, error=None if ok else "no answer within 3 s")


async def migrations(rt: Runtime) -> Probe:
    try:
        await asyncio.wait_for(rt.db.check_migrated(), PROBE_TIMEOUT)
    except NotMigrated as exc:
        return Probe(False, error=str(exc))
    except Exception as exc:
        return Probe(False, error=type(exc).__name__)
    return Probe(True)


def worker(rt: Runtime) -> Probe:
    last = beats(rt).worker
    if last is None:
        return Probe(False, error="the worker has not run in this process")
    age = (rt.clock() - last).total_seconds()
    fresh = age <= WORKER_STALE.total_seconds()
    info = {"last_loop_seconds_ago": round(age, 1)}
    return Probe(fresh, info, error=None if fresh else "worker loop stalled")


def _recent(rt: Runtime, p: Probe) -> Probe:
    if p.ok and p.at is not None and rt.clock() - p.at > FRESH + timedelta(seconds=5):
        return Probe(False, p.info, error="no recent answer", at=p.at)
    return p


async def readiness(rt: Runtime) -> dict[str, Probe]:
    """Every part /readyz reports; the parts this deployment does not use are left out."""
    s = rt.settings
    names = ["database", "migrations"]
    jobs: list[Any] = [database(rt), migrations(rt)]
    if s.telegram_token is not None:
        names.append("telegram")
        jobs.append(telegram_me(rt))
        if s.webhook_url:
            names.append("webhook")
            jobs.append(webhook_info(rt))
    if rt.sms is not None:
        names.append("kavenegar")
        jobs.append(kavenegar(rt))
    probes = dict(zip(names, await asyncio.gather(*jobs), strict=True))
    if not probes["database"].ok:  # nothing below can be right then; say so once
        probes["migrations"] = Probe(False, error="database unreachable")
    for name in ("telegram", "webhook", "kavenegar"):
        if name in probes:
            probes[name] = _recent(rt, probes[name])
    if "webhook" in probes and probes["webhook"].ok:
        probes["webhook"] = _webhook_summary(probes["webhook"])
    if "telegram" in probes and probes["telegram"].ok:
        me = probes["telegram"].info
        probes["telegram"] = Probe(True, {"username": me.get("username")}, at=probes["telegram"].at)
    probes["worker"] = worker(rt)
    return probes


def _webhook_summary(p: Probe) -> Probe:
    """The webhook's state without failing readiness for a past error (alerts report those)."""
    keep = ("url", "pending_update_count", "last_error_date", "last_error_message")
    return Probe(True, {k: p.info[k] for k in keep if k in p.info}, at=p.at)


async def readyz(rt: Runtime, request: web.Request) -> web.Response:
    probes = await readiness(rt)
    down = [name for name, p in probes.items() if not p.ok]
    body = {
        "status": "unavailable" if down else "ready",
        "down": down,
        "checks": {name: p.as_json() for name, p in probes.items()},
    }
    return web.json_response(body, status=503 if down else 200)


def install_health_routes(app: web.Application, rt: Runtime) -> None:
    """RouteInstaller: /readyz (init_app adds /healthz, the liveness check)."""
    app.router.add_get("/readyz", functools.partial(readyz, rt))
