"""`amayesh retention run [--dry-run]` and the scheduler's part: every tick, one-time codes
past their deadline are scrubbed from the outbox whatever became of the row; once a day, texts
and payloads of messages sent more than AMAYESH_RETENTION_DAYS ago are cleared (and whatever
storage.retention.HOOKS add, e.g. the inbound inbox) and hashed codes older than two days are
deleted (the guessing limits look back one day)."""

from __future__ import annotations

import argparse
import logging
from datetime import timedelta

from handlers.runtime import Runtime
from storage import otp
from storage import retention as store
from storage.admin import audit

log = logging.getLogger(__name__)

DAILY = timedelta(days=1)
CODES_KEPT = timedelta(days=2)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    r = sub.add_parser("retention", help="clear old message texts and expired codes")
    rsub = r.add_subparsers(dest="retention_cmd", required=True)
    p = rsub.add_parser("run", help="clear what is older than AMAYESH_RETENTION_DAYS now")
    p.add_argument("--dry-run", action="store_true", help="only count what would be cleared")
    p.set_defaults(func=cmd_run)


async def run(rt: Runtime, dry_run: bool = False) -> dict[str, int]:
    """One pass; returns what was (or would be) cleared, by store."""
    now = rt.clock()
    before = now - timedelta(days=rt.settings.retention_days)
    out: dict[str, int] = {}
    async with rt.db.session() as s:
        out["outbox_texts"] = await store.clear_outbox(s, before, dry_run)
        for name, hook in store.HOOKS.items():
            out[name] = await hook(s, before, dry_run)
        out["otp_codes"] = await otp.delete_old_codes(s, now - CODES_KEPT, dry_run)
        if not dry_run:
            await audit(s, "system", "retention.run", f"before:{before:%Y-%m-%d}", after=out)
    return out


async def chore(rt: Runtime) -> None:
    """The scheduler's: scrub stale codes every tick, the rest once a day per process."""
    async with rt.db.session() as s:
        n = await otp.scrub_stale_codes(s, rt.clock())
    if n:
        log.info("scrubbed %d one-time codes past their deadline", n)
    due = rt.memo.get("retention_next")
    if due is not None and rt.clock() < due:
        return
    rt.memo["retention_next"] = rt.clock() + DAILY
    cleared = await run(rt)
    if any(cleared.values()):
        log.info("retention: %s", ", ".join(f"{k} {v}" for k, v in cleared.items()))


async def cmd_run(rt: Runtime, args: argparse.Namespace) -> int:
    cleared = await run(rt, dry_run=args.dry_run)
    verb = "would clear" if args.dry_run else "cleared"
    days = rt.settings.retention_days
    print(f"retention ({days} days): {verb} " + ", ".join(f"{k}: {v}" for k, v in cleared.items()))
    return 0
