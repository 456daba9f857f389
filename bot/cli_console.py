"""`amayesh staff password U` sets a web console password (asked twice, or from a file);
`amayesh staff signout U` ends every session of that username."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path

from bot.cli_admin import cli_actor
from handlers.runtime import Runtime
from handlers.staff_signin import MIN_PASSWORD, end_sessions, set_password

REASONS = {"no_user": "no staff member has that username (`staff add … --username`)",
           "short": f"a password has at least {MIN_PASSWORD} characters"}  # fmt: skip


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    staff = next(a for a in sub.choices["staff"]._actions
                 if isinstance(a, argparse._SubParsersAction))  # fmt: skip
    p = staff.add_parser("password", help="set the web console password of a username")
    p.add_argument("username")
    p.add_argument("--password-file", type=Path, help="read it from this file (first line)")
    p.set_defaults(func=cmd_staff_password)
    p = staff.add_parser("signout", help="end every web console session of a username")
    p.add_argument("username")
    p.set_defaults(func=cmd_staff_signout)


async def _ask() -> str | None:
    """Twice on a terminal, never echoed; None when the two differ or there is no terminal."""
    if not sys.stdin.isatty():
        print("no terminal to ask on: give --password-file")
        return None
    first = await asyncio.to_thread(getpass.getpass, "new password: ")
    second = await asyncio.to_thread(getpass.getpass, "again: ")
    if first != second:
        print("the two passwords differ; nothing changed")
        return None
    return first


async def cmd_staff_password(rt: Runtime, args: argparse.Namespace) -> int:
    if args.password_file:
        try:
            text = await asyncio.to_thread(args.password_file.read_text, encoding="utf-8")
        except OSError as exc:
            print(f"cannot read {args.password_file}: {exc}")
            return 1
        password: str | None = text.splitlines()[0] if text else ""
    else:
        password = await _ask()
    if password is None:
        return 1
    async with rt.db.session() as s:
        refused = await set_password(rt, s, cli_actor(), args.username, password)
    if refused:
        print(f"password not set: {REASONS[refused]}")
        return 1
    print(f"password of {args.username} set; their open sessions ended")
    return 0


async def cmd_staff_signout(rt: Runtime, args: argparse.Namespace) -> int:
    async with rt.db.session() as s:
        ended = await end_sessions(rt, s, cli_actor(), args.username)
    if ended is None:
        print(f"no sessions ended: {REASONS['no_user']}")
        return 1
    print(f"{ended} sessions of {args.username} ended")
    return 0
