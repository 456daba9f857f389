"""Commands that run things: start, run, db upgrade, demo."""

from __future__ import annotations

import argparse
import logging

from bot.runtime import Process
from handlers.demo import load_demo

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("start", help="migrate, load demo data if empty, then run (or shell)")
    p.set_defaults(func=cmd_start)
    p = sub.add_parser("run", help="the whole service: HTTP server, bot, worker, scheduler")
    p.set_defaults(func=cmd_run)
    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_cmd", required=True)
    db.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)
    p = sub.add_parser("demo", help="load a demo campaign and households into an empty database")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("shell", help="chat with the bot in the terminal")
    p.add_argument("--chat-id", default="shell", help="the terminal's chat identity")
    p.set_defaults(func=cmd_shell)


async def cmd_db_upgrade(rt: Process, args: argparse.Namespace) -> int:
    """Apply every migration; safe to run again."""
    await rt.db.upgrade()
    print("database is up to date")
    return 0


async def cmd_demo(rt: Process, args: argparse.Namespace) -> int:
    """Load the demo data, once."""
    await rt.db.check_migrated()
    now = rt.clock()
    async with rt.db.session() as s:
        loaded = await load_demo(s, now.astimezone(rt.settings.tz).date(), now)
    print("demo data loaded" if loaded else "the registry is not empty; demo data not loaded")
    return 0


async def cmd_start(rt: Process, args: argparse.Namespace) -> int:
    """The quick start: everything a first run needs, then the bot or the terminal chat."""
    await cmd_db_upgrade(rt, args)
    await cmd_demo(rt, args)
    if rt.settings.telegram_token is None:
        print("no AMAYESH_TELEGRAM_TOKEN set: opening the terminal chat on demo data")
        return await cmd_shell(rt, argparse.Namespace(chat_id="shell"))
    return await cmd_run(rt, args)


async def cmd_run(rt: Process, args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    from bot.service import run_service

    await rt.db.check_migrated()
    await run_service(rt)
    return 0


async def cmd_shell(rt: Process, args: argparse.Namespace) -> int:
    """The terminal chat (buttons become numbered choices)."""
    from bot.shell import quiet_logs, run_shell

    quiet_logs()
    await rt.db.check_migrated()
    return await run_shell(rt, str(args.chat_id))
