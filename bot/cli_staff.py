"""Staff commands: broadcast (preview, confirm, status, cancel), bulk case imports, outages,
the daily report, campaign announcements, exemptions and identity checks."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TypeAlias

from bot.cli_admin import add_lang, cli_actor, staff_lang
from bot.runtime import Runtime
from handlers import announce, casework, imports, outages, report
from handlers import broadcasts as bc
from handlers import staff_broadcast as sb
from handlers.jalali import parse_jalali_date, parse_jalali_datetime
from storage.broadcasts import Progress
from storage.models import Broadcast

Sub: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
FOLLOW_EVERY = 2.0
IMPORT_HELP = {
    "statuses": """columns (UTF-8 CSV with a header row): card_number, status, note (optional),
at (optional, Jalali date and time). Example row:
  100200300,docs_review,مدارک کامل است,1405/09/02 10:30
A card with no case in the open campaign covering it gets one (registered, then the row's
status). A row dated before the case's last event is refused. One bad row imports nothing.""",
    "appointments": """columns (UTF-8 CSV with a header row): card_number, office, address,
starts_at (Jalali date and time), attendees, purpose. Example row:
  100200300,دفتر کفالت شماره ۱ بیرجند,بیرجند، خیابان طالقانی,1405/09/05 09:00,همه اعضا,عکس
A row already imported (same card and time) is skipped. One bad row imports nothing.""",
}


def _group(sub: Sub, name: str, help: str) -> Sub:
    """The sub-command group of `name`, reusing one another module already registered."""
    parser = sub.choices.get(name) or sub.add_parser(name, help=help)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest=f"{name}_op", required=True)


