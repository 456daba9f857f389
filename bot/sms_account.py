"""The SMS account's health: hold rows while Kavenegar refuses the account (no credit, disabled,
key or line trouble), tell the admins once, and let the rows go again by themselves when
`account/info` shows it can send; warn when the credit falls below AMAYESH_SMS_CREDIT_WARN.

The alert goes through the outbox to every active admin's chat (and to the log), with an
idempotency key per error and Tehran day, so a second process or a restart does not repeat it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.runtime import Runtime
from bot.sms_out import HELD_PREFIX
from sms.kavenegar import KavenegarError, KavenegarTransportError
from storage import sms_account as store

log = logging.getLogger(__name__)

# How often account/info is asked: every minute while rows are held, else every half hour
# (only for the low-credit warning; a call costs nothing but a request).
HELD_EVERY = timedelta(minutes=1)
IDLE_EVERY = timedelta(minutes=30)


async def alert_held(rt: Runtime, status: int, message: str) -> None:
    """The sender hit an account-level error: log it and queue the admins' alert."""
    log.error("sms account refused (kavenegar %d: %s): SMS are held until it can send again",
              status, message)  # fmt: skip
    day = rt.clock().astimezone(rt.settings.tz).date().isoformat()
    text = rt.t("fa", "outbound.sms_held", status=status, reason=message)
    async with rt.db.session() as s:
        await store.alert_admins(s, f"alert:sms-held:{status}:{day}", text)


async def check(rt: Runtime) -> None:
    """A scheduler chore: release held rows when the account can send; warn on low credit."""
    if rt.sms is None:
        return
    now = rt.clock()
    async with rt.db.session() as s:
        held = await store.held_count(s, HELD_PREFIX)
    state = vars(rt).setdefault("_sms_account", {"next": now})
    if now < state["next"]:
        return
    state["next"] = now + (HELD_EVERY if held else IDLE_EVERY)
    try:
        info = await rt.sms.account_info()
    except (KavenegarError, KavenegarTransportError) as exc:
        log.warning("kavenegar account/info failed: %s", exc)
        return
    credit = _credit(info)
    if held and (credit is None or credit > 0):
        async with rt.db.session() as s:
            n = await store.release_held(s, HELD_PREFIX, now)
        delivery = vars(rt).get("_delivery")
        if delivery is not None:
            delivery.sms.hold = None
        log.warning("sms account can send again (credit %s): %d held rows released", credit, n)
        day = now.astimezone(rt.settings.tz).date().isoformat()
        async with rt.db.session() as s:
            text = rt.t("fa", "outbound.sms_resumed", count=n)
            await store.alert_admins(s, f"alert:sms-resumed:{now:%Y%m%d%H%M}:{day}", text)
    # Low credit (AMAYESH_SMS_CREDIT_WARN) is bot/alerts.py's: one alert per repeat window.


def _credit(info: object) -> int | None:
    """remaincredit from account/info (Rials), None when it is not there."""
    if isinstance(info, dict) and info.get("remaincredit") is not None:
        try:
            return int(float(info["remaincredit"]))
        except (TypeError, ValueError):
            return None
    return None
