"""`amayesh outbox failed [--since]` and `amayesh outbox retry ID…|--all-failed`."""

from __future__ import annotations

import argparse
import getpass
from datetime import datetime, time

from handlers import outbox_admin
from handlers.jalali import parse_jalali_date
from handlers.runtime import Runtime
from handlers.staff_auth import CLI_PREFIX


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    o = sub.add_parser("outbox", help="messages that could not be delivered")
    osub = o.add_subparsers(dest="outbox_cmd", required=True)
    p = osub.add_parser("failed", help="list failed messages (newest first)")
    p.add_argument("--since", metavar="DATE", help="Jalali 1405/09/10 or ISO 2026-12-01")
    p.set_defaults(func=cmd_failed)
    p = osub.add_parser("retry", help="send failed messages again (audited)")
    p.add_argument("ids", nargs="*", type=int, metavar="ID")
    p.add_argument("--all-failed", action="store_true", help="every failed message")
    p.set_defaults(func=cmd_retry)


def _since(rt: Runtime, text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        day = datetime.fromisoformat(text).date() if "-" in text else parse_jalali_date(text)
    except ValueError as exc:
        raise SystemExit(f"amayesh: --since {text!r}: {exc}") from None
    return datetime.combine(day, time(0), tzinfo=rt.settings.tz)


async def cmd_failed(rt: Runtime, args: argparse.Namespace) -> int:
    actor = f"{CLI_PREFIX}{getpass.getuser()}"
    async with rt.db.session() as s:
        rows = await outbox_admin.list_failed(rt, s, actor, _since(rt, args.since))
        lines = [outbox_admin.describe(rt, r) for r in rows]
    print("\n".join(lines) if lines else "no failed messages")
    return 0


async def cmd_retry(rt: Runtime, args: argparse.Namespace) -> int:
    if bool(args.ids) == bool(args.all_failed):
        print("amayesh: give message ids or --all-failed")
        return 2
    actor = f"{CLI_PREFIX}{getpass.getuser()}"
    async with rt.db.session() as s:
        done = await outbox_admin.retry_failed(rt, s, actor, None if args.all_failed else args.ids)
    missing = sorted(set(args.ids) - set(done))
    print(f"requeued {len(done)} messages" + (f"; not failed or not found: {missing}" if missing
                                               else ""))  # fmt: skip
    return 0 if not missing else 1
