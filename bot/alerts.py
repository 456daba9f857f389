"""Alerts to the admins, through the outbox like every other message (a scheduler hook).

Conditions: SMS credit below AMAYESH_SMS_CREDIT_WARN, more than AMAYESH_ALERT_FAILURES rows
failed within an hour, Telegram reporting webhook errors (getWebhookInfo), a planned outage
starting, more than AMAYESH_ALERT_INBOX_BACKLOG updates stored and not handled for
BACKLOG_LASTING (a burst of answers to a broadcast drains sooner and says nothing).

Each alert is one outbox row per recipient with a key naming the condition and its episode, so
however many processes check and however often, a condition gives one message per episode:
a planned outage one per outage; a lasting condition one per AMAYESH_ALERT_REPEAT_HOURS window.
Recipients: AMAYESH_STAFF_CHAT_ID (a staff group) when set, else each active admin's chat.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot import health
from bot.metrics import reason_of
from handlers.jalali import format_datetime
from handlers.runtime import Runtime
from storage import inbox as inbox_store
from storage import monitoring
from storage import outages as outage_store
from storage.outbox import enqueue

log = logging.getLogger(__name__)

CHECK_EVERY = timedelta(seconds=60)  # the probes behind it are asked once a minute anyway
FAILURE_WINDOW = timedelta(hours=1)
WEBHOOK_ERROR_WINDOW = timedelta(minutes=15)  # a getWebhookInfo error this recent is current
BACKLOG_LASTING = timedelta(minutes=5)  # above the threshold at every check for this long


@dataclass
class Alert:
    kind: str  # credit | failures | webhook | outage | backlog
    episode: str  # with kind, names the condition's occurrence: one message per episode
    params: dict[str, object] = field(default_factory=dict)


@dataclass
class _State:
    """This process's memory between checks: when it last checked, failed counts seen."""

    last: datetime | None = None
    failed: deque[tuple[datetime, int]] = field(default_factory=deque)
    logged: set[str] = field(default_factory=set)  # episodes already written to the log
    backlog_since: datetime | None = None  # first check of the current run above the threshold


def _state(rt: Runtime) -> _State:
    st: _State | None = vars(rt).get("_alerts")
    if st is None:
        st = vars(rt)["_alerts"] = _State()
    return st