def register(sub: Sub) -> None:
    _register_broadcast(sub)
    imp = _group(sub, "import", "bulk imports")
    for what, func in (("statuses", cmd_import_statuses), ("appointments", cmd_import_appts)):
        p = imp.add_parser(what, help=f"{what} from a UTF-8 CSV (validated whole-file first)",
                           description=IMPORT_HELP[what],
                           formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
        p.add_argument("file", type=Path)
        p.set_defaults(func=func)
        add_lang(p)
    out = _group(sub, "outage", "planned outages")
    p = out.add_parser("schedule", help="record and announce a planned outage (72 h ahead)")
    p.add_argument("--from", dest="start", required=True, help="Jalali: 1405/09/10 22:00")
    p.add_argument("--to", dest="end", required=True)
    p.add_argument("--reason", required=True)
    p.add_argument("--force", action="store_true", help="allow under 72 hours (audited)")
    p.set_defaults(func=cmd_outage)
    add_lang(p)
    rep = _group(sub, "report", "reports")
    p = rep.add_parser("daily", help="the day's and the campaign's figures")
    p.add_argument("--date", help="Jalali day, default today")
    p.add_argument("--csv", type=Path, help="also write the CSV here")
    p.add_argument("--xlsx", type=Path, help="also write an Excel sheet (right to left) here")
    p.add_argument("--chart", type=Path, help="also write the PNG chart here")
    p.set_defaults(func=cmd_report)
    add_lang(p)
    p = _group(sub, "campaign", "campaigns").add_parser("announce", help="announce a campaign")
    p.add_argument("campaign", help="id or code")
    p.add_argument("--yes", action="store_true", help="send without asking")
    p.set_defaults(func=cmd_announce)
    add_lang(p)
    p = sub.add_parser("exempt", help="mark a fee exemption")
    p.add_argument("card")
    p.add_argument("--body", required=True, choices=casework.EXEMPTION_BODIES)
    p.add_argument("--certificate", required=True)
    p.set_defaults(func=cmd_exempt)
    add_lang(p)
    p = sub.add_parser("identity-check", help="mark a national's identity verified")
    p.add_argument("card")
    p.set_defaults(func=cmd_identity)
    add_lang(p)


def _register_broadcast(sub: Sub) -> None:
    group = _group(sub, "broadcast", "send a message to a segment of the registry")
    group.required = False  # `amayesh broadcast --segment …` creates one; sub-commands act on one
    parser = sub.choices["broadcast"]
    parser.add_argument("--segment", help='e.g. "province=خراسان جنوبی,language=prs"')
    parser.add_argument("--text-file", action="append", default=[], metavar="[LANG=]FILE",
                        help="the text (fa unless LANG= is given); repeat for ps, en…")  # fmt: skip
    parser.add_argument("--sms-text-file", type=Path, help="a short text for SMS")
    parser.add_argument("--at", help="Jalali date and time, Tehran: 1405/09/10 09:00")
    parser.add_argument("--dry-run", action="store_true", help="print the preview only")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.set_defaults(func=cmd_broadcast)
    add_lang(parser)
    if "status" not in group.choices:
        p = group.add_parser("status", help="progress with a progress bar")
        p.add_argument("id", type=int)
        p.add_argument("--follow", action="store_true", help="refresh until it is finished")
        p.set_defaults(func=cmd_broadcast_status)
        add_lang(p)
    if "cancel" not in group.choices:
        p = group.add_parser("cancel", help="cancel a broadcast")
        p.add_argument("id", type=int)
        p.set_defaults(func=cmd_broadcast_cancel)
        add_lang(p)


async def _read(path: Path) -> str:
    return await asyncio.to_thread(path.read_text, encoding="utf-8-sig")


async def _confirm(question: str, yes: bool) -> bool:
    """--yes goes ahead; a terminal is asked; off a terminal (a pipe, a cron job) nothing is
    sent without --yes: a piped "n" or an empty stdin must never send."""
    if yes:
        return True
    if not sys.stdin.isatty():
        print("not a terminal: add --yes to send without asking")
        return False
    answer = await asyncio.to_thread(input, f"{question} [y/N] ")
    return answer.strip().casefold() in ("y", "yes")


async def _texts(items: list[str]) -> dict[str, str]:
    texts = {}
    for item in items:
        lang, sep, name = item.partition("=")
        if not sep or len(lang) > 3:
            lang, name = "fa", item
        texts[lang.strip()] = (await _read(Path(name))).strip()
    return texts


async def cmd_broadcast(rt: Runtime, args: argparse.Namespace) -> int:
    """Preview, confirm, then queue now or schedule; prints the broadcast's id."""
    lang = staff_lang(rt, args)
    if args.segment is None or not args.text_file:
        print(rt.t(lang, "staff.bc.cli.need_args"))
        return 2
    try:
        texts = await _texts(args.text_file)
        sms = (await _read(args.sms_text_file)).strip() if args.sms_text_file else None
    except OSError as exc:
        print(f"cannot read: {exc}")
        return 1
    actor = cli_actor()
    try:
        async with rt.db.session() as s:
            when = bc.parse_when(rt, args.at)
            est = await sb.estimate(rt, s, actor, args.segment, texts, sms)
        print(sb.estimate_text(rt, lang, est, when))
        if args.dry_run:
            return 0
        if not await _confirm(rt.t(lang, "staff.bc.cli.confirm"), args.yes):
            print(rt.t(lang, "staff.bc.cli.discarded"))
            return 1
        async with rt.db.session() as s:
            b = await bc.create_broadcast(rt, s, actor, args.segment, texts, sms_text=sms,
                                          when=when)  # fmt: skip
    except bc.BroadcastError as exc:
        print(sb.error_text(rt, lang, exc))
        return 1
    print(_queued(rt, lang, b))
    return 0


def _queued(rt: Runtime, lang: str, b: Broadcast) -> str:
    return rt.t(lang, "staff.bc.cli.queued", id=sb.num(b.id, lang),
                state=sb.state_name(rt, lang, b.state), total=sb.num(b.total, lang))  # fmt: skip


async def _progress(rt: Runtime, bid: int) -> Progress:
    async with rt.db.session() as s:
        return await bc.broadcast_progress(rt, s, bid)


async def cmd_broadcast_status(rt: Runtime, args: argparse.Namespace) -> int:
    lang = staff_lang(rt, args)

    def line(p: Progress) -> str:
        head = rt.t(lang, "staff.bc.cli.state", id=sb.num(args.id, lang), state="").rstrip(" :")
        return f"{head}: {sb.progress_bar(rt, lang, p)}"

    try:
        p = await _progress(rt, args.id)
        print(line(p), flush=True)
        while args.follow and not sb.finished(p):
            await asyncio.sleep(FOLLOW_EVERY)
            p = await _progress(rt, args.id)
            print(line(p), flush=True)
    except bc.BroadcastError as exc:
        print(sb.error_text(rt, lang, exc))
        return 1
    return 0


async def cmd_broadcast_cancel(rt: Runtime, args: argparse.Namespace) -> int:
    lang = staff_lang(rt, args)
    try:
        async with rt.db.session() as s:
            b = await bc.cancel_broadcast(rt, s, cli_actor(), args.id)
    except bc.BroadcastError as exc:
        print(sb.error_text(rt, lang, exc))
        return 1
    print(rt.t(lang, "staff.bc.cli.state", id=sb.num(b.id, lang),
               state=sb.state_name(rt, lang, b.state)))  # fmt: skip
    return 0


async def _import(rt: Runtime, args: argparse.Namespace, run: imports.Importer) -> int:
    path, lang = args.file, staff_lang(rt, args)
    await rt.db.check_migrated()
    try:
        text = await _read(path)
        async with rt.db.session() as s:
            res = await run(rt, s, cli_actor(), text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        print(f"cannot import {path}: {exc}")
        return 1
    for err in res.errors:
        print(err)
    if res.errors:
        print(rt.t(lang, "staff.cli.errors", n=sb.num(len(res.errors), lang)))
        return 1
    print(rt.t(lang, "staff.cli.changed", changed=sb.num(res.changed, lang),
               unchanged=sb.num(res.unchanged, lang)))  # fmt: skip
    return 0


async def cmd_import_statuses(rt: Runtime, args: argparse.Namespace) -> int:
    return await _import(rt, args, imports.import_statuses)


async def cmd_import_appts(rt: Runtime, args: argparse.Namespace) -> int:
    return await _import(rt, args, imports.import_appointments)


async def cmd_outage(rt: Runtime, args: argparse.Namespace) -> int:
    tz = rt.settings.tz
    try:
        start, end = parse_jalali_datetime(args.start, tz), parse_jalali_datetime(args.end, tz)
    except ValueError as exc:
        print(f"bad date: {exc}")
        return 1
    async with rt.db.session() as s:
        out = await outages.schedule_outage(rt, s, cli_actor(), start, end, args.reason,
                                            args.force)  # fmt: skip
    print(out.text(rt, staff_lang(rt, args)))
    return 0 if out.ok else 1


async def cmd_report(rt: Runtime, args: argparse.Namespace) -> int:
    try:
        day = parse_jalali_date(args.date) if args.date else None
    except ValueError as exc:
        print(f"bad --date: {exc}")
        return 1
    async with rt.db.session() as s:
        rep = await report.daily_report(rt, s, cli_actor(), day)
    lang = staff_lang(rt, args)
    print(report.to_text(rt, rep, lang))
    if args.csv:
        await asyncio.to_thread(args.csv.write_text, report.to_csv(rep), encoding="utf-8")
    if args.xlsx:
        await asyncio.to_thread(args.xlsx.write_bytes, report.to_xlsx(rt, rep, lang))
    if args.chart:
        await asyncio.to_thread(args.chart.write_bytes, await report.chart_png(rt, rep, lang))
    return 0


async def cmd_announce(rt: Runtime, args: argparse.Namespace) -> int:
    """Build the announcement as a draft, show it with its preview, send on confirmation."""
    actor = cli_actor()
    async with rt.db.session() as s:
        b = await announce.announce_campaign(rt, s, actor, args.campaign)
        if b is None:
            print(f"no campaign {args.campaign!r}")
            return 1
        est = await sb.estimate(rt, s, actor, b.segment, b.texts, b.sms_text)
    lang = staff_lang(rt, args)
    print(b.texts["fa"], "\n", f"SMS: {b.sms_text}", "\n", sb.estimate_text(rt, lang, est), sep="")
    if not await _confirm(rt.t(lang, "staff.bc.cli.confirm_announce"), args.yes):
        print(rt.t(lang, "staff.bc.cli.draft_kept", id=b.id))
        return 0
    async with rt.db.session() as s:
        b = await bc.start_broadcast(rt, s, actor, b.id)
    print(_queued(rt, lang, b))
    return 0


async def cmd_exempt(rt: Runtime, args: argparse.Namespace) -> int:
    async with rt.db.session() as s:
        out = await casework.exempt(rt, s, cli_actor(), args.card, args.body, args.certificate)
    print(out.text(rt, staff_lang(rt, args)))
    return 0 if out.ok else 1


async def cmd_identity(rt: Runtime, args: argparse.Namespace) -> int:
    async with rt.db.session() as s:
        out = await casework.identity_check(rt, s, cli_actor(), args.card)
    print(out.text(rt, staff_lang(rt, args)))
    return 0 if out.ok else 1
