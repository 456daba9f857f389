"""`amayesh worker` (delivery worker + scheduler) and a minimal `amayesh broadcast`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import signal

from bot.cli_admin import add_lang, staff_lang
from bot.runtime import Process
from handlers import broadcasts as bc
from handlers.fmt import num
from handlers.staff_auth import CLI_PREFIX


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("worker", help="deliver the outbox (more may run on PostgreSQL)")
    p.add_argument("--no-scheduler", action="store_true", help="only send, no periodic chores")
    p.add_argument("--lease", type=float, default=15.0, metavar="SECONDS",
                   help="how long a claimed row stays ours if this process dies")  # fmt: skip
    p.set_defaults(func=cmd_worker)
    b = sub.add_parser("broadcast", help="send a message to a segment of the registry")
    bsub = b.add_subparsers(dest="bc_cmd", required=True)
    p = bsub.add_parser("send", help="create (and start or schedule) a broadcast")
    p.add_argument("segment", help='e.g. "province=خراسان جنوبی,language=prs" ("" = everyone)')
    p.add_argument(
        "--text",
        action="append",
        default=[],
        metavar="LANG=TEXT",
        help="the text in one language (repeat for others); fa is the fallback",
    )
    p.add_argument("--sms-text", help="a short text for those reached by SMS")
    p.add_argument("--at", help="Jalali date and time, Tehran time: 1405/09/10 09:00")
    p.set_defaults(func=cmd_send)
    add_lang(p)
    for name in ("pause", "resume", "cancel", "start", "progress", "report"):
        p = bsub.add_parser(name, help=f"{name} a broadcast")
        p.add_argument("id", type=int)
        p.set_defaults(func=cmd_action, action=name)
        add_lang(p)


async def cmd_worker(rt: Process, args: argparse.Namespace) -> int:
    """Run the worker (and the scheduler) until SIGINT/SIGTERM."""
    from bot.scheduler import run_scheduler
    from bot.worker import run_worker

    await rt.db.check_migrated()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    jobs = [run_worker(rt, stop, lease_seconds=args.lease)]
    if not args.no_scheduler:
        jobs.append(run_scheduler(rt, stop))
    await asyncio.gather(*jobs)
    return 0


def _actor() -> str:
    return f"{CLI_PREFIX}{getpass.getuser()}"


async def cmd_send(rt: Process, args: argparse.Namespace) -> int:
    lang = staff_lang(rt, args)
    texts = dict(t.split("=", 1) if "=" in t[:4] else ("fa", t) for t in args.text)
    try:
        async with rt.db.session() as s:
            b = await bc.create_broadcast(rt, s, _actor(), args.segment, texts,
                                          sms_text=args.sms_text, when=args.at)  # fmt: skip
    except bc.BroadcastError as exc:
        print(exc.text(rt, lang))
        return 1
    print(rt.t(lang, "staff.bc.cli.queued", id=num(b.id, lang),
               state=bc.state_name(rt, lang, b.state), total=num(b.total, lang)))  # fmt: skip
    return 0


async def cmd_action(rt: Process, args: argparse.Namespace) -> int:
    acts = {"pause": bc.pause_broadcast, "resume": bc.resume_broadcast,
            "cancel": bc.cancel_broadcast, "start": bc.start_broadcast}  # fmt: skip
    lang = staff_lang(rt, args)
    try:
        async with rt.db.session() as s:
            if args.action == "progress":
                print(bc.format_progress(rt, lang, await bc.broadcast_progress(rt, s, args.id)))
            elif args.action == "report":
                print(bc.format_report(rt, lang, await bc.broadcast_report(rt, s, args.id)))
            else:
                b = await acts[args.action](rt, s, _actor(), args.id)
                print(rt.t(lang, "staff.bc.cli.state", id=num(b.id, lang),
                           state=bc.state_name(rt, lang, b.state)))  # fmt: skip
    except bc.BroadcastError as exc:
        print(exc.text(rt, lang))
        return 1
    return 0
