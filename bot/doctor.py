"""`amayesh doctor`: every setting and dependency checked once, each line ok / warning / error in
the operator's language (Persian by default, `--lang en`); the exit status is 1 on any error.

It asks what the service itself depends on (bot/health's probes, not remembered here), and
checks what only an operator can fix: settings that are legal but unwise, the webhook Telegram
holds, the credit, the files directory's space, the clock against the servers' clocks.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

from bot import health
from bot.runtime import open_runtime
from handlers.i18n import Catalog
from handlers.jalali import format_datetime
from handlers.runtime import Runtime
from handlers.settings import Settings, SettingsError, load_settings

LEVELS = ("ok", "warning", "error")
MIN_FREE_GB = 1.0  # slips are photos: a day's worth is well under this
PENDING_WARN = 100  # updates Telegram holds for the webhook
WEBHOOK_ERROR_RECENT = 3600.0  # seconds: an older error is history
MAX_SKEW = 30.0  # seconds; Telegram's webhook and Kavenegar's reports are timestamped


@dataclass
class Finding:
    level: str  # ok | warning | error
    key: str  # ops.doctor.<key>
    params: dict[str, object] = field(default_factory=dict)


def _settings_findings(s: Settings) -> list[Finding]:
    out = [Finding("ok", "settings_ok")]
    if s.telegram_token is None:
        out.append(Finding("warning", "no_token"))
    if s.kavenegar_api_key is None:
        out.append(Finding("warning", "no_sms"))
    elif s.sms_receive == "webhook" and s.inbound_secret is None:
        out.append(Finding("warning", "no_inbound"))
    if s.metrics_token is None or not s.metrics_token.get_secret_value():
        out.append(Finding("warning", "no_metrics"))
    if s.webhook_url:
        if not s.webhook_url.startswith("https://"):
            out.append(Finding("error", "webhook_http", {"url": s.webhook_url}))
        if s.webhook_secret is None:
            out.append(Finding("warning", "no_webhook_secret"))
    return out


async def _database(rt: Runtime) -> list[Finding]:
    if not await rt.db.ping():
        return [Finding("error", "database_down")]
    out = [Finding("ok", "database_ok", {"dialect": rt.db.engine.dialect.name})]
    m = await health.migrations(rt)
    out.append(Finding("ok", "migrations_ok") if m.ok else
               Finding("error", "migrations_behind", {"error": m.error}))  # fmt: skip
    return out


async def _telegram(rt: Runtime) -> tuple[list[Finding], str | None]:
    """getMe and getWebhookInfo; also the Bot API server's Date header, for the clock check."""
    if rt.settings.telegram_token is None:
        return [], None
    me = await health.bot_api(rt, "getMe")
    if not me.ok:
        return [Finding("error", "telegram_down", {"error": me.error})], None
    out = [Finding("ok", "telegram_ok", {"username": me.info.get("username")})]
    hook = await health.bot_api(rt, "getWebhookInfo")
    if not hook.ok:
        return [*out, Finding("error", "webhook_down", {"error": hook.error})], me.info.get("_date")
    expected, actual = rt.settings.webhook_url or "", str(hook.info.get("url") or "")
    pending = int(hook.info.get("pending_update_count") or 0)
    if not expected:
        out.append(Finding("ok", "polling"))
    elif actual != expected:
        out.append(Finding("warning", "webhook_mismatch", {"actual": actual, "expected": expected}))
    else:
        out.append(Finding("ok", "webhook_ok", {"url": actual, "pending": pending}))
    if pending > PENDING_WARN:
        out.append(Finding("warning", "webhook_pending", {"pending": pending}))
    at = hook.info.get("last_error_date")
    if isinstance(at, int | float) and time.time() - at < WEBHOOK_ERROR_RECENT:
        ago = int((time.time() - at) // 60)
        error = str(hook.info.get("last_error_message") or "?")
        out.append(Finding("warning", "webhook_error", {"ago": ago, "error": error}))
    return out, me.info.get("_date")


async def _kavenegar(rt: Runtime, lang: str) -> list[Finding]:
    if rt.sms is None:
        return []
    p = await health.kavenegar_info(rt)
    if not p.ok:
        return [Finding("error", "sms_down", {"error": p.error})]
    credit, warn = int(float(p.info.get("remaincredit") or 0)), rt.settings.sms_credit_warn
    if warn and credit < warn:
        return [Finding("warning", "sms_low", {"credit": f"{credit:,}", "warn": f"{warn:,}"})]
    line = rt.settings.sms_sender or rt.t(lang, "ops.doctor.default_line")
    return [Finding("ok", "sms_ok", {"credit": f"{credit:,}", "type": p.info.get("type", "?"),
                                     "line": line})]  # fmt: skip


def _files(path: Path) -> Finding:
    """Writable (a file is made and removed) and with room to spare."""
    shown = str(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".doctor-"):
            pass
        free = shutil.disk_usage(path).free / 1e9
    except OSError as exc:
        return Finding("error", "files_bad", {"path": shown, "error": exc.strerror or exc})
    level = "warning" if free < MIN_FREE_GB else "ok"
    return Finding(level, "files_low" if level == "warning" else "files_ok",
                   {"path": shown, "free": f"{free:.1f}"})  # fmt: skip


def _clock(rt: Runtime, server_date: str | None, lang: str) -> Finding:
    now = rt.clock()
    params: dict[str, object] = {
        "local": format_datetime(now, rt.settings.tz, lang), "zone": rt.settings.timezone,
    }  # fmt: skip
    if not server_date:
        return Finding("ok", "clock_local", params)
    try:
        theirs: datetime = parsedate_to_datetime(server_date)
    except (TypeError, ValueError):
        return Finding("ok", "clock_local", params)
    skew = abs((now - theirs).total_seconds())
    server = rt.settings.telegram_api_url.split("//")[-1].split("/")[0]
    if skew > MAX_SKEW:
        return Finding("warning", "clock_skew", {"skew": int(skew), "server": server})
    return Finding("ok", "clock_ok", params | {"server": server, "skew": int(MAX_SKEW)})


async def diagnose(rt: Runtime, lang: str = "fa") -> list[Finding]:
    out = _settings_findings(rt.settings)
    db, (tg, date), sms = await asyncio.gather(_database(rt), _telegram(rt), _kavenegar(rt, lang))
    out += db + tg + sms
    out.append(await asyncio.to_thread(_files, rt.settings.files_dir))
    out.append(_clock(rt, date, lang))
    return out


def render(catalog: Catalog, lang: str, findings: list[Finding]) -> list[str]:
    labels = {lv: catalog.t(lang, f"ops.doctor.{lv}") for lv in LEVELS}
    width = max(len(v) for v in labels.values())
    lines = [f"[{labels[f.level]:<{width}}] {catalog.t(lang, f'ops.doctor.{f.key}', **f.params)}"
             for f in findings]  # fmt: skip
    errors = sum(f.level == "error" for f in findings)
    warnings = sum(f.level == "warning" for f in findings)
    lines.append(catalog.t(lang, "ops.doctor.summary", errors=errors, warnings=warnings))
    return lines


async def run_doctor(lang: str = "fa") -> int:
    """Load the settings itself: a malformed setting is one of the things it reports."""
    catalog = Catalog()
    try:
        settings = load_settings()
    except SettingsError as exc:
        findings = [Finding("error", "settings_bad", {"error": str(exc)})]
        print("\n".join(render(catalog, lang, findings)))
        return 1
    rt = await open_runtime(settings, catalog=catalog)
    try:
        findings = await diagnose(rt, lang)
    finally:
        await rt.close()
    print("\n".join(render(catalog, lang, findings)), flush=True)
    return 1 if any(f.level == "error" for f in findings) else 0