def _window(rt: Runtime, now: datetime) -> str:
    """The repeat window `now` falls in: a lasting condition alerts again in the next one."""
    return str(int(now.timestamp() // (rt.settings.alert_repeat_hours * 3600)))


async def _credit(rt: Runtime, now: datetime) -> list[Alert]:
    warn = rt.settings.sms_credit_warn
    if rt.sms is None or warn <= 0:
        return []
    probe = await health.kavenegar(rt)
    raw = probe.info.get("remaincredit") if probe.ok else None
    if raw is None or (credit := int(float(raw))) >= warn:
        return []
    return [Alert("credit", _window(rt, now), {"credit": f"{credit:,}", "warn": f"{warn:,}"})]


async def _failures(rt: Runtime, now: datetime) -> list[Alert]:
    """Rows failed since the oldest count this process saw within the last hour."""
    st = _state(rt)
    async with rt.db.session() as s:
        total = await monitoring.failed_count(s)
        top = await monitoring.failures_by_error(s, limit=1)
    st.failed.append((now, total))
    while len(st.failed) > 1 and now - st.failed[1][0] >= FAILURE_WINDOW:
        st.failed.popleft()  # keep one sample at least an hour old as the baseline
    grown = total - st.failed[0][1]
    threshold = rt.settings.alert_failures
    if grown < threshold:
        return []
    reason = reason_of(top[0][0]) if top else "?"
    return [Alert("failures", _window(rt, now), {"count": grown, "threshold": threshold,
                                                  "reason": reason})]  # fmt: skip


async def _webhook(rt: Runtime, now: datetime) -> list[Alert]:
    if rt.settings.telegram_token is None or not rt.settings.webhook_url:
        return []
    probe = await health.webhook_info(rt)
    at = probe.info.get("last_error_date") if probe.ok else None
    window = WEBHOOK_ERROR_WINDOW.total_seconds()
    if not isinstance(at, int | float) or now.timestamp() - at > window:
        return []
    error = str(probe.info.get("last_error_message") or "?")[:200]
    pending = probe.info.get("pending_update_count", 0)
    return [Alert("webhook", _window(rt, now), {"error": error, "pending": pending})]


async def _outage(rt: Runtime, now: datetime) -> list[Alert]:
    async with rt.db.session() as s:
        outage = await outage_store.active_or_upcoming(s, now)
    if outage is None or outage.starts_at > now:
        return []
    tz, lang = rt.settings.tz, rt.settings.default_language
    return [Alert("outage", str(outage.id), {
        "start": format_datetime(outage.starts_at, tz, lang),
        "end": format_datetime(outage.ends_at, tz, lang), "reason": outage.reason,
    })]  # fmt: skip


async def _backlog(rt: Runtime, now: datetime) -> list[Alert]:
    """Updates waiting in the inbox (every bot), above the threshold since BACKLOG_LASTING."""
    threshold, st = rt.settings.alert_inbox_backlog, _state(rt)
    if threshold <= 0:
        return []
    async with rt.db.session() as s:
        waiting = await inbox_store.backlog(s)
    if waiting <= threshold:
        st.backlog_since = None  # drained: a later rise starts counting afresh
        return []
    since = st.backlog_since = st.backlog_since or now
    if now - since < BACKLOG_LASTING:
        return []
    minutes = int((now - since).total_seconds() // 60)
    return [Alert("backlog", _window(rt, now), {"count": waiting, "threshold": threshold,
                                                 "minutes": minutes})]  # fmt: skip


CONDITIONS: tuple[Callable[[Runtime, datetime], Awaitable[list[Alert]]], ...] = (
    _credit, _failures, _webhook, _outage, _backlog,
)  # fmt: skip


async def recipients(rt: Runtime) -> list[str]:
    if rt.settings.staff_chat_id is not None:
        return [str(rt.settings.staff_chat_id)]
    async with rt.db.session() as s:
        return [str(t) for t in await monitoring.admin_chats(s)]


async def send(rt: Runtime, alerts: list[Alert]) -> list[int]:
    """Queue each alert once per recipient; returns the ids of the rows written now."""
    if not alerts:
        return []
    chats = await recipients(rt)
    lang, logged = rt.settings.default_language, _state(rt).logged
    ids: list[int] = []
    async with rt.db.serial(), rt.db.session() as s:
        for a in alerts:
            text = rt.t(lang, f"ops.alert.{a.kind}", **a.params)
            new = [
                await enqueue(
                    s, key=f"alert:{a.kind}:{a.episode}:{chat}", kind="alert", channel="telegram",
                    address=chat, text=text, lang=lang, urgent=True,
                )
                for chat in chats
            ]  # fmt: skip
            fresh = [i for i in new if i is not None]
            ids += fresh
            episode = f"{a.kind}:{a.episode}"
            if episode not in logged:  # the log says it too, once per episode and process
                logged.add(episode)
                log.warning("alert %s to %d chats: %s", a.kind, len(fresh),
                            rt.t("en", f"ops.alert.{a.kind}", **a.params))  # fmt: skip
    if not chats and "no-recipient" not in logged:
        logged.add("no-recipient")
        log.warning("alerts have no recipient: add an admin (amayesh staff add --role admin)")
    return ids


async def check(rt: Runtime, *, force: bool = False) -> list[int]:
    """One round: every condition that holds is queued (once per episode)."""
    now, st = rt.clock(), _state(rt)
    if not force and st.last is not None and now - st.last < CHECK_EVERY:
        return []
    st.last = now
    found: list[Alert] = []
    for condition in CONDITIONS:
        try:
            found += await condition(rt, now)
        except Exception:
            log.exception("alert check %s failed", condition.__name__)
    return await send(rt, found)


def alerts_hook() -> Callable[[Runtime], Awaitable[object]]:
    """The scheduler hook (`amayesh run`)."""

    async def alerts(rt: Runtime) -> object:
        return await check(rt)

    return alerts
