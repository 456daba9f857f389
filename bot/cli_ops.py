"""Operations commands: doctor, backup, restore."""

from __future__ import annotations

import argparse
from pathlib import Path

from handlers.runtime import Runtime


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("doctor", help="check settings, database, bot, webhook, SMS, files, clock")
    p.add_argument("--lang", choices=["fa", "en"], default="fa", help="language of the report")
    # Loads the settings itself: a malformed one is a finding, not a failure to start.
    p.set_defaults(func=cmd_doctor, standalone=True)
    p = sub.add_parser("backup", help="write the database and the slip files to one archive")
    p.add_argument("file", type=Path, help="the archive to write (.tar.gz)")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="restore a backup archive into an empty database")
    p.add_argument("file", type=Path, help="an archive written by `amayesh backup`")
    p.add_argument("--force", action="store_true", help="replace a database that has data")
    p.set_defaults(func=cmd_restore)


async def cmd_doctor(rt: Runtime | None, args: argparse.Namespace) -> int:
    from bot.doctor import run_doctor

    return await run_doctor(args.lang)


async def cmd_backup(rt: Runtime, args: argparse.Namespace) -> int:
    from bot.backup import backup

    summary = await backup(rt, args.file)
    print(summary)
    return 0


async def cmd_restore(rt: Runtime, args: argparse.Namespace) -> int:
    from bot.backup import BackupError, restore

    try:
        summary = await restore(rt, args.file, force=args.force)
    except BackupError as exc:
        print(f"amayesh restore: {exc}")
        return 1
    print(summary)
    return 0
