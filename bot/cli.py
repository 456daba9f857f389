"""The `amayesh` command line: parses arguments, loads settings, runs one async command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from bot import (
    cli_admin,
    cli_cases,
    cli_console,
    cli_delivery,
    cli_ops,
    cli_outbox,
    cli_service,
    cli_sms,
    cli_staff,
    lograte,
    redact,
    retention,
)
from bot.logs import format_from_env, setup_logging
from bot.runtime import Runtime, open_runtime
from bot.settings import SettingsError, load_settings
from storage.db import NotMigrated

Command = Callable[[Runtime, argparse.Namespace], Awaitable[int]]
Standalone = Callable[[None, argparse.Namespace], Coroutine[Any, Any, int]]  # opens no Runtime
# Each module adds its sub-commands; keeps this file the same size as features grow.
# cli_staff and cli_cases after the groups they extend (import, campaign, broadcast).
MODULES = (
    cli_service, cli_admin, cli_console, cli_sms, cli_delivery, cli_staff, cli_cases, cli_outbox,
    retention, cli_ops,
)  # fmt: skip
SERVING = ("run", "worker", "start")  # long-running: INFO logs (`start` quiets them for a shell)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="amayesh", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--lang", help="staff output language (default AMAYESH_DEFAULT_LANGUAGE)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in MODULES:
        module.register(sub)
    return parser


async def _run(command: Command, args: argparse.Namespace) -> int:
    settings = load_settings()
    redact.add_secrets(settings.telegram_token, settings.webhook_secret,
                       settings.inbound_secret, settings.kavenegar_api_key)  # fmt: skip
    rt = await open_runtime(settings)
    try:
        return await command(rt, args)
    finally:
        await rt.close()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # One line per event, text or JSON (bot/logs.py); it also quiets httpx, whose request
    # lines carry the Bot API token. Servers log what they do; one-shot commands and the
    # terminal chat print their answers and log only warnings (to stderr), so no log line
    # lands between a command's lines.
    # setup_logging leaves a root logger that already has handlers alone (an embedding
    # program, pytest): then so do the level and the filters, which keep state across calls.
    if setup_logging(verbose=args.verbose, fmt=format_from_env()) is not None:
        if not args.verbose and args.command not in SERVING:
            logging.getLogger().setLevel(logging.WARNING)
        lograte.install()  # repeats counted first (by message template), then every line redacted
        redact.install()
    # Alembic's "Context impl SQLiteImpl." came with every command's migration check.
    if not args.verbose and args.command != "db":
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        if getattr(args, "standalone", False):  # loads its own settings (amayesh doctor)
            standalone: Standalone = args.func
            return asyncio.run(standalone(None, args))
        return asyncio.run(_run(args.func, args))
    except (SettingsError, NotMigrated) as exc:
        print(f"amayesh: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
