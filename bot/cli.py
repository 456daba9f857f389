"""The `amayesh` command line: parses arguments, loads settings, runs one async command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable

from bot import cli_admin, cli_console, cli_delivery, cli_service, cli_sms, cli_staff
from bot.runtime import Runtime, open_runtime
from bot.settings import SettingsError, load_settings
from storage.db import NotMigrated

Command = Callable[[Runtime, argparse.Namespace], Awaitable[int]]
# Each module adds its sub-commands; keeps this file the same size as features grow.
# cli_staff last: it extends the import, campaign and broadcast groups registered before it.
MODULES = (cli_service, cli_admin, cli_console, cli_sms, cli_delivery, cli_staff)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="amayesh", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in MODULES:
        module.register(sub)
    return parser


async def _run(command: Command, args: argparse.Namespace) -> int:
    rt = await open_runtime(load_settings())
    try:
        return await command(rt, args)
    finally:
        await rt.close()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        return asyncio.run(_run(args.func, args))
    except (SettingsError, NotMigrated) as exc:
        print(f"amayesh: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
