"""`amayesh sms …`: the Kavenegar account, one-off polls, and trying keywords without a phone."""

from __future__ import annotations

import argparse
import secrets
from datetime import UTC, datetime

from handlers.runtime import Runtime
from sms.kavenegar import KavenegarError, KavenegarTransportError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sms = sub.add_parser("sms", help="SMS gateway").add_subparsers(dest="sms_cmd", required=True)
    sms.add_parser("credit", help="the Kavenegar account's credit").set_defaults(func=cmd_credit)
    p = sms.add_parser("reports", help="poll delivery reports (sms/status) once")
    p.set_defaults(func=cmd_reports)
    p = sms.add_parser("receive", help="poll inbound SMS (sms/receive) on the sender line once")
    p.set_defaults(func=cmd_receive)
    p = sms.add_parser("simulate", help="answer a text as if MOBILE had sent it; print the reply")
    p.add_argument("mobile")
    p.add_argument("text", nargs="+")
    p.set_defaults(func=cmd_simulate)


def _no_gateway(rt: Runtime) -> bool:
    if rt.sms is None:
        print("SMS is off: set AMAYESH_KAVENEGAR_API_KEY")
        return True
    return False


async def cmd_credit(rt: Runtime, args: argparse.Namespace) -> int:
    """Remaining credit and the account's expiry."""
    if _no_gateway(rt) or rt.sms is None:
        return 2
    try:
        info = await rt.sms.account_info()
    except (KavenegarError, KavenegarTransportError) as exc:
        print(f"kavenegar: {exc}")
        return 1
    credit = int(info.get("remaincredit") or 0)
    expires = datetime.fromtimestamp(int(info.get("expiredate") or 0), UTC).date()
    parts = credit // rt.settings.sms_cost_rials if rt.settings.sms_cost_rials else 0
    print(f"credit: {credit:,} rials (about {parts:,} SMS parts); account expires {expires}")
    return 0


async def cmd_reports(rt: Runtime, args: argparse.Namespace) -> int:
    """Record delivery codes for SMS sent in the last 48 hours."""
    from sms.poller import poll_delivery_reports  # imports every feature: only when used

    await rt.db.check_migrated()
    if _no_gateway(rt):
        return 2
    print(f"{await poll_delivery_reports(rt)} outbox rows updated")
    return 0


async def cmd_receive(rt: Runtime, args: argparse.Namespace) -> int:
    """Fetch and answer unread inbound SMS once (what AMAYESH_SMS_RECEIVE=poll does in a loop)."""
    from sms.poller import route_fetched

    await rt.db.check_migrated()
    if _no_gateway(rt) or rt.sms is None:
        return 2
    if not rt.settings.sms_sender:
        print("set AMAYESH_SMS_SENDER: the line to read")
        return 2
    fetched = await rt.sms.receive(rt.settings.sms_sender, isread=False)
    failed = await route_fetched(rt, fetched)
    print(f"{len(fetched)} received, {len(failed)} not routed")
    return 1 if failed else 0


async def cmd_simulate(rt: Runtime, args: argparse.Namespace) -> int:
    """Route a text through the keyword table and print the reply; nothing is kept or sent."""
    from sms.keywords import route

    await rt.db.check_migrated()
    message_id = f"sim-{secrets.token_hex(6)}"
    reply = await route(rt, args.mobile, " ".join(args.text), message_id, dry_run=True)
    print(reply if reply is not None else "(no reply: the mobile number is not usable)")
    return 0
